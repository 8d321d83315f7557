"""/reindex is refused by the bot itself for members without Manage Server (even when Discord
would let them invoke it), and feedback buttons only ever change the clicking user's vote."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.client import BotConfig, BotDeps, NewsdeskBot
from bot.feedback import FeedbackStore
from tests.bot.fakes import FakeReindex, FakeService
from tests.bot.helpers import world
from tests.bot.test_bot_e2e_twin import start_bot, stop_bot
from tests.bot.twin import Twin

MANAGE_GUILD = 1 << 5
ALL_BUT_MANAGE_GUILD = ((1 << 50) - 1) & ~MANAGE_GUILD & ~(1 << 3)  # and not Administrator


@pytest.fixture
async def twin() -> AsyncIterator[Twin]:
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    server = Twin()
    await server.start()
    yield server
    await server.stop()
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


async def _invoke(twin: Twin, author: dict[str, Any], permissions: int) -> dict[str, Any]:
    """Dispatch /reindex as a member with ``permissions``; returns the interaction state."""
    original = twin._dispatch

    async def with_permissions(event: str, data: dict[str, Any]) -> None:
        if event == "INTERACTION_CREATE":
            data["member"]["permissions"] = str(permissions)
        await original(event, data)

    twin._dispatch = with_permissions  # type: ignore[method-assign]
    try:
        token = await twin.slash(author, "reindex")
    finally:
        twin._dispatch = original  # type: ignore[method-assign]
    state = twin.interactions[token]
    for _ in range(200):
        if state["callback"] is not None and (
            state["callback"]["type"] == 4 or twin.messages[state["original"]]["edits"]
        ):
            break
        await asyncio.sleep(0.05)
    return state


def _text(twin: Twin, state: dict[str, Any]) -> str:
    if state["callback"]["type"] == 4:
        return str(state["callback"]["data"]["content"])
    return str(twin.messages[state["original"]]["content"])


async def test_reindex_refused_over_the_wire_without_manage_server(twin: Twin, tmp_path: Path) -> None:
    """The twin, like a server whose admin changed the command's permissions, lets anyone
    invoke /reindex: only the bot's own check stands between a member and a rebuild."""
    reindex = FakeReindex()
    deps = BotDeps(
        service=FakeService(),
        feedback=FeedbackStore.in_data_dir(tmp_path / "bot"),
        list_sources=lambda: [],
        reindex=reindex,
    )
    bot, task = await start_bot(twin, deps)
    try:
        command = next(c for c in twin.commands if c["name"] == "reindex")
        assert int(command["default_member_permissions"]) == MANAGE_GUILD
        for n, permissions in enumerate((0, ALL_BUT_MANAGE_GUILD)):
            state = await _invoke(twin, twin.user(str(700 + n), f"member{n}"), permissions)
            text = _text(twin, state)
            assert "Manage Server" in text, text
            assert state["callback"]["data"]["flags"] & 64  # ephemeral
        assert reindex.calls == 0
        state = await _invoke(twin, twin.user("800", "admin"), MANAGE_GUILD)
        assert reindex.calls == 1 and "Index rebuilt" in _text(twin, state)
    finally:
        await stop_bot(bot, task)


# --- feedback votes (simcord) -----------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore.in_data_dir(tmp_path / "votes")


@pytest.fixture
def simcord_bot(store: FeedbackStore) -> NewsdeskBot:
    deps = BotDeps(service=FakeService(), feedback=store, list_sources=lambda: [])
    return NewsdeskBot(deps, BotConfig(cooldown_rate=100, cooldown_per_s=1.0))


def votes(store: FeedbackStore) -> list[tuple[int, int, int]]:
    with sqlite3.connect(store.path) as conn:
        return sorted(conn.execute("SELECT message_id, user_id, vote FROM votes").fetchall())


async def test_each_click_changes_only_the_clickers_own_vote(
    simcord_env,  # noqa: ANN001
    store: FeedbackStore,
) -> None:
    guild, channel, alice = world(simcord_env)
    bob = guild.add_member(simcord_env.create_user("bob"))
    carol = guild.add_member(simcord_env.create_user("carol"))
    first = await alice.slash(channel, "ask", question="Who denied involvement?")
    second = await alice.slash(channel, "ask", question="Who denied it, again?")
    m1, m2 = first.response.message, second.response.message

    await alice.click(m1, custom_id="newsdesk:vote:up")
    await bob.click(m1, custom_id="newsdesk:vote:up")
    await bob.click(m2, custom_id="newsdesk:vote:down")
    assert votes(store) == sorted([(m1.id, alice.id, 1), (m1.id, bob.id, 1), (m2.id, bob.id, -1)])

    # Alice changes her mind twice; repeats are idempotent; nobody else's row moves.
    for custom_id in ("newsdesk:vote:down", "newsdesk:vote:down", "newsdesk:vote:up", "newsdesk:vote:down"):
        result = await alice.click(m1, custom_id=custom_id)
        assert result.ephemeral
    assert "1 👍 / 1 👎" in result.response.content
    assert votes(store) == sorted([(m1.id, alice.id, -1), (m1.id, bob.id, 1), (m2.id, bob.id, -1)])

    # Carol's click on the second answer adds her row only.
    await carol.click(m2, custom_id="newsdesk:vote:up")
    assert votes(store) == sorted(
        [(m1.id, alice.id, -1), (m1.id, bob.id, 1), (m2.id, bob.id, -1), (m2.id, carol.id, 1)]
    )
