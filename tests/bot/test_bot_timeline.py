"""`/timeline topic:` over real HTTP and WebSocket against the Discord twin on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import discord
import pytest

from answering.timeline import Timeline, build_timeline
from bot.client import BotDeps
from bot.timeline import timeline_pages
from index.loaders import load_corpus, make_document
from tests.bot.test_bot_e2e_twin import assert_nothing_pings, start_bot, stop_bot
from tests.bot.twin import Twin

pytestmark = pytest.mark.integration
CORPUS = Path(__file__).resolve().parents[2] / "corpus"


@pytest.fixture
async def twin() -> AsyncIterator[Twin]:
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    server = Twin()
    await server.start()
    yield server
    await server.stop()
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


def shipped_timeline(topic: str | None) -> Timeline:
    docs = load_corpus(CORPUS).documents
    if topic:
        docs = [d for d in docs if topic.lower() in d.text.lower()]
    return build_timeline(docs, topic=topic)


async def test_timeline_over_the_wire(twin: Twin, bot_deps: BotDeps) -> None:
    asked: list[str | None] = []

    def timeline(topic: str | None) -> Timeline:
        asked.append(topic)
        return shipped_timeline(topic)

    bot, task = await start_bot(twin, replace(bot_deps, timeline=timeline))
    try:
        assert "timeline" in {c["name"] for c in twin.commands}
        alice = twin.user("501", "alice")
        token = await twin.slash(alice, "timeline", topic="demonstration")
        state = twin.interactions[token]
        reply = await twin.wait_for(lambda m: m["id"] == state["original"] and m.get("content"))
        assert state["callback"]["type"] == 5  # deferred first
        assert asked == ["demonstration"]
        assert reply["content"].startswith("**Timeline** about \u201cdemonstration\u201d")
        assert "**--11-06** [2] \u201cFresh demonstrations were held earlier on November 6" in reply["content"]
        assert reply["content"].index("**--10-10** [1]") < reply["content"].index("**--11-06** [2]")
        assert_nothing_pings(twin)
    finally:
        await stop_bot(bot, task)


async def test_no_timeline_command_without_a_timeline(twin: Twin, bot_deps: BotDeps) -> None:
    bot, task = await start_bot(twin, bot_deps)
    try:
        assert "timeline" not in {c["name"] for c in twin.commands}
    finally:
        await stop_bot(bot, task)


def test_pages_show_outlet_and_date_and_fit_discord() -> None:
    docs = [
        make_document(
            f"d{i}",
            "T",
            f"Event {i} happened on March {i + 1}, 2024, " + "after long meetings of officials " * 10 + ".",
            source="Wire",
            published="2024-04-01",
        )
        for i in range(20)
    ]
    pages = timeline_pages(build_timeline(docs))
    assert len(pages) >= 2 and all(len(p) <= 2000 for p in pages)
    first = pages[0].splitlines()[1]
    assert first.startswith("**2024-03-01** [1] \u201cEvent 0 happened on March 1, 2024, after")
    assert first.endswith("\u2026\u201d \u2014 Wire, 2024-04-01 (`d0`)")  # shortened, outlet and date kept
    assert timeline_pages(Timeline("zzz", ())) == ["No dated events found about \u201czzz\u201d."]
