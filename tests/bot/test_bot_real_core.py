"""The real `newsdesk bot` process on the real answering core and the shipped corpus.

Index built with the bundled all-MiniLM-L6-v2 (offline, the session's shared model), then
`newsdesk bot` started as a user would, pointed at the Discord twin by NEWSDESK_DISCORD_API_BASE and
NEWSDESK_DISCORD_GATEWAY_URL. A user's /ask and a mention each get an answer whose cited
excerpts are verbatim text of the shipped articles.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.bot.twin import BOT_TOKEN, Twin

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def _env(data_dir: Path, corpus: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env.update(
        NEWSDESK_DATA_DIR=str(data_dir),
        NEWSDESK_CORPUS_DIR=str(corpus),
        NEWSDESK_ANSWERER="extractive",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    env.update(extra or {})
    return env


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture
async def twin() -> AsyncIterator[Twin]:
    server = Twin()
    await server.start()
    yield server
    await server.stop()


async def test_real_bot_process_answers_ask_and_mention(
    twin: Twin, tmp_path: Path, shipped_corpus: Path, embeddings: Any
) -> None:
    from index.build import build_index
    from newsdesk.settings import Settings

    data_dir = tmp_path / "data"
    index_settings = Settings.model_validate({"data_dir": data_dir, "corpus_dir": shipped_corpus})
    summary = await asyncio.to_thread(build_index, index_settings, embeddings)
    assert summary.added == len(list(shipped_corpus.iterdir()))

    log_path = tmp_path / "bot.log"
    extra = {
        "NEWSDESK_DISCORD_TOKEN": BOT_TOKEN,
        "NEWSDESK_DISCORD_API_BASE": twin.api_base,
        "NEWSDESK_DISCORD_GATEWAY_URL": twin.gateway_url,
    }
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "newsdesk", "bot"],
            env=_env(data_dir, shipped_corpus, extra),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        await _exercise(twin, proc, log_path, shipped_corpus)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            await asyncio.to_thread(proc.wait, 30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


async def _exercise(twin: Twin, proc: subprocess.Popen[Any], log_path: Path, corpus: Path) -> None:
    def log_tail() -> str:
        return log_path.read_text()[-3000:]

    deadline = asyncio.get_running_loop().time() + 300
    while "newsdesk bot ready" not in log_path.read_text():
        assert proc.poll() is None, f"bot exited early:\n{log_tail()}"
        assert asyncio.get_running_loop().time() < deadline, f"bot not ready:\n{log_tail()}"
        await asyncio.sleep(0.25)
    log_text = log_path.read_text()
    assert "generation newsdesk__g" in log_text  # which index it serves
    await twin.wait_until(lambda: twin.commands, 30)  # synced after READY
    assert {c["name"] for c in twin.commands} == {"ask", "sources", "reindex", "newsdesk", "timeline"}

    articles = _squash(" ".join(p.read_text(encoding="utf-8") for p in corpus.iterdir()))
    alice = twin.user("501", "alice")

    token = await twin.slash(alice, "ask", question="Who denied involvement in the attack?")
    state = twin.interactions[token]
    answer = await twin.wait_for(lambda m: m["id"] == state["original"] and m.get("embeds"), 120)
    assert re.search(r"\[\d+\]", answer["content"]), answer["content"]
    fields = answer["embeds"][0]["fields"]
    assert fields, log_tail()
    for f in fields:
        quoted = f["value"].split("\n")[0].removeprefix("> ").rstrip("…")
        excerpt = re.sub(r"\\(.)", r"\1", quoted)  # markdown-escaped: a quote reads as written
        assert _squash(excerpt)[:60] in articles, excerpt

    question = await twin.user_message(
        alice, f"<@{twin.bot_user['id']}> Where did the drone strike?"
    )
    threaded = await twin.wait_for(
        lambda m: m["channel_id"] == question["id"] and (m.get("embeds") or "not" in m["content"]),
        120,
    )
    assert threaded["content"] and threaded["content"] != "Looking through the articles…"
    for message in twin.messages.values():
        assert not message["mention_everyone"]
