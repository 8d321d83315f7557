"""The bot on the real answering core with a streaming LLM answerer (scripted server on 127.0.0.1).

The core (retrieval, LLM answerer, citation verification) is the real one; only the reader is
in memory (shipped corpus, fake embeddings) and the LLM is a scripted OpenAI-compatible HTTP
server. The reply is edited as the answer streams in, then replaced by the verified answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from bot.render import CURSOR
from tests.answering.fakes import FakeReader, load_corpus
from tests.bot.fakes import StepClock
from tests.bot.helpers import assert_no_mentions_anywhere, world
from tests.conftest import SHIPPED_CORPUS
from tests.llm_server import Reply, Request, ScriptedLLMServer


@pytest.fixture
def llm() -> Iterator[ScriptedLLMServer]:
    with ScriptedLLMServer() as server:
        yield server


@pytest.fixture
def reader(fake_embeddings: Any) -> FakeReader:
    return FakeReader(load_corpus(SHIPPED_CORPUS), fake_embeddings)


@pytest.fixture
def fake_service(
    settings: Any, reader: FakeReader, fake_embeddings: Any, llm: ScriptedLLMServer
) -> Any:
    """Overrides the bot's fake: the real AnsweringService with the openai answerer."""
    from answering.factory import build_answering

    configured = settings.model_copy(
        update={"answerer": "openai", "openai_base_url": llm.openai_url}
    )
    return build_answering(configured, reader, fake_embeddings)


@pytest.fixture
def bot_clock() -> StepClock:
    return StepClock(0.5)


def kataib_reply(request: Request) -> Reply:
    for m in re.finditer(r"^\[(\d+)\] \(article: [^\n]*\)\n([^\n]*)", request.prompt, re.M):
        if "Hezbollah" in m.group(2):
            return Reply(
                "Kata’ib Hezbollah rejected any relevance in the attempt on the prime minister "
                f"[{m.group(1)}].",
                piece_chars=5,
            )
    return Reply("NOT IN ARTICLES")


async def test_streamed_llm_answer_edits_then_verified_citations(
    simcord_env: Any, llm: ScriptedLLMServer, reader: FakeReader
) -> None:
    llm.respond_with(kataib_reply)
    _, channel, alice = world(simcord_env)
    result = await alice.slash(channel, "ask", question="Did Kata'ib Hezbollah deny involvement?")
    edits = [
        e.json["content"]
        for e in simcord_env.http_requests
        if e.method == "PATCH" and e.path.endswith("/messages/@original")
    ]
    progress, final = edits[:-1], edits[-1]
    assert len(progress) >= 3 and all(p.endswith(CURSOR) for p in progress)
    assert progress[0].startswith("Kata")
    assert "Kata’ib Hezbollah rejected any relevance" in final and "[1]" in final
    (field,) = result.response.embeds[0].fields
    assert "`001_c873e584d55569f3`" in field.value
    excerpt = field.value.split("\n")[0].removeprefix("> ")
    assert excerpt.rstrip("…") in " ".join(reader.document("001_c873e584d55569f3").text.split())
    assert llm.requests[-1].stream  # the core asked the server to stream
    assert_no_mentions_anywhere(simcord_env)
