"""The compose `bot` service, run here as its container runs it.

Its `command:` as a subprocess, with its `environment:` (Chroma URL aimed at a real
`chroma run` server holding an index built by the indexer command), the token read from a
secret file through NEWSDESK_DISCORD_TOKEN_FILE, and discord.py talking over real HTTP and
WebSocket to the Discord twin of the bot tests. Then SIGTERM, as `docker compose stop` sends.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.bot.twin import BOT_TOKEN, Twin
from tests.deploy.conftest import VENV_BIN, Indexed, newsdesk_env
from tests.deploy.deployfiles import load_compose

pytestmark = [pytest.mark.slow, pytest.mark.integration]

START_TIMEOUT_S = 240  # imports + model load on a loaded 2-core machine
STOP_GRACE_S = 30  # the bot service's stop_grace_period


@pytest.fixture
async def twin() -> AsyncIterator[Twin]:
    server = Twin()
    await server.start()
    yield server
    await server.stop()


def _start_bot(indexed: Indexed, twin: Twin, workdir: Path) -> tuple[subprocess.Popen[bytes], Path]:
    bot = load_compose()["services"]["bot"]
    assert bot["command"] == ["newsdesk", "bot"]
    secret = workdir / "run-secrets" / "discord_token"  # /run/secrets/discord_token
    secret.parent.mkdir()
    secret.write_text(BOT_TOKEN + "\n", encoding="utf-8")
    settings = {
        **indexed.settings,
        "NEWSDESK_ANSWERER": "extractive",
        "NEWSDESK_DISCORD_TOKEN_FILE": str(secret),
        "NEWSDESK_DISCORD_API_BASE": twin.api_base,
        "NEWSDESK_DISCORD_GATEWAY_URL": twin.gateway_url,
    }
    log = workdir / "bot.log"
    env = newsdesk_env(settings)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(VENV_BIN / "newsdesk"), *bot["command"][1:]],
            env=env,
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return process, log


async def _stop(process: subprocess.Popen[bytes]) -> int | None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        for _ in range(STOP_GRACE_S * 10):
            if process.poll() is not None:
                break
            await asyncio.sleep(0.1)
    code = process.poll()
    if code is None:
        process.kill()
        process.wait(10)
    return code


async def test_bot_command_answers_a_slash_ask_from_the_chroma_server(
    indexed: Indexed, twin: Twin, tmp_path: Path
) -> None:
    assert indexed.build.returncode == 0, indexed.build.stderr[-3000:]
    process, log = _start_bot(indexed, twin, tmp_path)
    stopped: int | None = None
    try:
        try:
            await asyncio.wait_for(twin.identified.wait(), START_TIMEOUT_S)
        except TimeoutError:
            pytest.fail(f"bot did not connect: {log.read_text(errors='replace')[-3000:]}")
        assert ("GET", "/api/v10/users/@me") in [(m, p) for m, p, _ in twin.requests]
        for _ in range(600):
            if twin.commands:
                break
            await asyncio.sleep(0.1)
        assert "ask" in {c["name"] for c in twin.commands}

        alice = twin.user("501", "alice")
        token = await twin.slash(alice, "ask", question="Who denied involvement in the attack?")
        state = twin.interactions[token]
        answer = await twin.wait_for(
            lambda m: m["id"] == state["original"] and m.get("embeds"), timeout=180
        )
        assert state["callback"]["type"] == 5  # deferred before the slow work
        assert "[1]" in answer["content"]
        sources = answer["embeds"][0]
        assert sources["title"] == "Sources"
        quote, doc_line = sources["fields"][0]["value"].split("\n")[:2]
        excerpt = quote.removeprefix("> ").removesuffix("…").strip()
        doc_id = doc_line.split("`")[1]
        article = indexed.workdir / "corpus" / f"{doc_id}.txt"
        assert article.is_file(), doc_line
        assert len(excerpt) > 20
        assert excerpt in " ".join(article.read_text(encoding="utf-8").split())  # verbatim
    finally:
        stopped = await _stop(process)
    assert stopped is not None, "bot ignored SIGTERM for the whole stop_grace_period"
