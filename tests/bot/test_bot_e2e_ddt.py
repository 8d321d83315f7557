"""Second end-to-end check, against a Discord twin we did not write: npm discord-digital-twin.

It differs from Discord (and from tests/bot/twin.py) in ways a foreign server might: no
`GET /oauth2/applications/@me`, `204` interaction callbacks with no body, and a command
store that rejects integer `default_member_permissions`. The bot must still sync its
commands, answer /ask and mentions with citations, and handle its buttons.

The test installs the twin from the npm registry with `npm ci` (lockfile in tests/bot/ddt)
and runs it on 127.0.0.1 only; it is skipped where Node.js/npm are not installed.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.client import BotConfig, BotDeps, NewsdeskBot
from bot.runner import configure_endpoints, serve

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DDT_DIR = Path(__file__).parent / "ddt"


@pytest.fixture(scope="session")
def ddt_installed() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are needed for the discord-digital-twin test")
    if not (DDT_DIR / "node_modules" / "discord-digital-twin").is_dir():
        result = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=DDT_DIR,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, f"npm ci failed:\n{result.stderr[-2000:]}"
    return DDT_DIR


class Harness:
    """Talks to harness.mjs: one JSON request line, one JSON reply line."""

    def __init__(self, proc: asyncio.subprocess.Process, info: dict[str, Any]) -> None:
        self.proc = proc
        self.info = info
        self._rid = 0

    async def call(self, cmd: str, **args: Any) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._rid += 1
        request = {"cmd": cmd, "rid": self._rid, **args}
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        await self.proc.stdin.drain()
        reply = json.loads(await asyncio.wait_for(self.proc.stdout.readline(), 30))
        assert "error" not in reply, reply["error"]
        return reply["result"]

    async def wait_messages(self, predicate: Any, channel_id: str | None = None) -> list[Any]:
        for _ in range(200):  # at most ~20 s
            messages = await self.call("messages", channelId=channel_id)
            found = [m for m in messages if predicate(m)]
            if found:
                return found
            await asyncio.sleep(0.1)
        raise AssertionError(f"no matching message in {channel_id}: {messages}")


@pytest.fixture
async def ddt(ddt_installed: Path) -> AsyncIterator[Harness]:
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    proc = await asyncio.create_subprocess_exec(
        "node",
        "harness.mjs",
        cwd=ddt_installed,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    info = json.loads(await asyncio.wait_for(proc.stdout.readline(), 60))
    harness = Harness(proc, info)
    try:
        yield harness
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base, gateway
        try:
            await harness.call("stop")
        except (TimeoutError, AssertionError, json.JSONDecodeError, BrokenPipeError):
            proc.kill()
        await asyncio.wait_for(proc.wait(), 30)


async def test_bot_against_discord_digital_twin(
    ddt: Harness, bot_deps: BotDeps, feedback_store
) -> None:  # noqa: ANN001
    info = ddt.info
    configure_endpoints(info["restUrl"] + "/v10", info["gatewayUrl"])
    # follow-ups without a mention need the Message Content intent
    bot = NewsdeskBot(bot_deps, BotConfig(message_content=True), guild_ready_timeout=0.2)
    task = asyncio.create_task(serve(bot, info["botToken"]))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 30)
        while bot.sync_task is None:  # commands are synced after READY, in the background
            await asyncio.sleep(0.05)
        assert await asyncio.wait_for(bot.sync_task, 30)
        bot_id = info["botUserId"]

        # /ask: deferred, then a cited answer with buttons; @everyone does not ping
        question = {"name": "question", "type": 3, "value": "what did @everyone say?"}
        interaction = await ddt.call("slash", name="ask", options=[question])
        [answer] = await ddt.wait_messages(lambda m: m["author"]["id"] == bot_id and m["embeds"])
        response = await ddt.call("response", interactionId=interaction["id"])
        assert response["acknowledged"] and response["type"] == 5  # deferred first
        assert "A commenter wrote @everyone and <@&123> [1]" in answer["content"]
        assert answer["embeds"][0]["fields"][0]["name"].startswith("[1] ")
        assert not answer["mention_everyone"] and answer["mention_roles"] == []
        custom_ids = [c["custom_id"] for row in answer["components"] for c in row["components"]]
        assert custom_ids == ["newsdesk:sources", "newsdesk:vote:up", "newsdesk:vote:down"]

        # 👍 on the answer is stored durably against that message
        await ddt.call("click", messageId=answer["id"], customId="newsdesk:vote:up")
        for _ in range(100):
            with sqlite3.connect(feedback_store.path) as conn:
                votes = conn.execute("SELECT message_id, vote FROM votes").fetchall()
            if votes:
                break
            await asyncio.sleep(0.1)
        assert votes == [(int(answer["id"]), 1)]

        # a mention starts a thread; a follow-up there uses the thread's history
        await ddt.call("say", content=f"<@{bot_id}> who denied involvement?")
        for _ in range(100):
            threads = await ddt.call("threads")
            if threads:
                break
            await asyncio.sleep(0.1)
        [thread] = threads
        [first] = await ddt.wait_messages(
            lambda m: m["author"]["id"] == bot_id and m["embeds"], thread["id"]
        )
        assert "Kataib Hezbollah denied involvement [1]" in first["content"]
        await ddt.call("say", channelId=thread["id"], content="and when was that?")
        await ddt.wait_messages(
            lambda m: m["content"].startswith("(after 1 earlier turns)"), thread["id"]
        )
    finally:
        await bot.close()
        await asyncio.wait_for(task, 10)
