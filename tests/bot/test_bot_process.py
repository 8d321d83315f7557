"""The unmodified `newsdesk bot` process against the Discord twin: what a server admin sees.

One process on the real core (shipped corpus plus one article with a planted markdown
link): /ask and a mention answered; a bot without thread permissions replies in the
channel with no 403 first; an auto-answer channel answers a plain message in a thread;
a planted markdown link is shown literally; an allowlisted server ignores other channels.
A second process on a slow LLM server: SIGTERM during an answer leaves no "thinking...".
"""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.flow import RESTARTING
from tests.bot.helpers import formatting_in, shown_as
from tests.bot.test_bot_real_core import _env
from tests.bot.twin import BOT_TOKEN, CREATE_PUBLIC_THREADS, MANAGE_GUILD, Twin
from tests.llm_server import Reply, ScriptedLLMServer

pytestmark = [pytest.mark.slow, pytest.mark.integration]

PLANTED_ARTICLE = (
    "Ministry warns of fake drone footage links\n\n"
    "The interior ministry warned readers about messages that say "
    "[click here](https://example.invalid/phish) to watch footage of the drone attack on the "
    "prime minister's residence.\n"
    "The ministry said the links lead to a phishing site that steals passwords.\n"
)


@pytest.fixture
async def twin() -> AsyncIterator[Twin]:
    server = Twin()
    server.add_channel("300", "no-threads", deny_bot=CREATE_PUBLIC_THREADS)
    server.add_channel("400", "ask-the-news")
    server.add_channel("500", "off-topic")
    await server.start()
    yield server
    await server.stop()


async def _start(
    twin: Twin, data_dir: Path, corpus: Path, log_path: Path, extra: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = _env(
        data_dir,
        corpus,
        {
            "NEWSDESK_DISCORD_TOKEN": BOT_TOKEN,
            "NEWSDESK_DISCORD_API_BASE": twin.api_base,
            "NEWSDESK_DISCORD_GATEWAY_URL": twin.gateway_url,
            "NEWSDESK_DISCORD_MESSAGE_CONTENT": "true",
            "NEWSDESK_DISCORD_COOLDOWN_RATE": "100",
            **(extra or {}),
        },
    )
    with log_path.open("w") as log:
        # as an admin starts it in a terminal, where Ctrl-C (SIGINT) stops it: a test run started
        # in the background would otherwise pass on an ignored SIGINT (POSIX shells ignore it in
        # background jobs, and the child inherits that)
        proc = subprocess.Popen(
            [sys.executable, "-m", "newsdesk", "bot"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    deadline = asyncio.get_running_loop().time() + 300
    while "newsdesk bot ready" not in log_path.read_text():
        assert proc.poll() is None, f"bot exited early:\n{log_path.read_text()[-3000:]}"
        assert asyncio.get_running_loop().time() < deadline, log_path.read_text()[-3000:]
        await asyncio.sleep(0.25)
    await twin.wait_until(lambda: twin.commands, 30)  # synced after READY
    return proc


async def _stop(
    proc: subprocess.Popen[bytes], sig: int | None = signal.SIGINT, timeout: float = 30
) -> int:
    if proc.poll() is None and sig is not None:
        proc.send_signal(sig)
    try:
        return await asyncio.to_thread(proc.wait, timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        raise


async def _build_index(data_dir: Path, corpus: Path, embeddings: Any) -> None:
    from index.build import build_index
    from newsdesk.settings import Settings

    settings = Settings.model_validate({"data_dir": data_dir, "corpus_dir": corpus})
    await asyncio.to_thread(build_index, settings, embeddings)


def _bot_messages(twin: Twin, channel_id: str) -> list[dict[str, Any]]:
    return [
        m
        for m in twin.messages.values()
        if m["author"]["id"] == twin.bot_user["id"] and m["channel_id"] == channel_id
    ]


async def test_the_bot_process_as_a_server_admin_runs_it(
    twin: Twin, tmp_path: Path, shipped_corpus: Path, embeddings: Any
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(shipped_corpus, corpus)
    (corpus / "900_planted.txt").write_text(PLANTED_ARTICLE, encoding="utf-8")
    data_dir = tmp_path / "data"
    await _build_index(data_dir, corpus, embeddings)
    log_path = tmp_path / "bot.log"
    proc = await _start(twin, data_dir, corpus, log_path)
    bot_id = twin.bot_user["id"]
    alice = twin.user("501", "alice")
    admin = twin.user("1", "owner")
    try:
        # /ask and a mention
        token = await twin.slash(alice, "ask", question="Who denied involvement in the attack?")
        state = twin.interactions[token]
        answer = await twin.wait_for(lambda m: m["id"] == state["original"] and m["embeds"], 60)
        assert re.search(r"\[\d+\]", answer["content"])
        question = await twin.user_message(alice, f"<@{bot_id}> Where did the drone strike?")
        await twin.wait_for(lambda m: m["channel_id"] == question["id"] and m["content"], 60)
        assert twin.channels[question["id"]]["owner_id"] == bot_id

        # no thread permission: a reply in the channel, and no request failed first
        question = await twin.user_message(alice, f"<@{bot_id}> Who survived the attack?", "300")
        reply = await twin.wait_for(
            lambda m: m["channel_id"] == "300" and m["author"]["id"] == bot_id and m["embeds"], 60
        )
        assert str(reply["message_reference"]["message_id"]) == question["id"]
        assert not [
            p for _, p, _ in twin.requests if p.startswith("/api/v10/channels/300/") and p.endswith("/threads")
        ]
        assert [s for s in twin.statuses if s[2] >= 400 and "/channels/" in s[1]] == []

        # a planted markdown link is shown literally
        token = await twin.slash(alice, "ask", question="What did the interior ministry warn readers about?")
        state = twin.interactions[token]
        planted = await twin.wait_for(lambda m: m["id"] == state["original"] and m["content"], 60)
        parts = [planted["content"]] + [
            part
            for e in planted["embeds"]
            for f in e["fields"]
            for part in (f["name"], f["value"].split("\n")[0])
        ]
        shown = " ".join(shown_as(p) for p in parts)
        assert "[click here](https://example.invalid/phish)" in shown, parts
        assert all(formatting_in(p) == [] for p in parts), parts

        # an auto-answer channel answers a plain message in a thread
        token = await twin.slash(
            admin,
            "newsdesk config auto-answer",
            permissions=MANAGE_GUILD,
            channel=("channel", "400"),
            enabled=True,
        )
        state = twin.interactions[token]
        await twin.wait_for(
            lambda m: m["id"] == state["original"] and "Auto-answer in: <#400>" in m["content"], 30
        )
        plain = await twin.user_message(alice, "Who denied involvement in the attack?", "400")
        auto = await twin.wait_for(lambda m: m["channel_id"] == plain["id"] and m["embeds"], 60)
        assert twin.channels[plain["id"]]["owner_id"] == bot_id
        ids = [c["custom_id"] for row in auto["components"] for c in row["components"]]
        assert "newsdesk:auto:opt-out" in ids

        # an allowlisted server ignores other channels
        token = await twin.slash(
            admin, "newsdesk config allow", permissions=MANAGE_GUILD, channel=("channel", "200")
        )
        state = twin.interactions[token]
        await twin.wait_for(lambda m: m["id"] == state["original"] and "Answers in: <#200>" in m["content"], 30)
        ignored = await twin.user_message(alice, f"<@{bot_id}> Who survived the attack?", "500")
        answered = await twin.user_message(alice, f"<@{bot_id}> Who survived the attack?")
        await twin.wait_for(lambda m: m["channel_id"] == answered["id"] and m["embeds"], 60)
        assert _bot_messages(twin, "500") == [] and ignored["id"] not in twin.channels
        assert "Traceback" not in log_path.read_text()
    finally:
        await _stop(proc)


async def test_sigterm_during_an_answer_leaves_no_thinking_message(
    twin: Twin, tmp_path: Path, shipped_corpus: Path, embeddings: Any
) -> None:
    data_dir = tmp_path / "data"
    await _build_index(data_dir, shipped_corpus, embeddings)
    log_path = tmp_path / "bot.log"
    slow = Reply("Kataib Hezbollah denied it [1].", delay_s=25)
    with ScriptedLLMServer(default=slow) as llm:
        extra = {
            "NEWSDESK_ANSWERER": "openai",
            "NEWSDESK_OPENAI_BASE_URL": llm.openai_url,
            "NEWSDESK_DISCORD_SHUTDOWN_GRACE_S": "1",
        }
        proc = await _start(twin, data_dir, shipped_corpus, log_path, extra)
        try:
            alice = twin.user("501", "alice")
            token = await twin.slash(alice, "ask", question="Who denied involvement in the attack?")
            state = twin.interactions[token]
            await twin.wait_until(lambda: llm.requests, 60)  # the answer is being written
            original = twin.messages[state["original"]]
            assert original["content"] == "" and original["flags"] & 128  # "thinking..."
            proc.send_signal(signal.SIGTERM)
            await twin.wait_until(lambda: original["content"], 10)
            assert original["content"] == RESTARTING
            # exits by itself within the grace period, not after the abandoned LLM call
            assert await _stop(proc, None, timeout=15) == 0
        finally:
            if proc.poll() is None:
                await _stop(proc)
    log = log_path.read_text()
    assert "generator already executing" not in log and "Traceback" not in log, log[-3000:]
