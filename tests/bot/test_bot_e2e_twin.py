"""End to end over real HTTP and WebSocket on 127.0.0.1: the bot against a Discord twin.

The bot is pointed at the twin with the two endpoint settings, exactly as `newsdesk bot`
does it; a user's /ask (INTERACTION_CREATE) and a mention (MESSAGE_CREATE) each get a
cited answer, and nothing the bot sends could ping anyone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest

from bot.client import BotConfig, BotDeps, NewsdeskBot
from bot.runner import configure_endpoints, serve
from newsdesk.settings import Settings
from tests.bot.twin import BOT_TOKEN, Twin

pytestmark = pytest.mark.integration


@pytest.fixture
def restore_endpoints() -> Any:
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


@pytest.fixture(params=["strict", "lenient"])
async def twin(request: pytest.FixtureRequest, restore_endpoints: Any) -> AsyncIterator[Twin]:
    """strict: like Discord; lenient: app endpoint served, callbacks answered 204 (no body)."""
    lenient = request.param == "lenient"
    server = Twin(serve_application=lenient, terse_callbacks=lenient)
    await server.start()
    yield server
    await server.stop()


async def start_bot(
    twin: Twin, deps: BotDeps, **settings_values: Any
) -> tuple[NewsdeskBot, asyncio.Task[None]]:
    settings = Settings(
        discord_token=BOT_TOKEN,
        discord_api_base=twin.api_base,
        discord_gateway_url=twin.gateway_url,
        **{"discord_message_content": True, **settings_values},
    )
    configure_endpoints(settings.discord_api_base, settings.discord_gateway_url)
    bot = NewsdeskBot(deps, BotConfig.from_settings(settings), guild_ready_timeout=0.1)
    task = asyncio.create_task(serve(bot, settings.discord_token.get_secret_value()))
    await asyncio.wait_for(twin.identified.wait(), 20)
    await asyncio.wait_for(bot.wait_until_ready(), 20)
    await twin.wait_until(lambda: twin.commands)  # synced after READY, in the background
    return bot, task


async def stop_bot(bot: NewsdeskBot, task: asyncio.Task[None]) -> None:
    await bot.close()
    await asyncio.wait_for(task, 10)


def assert_nothing_pings(twin: Twin) -> None:
    bot_messages = [m for m in twin.messages.values() if m["author"]["id"] == twin.bot_user["id"]]
    assert bot_messages
    for message in bot_messages:
        assert not message["mention_everyone"] and message["mention_roles"] == []
        for body in [message, *message.get("edits", [])]:
            if body.get("content"):
                assert body.get("allowed_mentions", {}).get("parse") == [], body


async def test_ask_and_mention_over_the_wire(twin: Twin, bot_deps: BotDeps) -> None:
    bot, task = await start_bot(twin, bot_deps)
    try:
        assert {c["name"] for c in twin.commands} == {"ask", "sources", "reindex", "newsdesk"}
        alice = twin.user("501", "alice")

        token = await twin.slash(alice, "ask", question="what did @everyone say?")
        state = twin.interactions[token]
        answer = await twin.wait_for(lambda m: m["id"] == state["original"] and m.get("embeds"))
        assert state["callback"]["type"] == 5  # deferred first
        assert "A commenter wrote @everyone and <@&123> [1]" in answer["content"]
        assert answer["embeds"][0]["title"] == "Sources"
        assert "A reader wrote @everyone" in answer["embeds"][0]["fields"][0]["value"]
        custom_ids = [c["custom_id"] for row in answer["components"] for c in row["components"]]
        assert "newsdesk:sources" in custom_ids

        question = await twin.user_message(alice, f"<@{twin.bot_user['id']}> who denied involvement?")
        threaded = await twin.wait_for(lambda m: m["channel_id"] == question["id"] and m.get("embeds"))
        assert twin.channels[question["id"]]["owner_id"] == twin.bot_user["id"]
        assert "Kataib Hezbollah denied involvement [1]" in threaded["content"]
        assert threaded["embeds"][0]["fields"][0]["name"] == "[1] Drone attack on PM"

        await twin.user_message(alice, "and then?", channel_id=question["id"])
        await twin.wait_for(lambda m: m["content"].startswith("(after 1 earlier turns)"))
        assert_nothing_pings(twin)
    finally:
        await stop_bot(bot, task)


async def test_invalid_token_is_a_clear_error(twin: Twin, bot_deps: BotDeps) -> None:
    from newsdesk.errors import ConfigError

    configure_endpoints(twin.api_base, twin.gateway_url)
    bot = NewsdeskBot(bot_deps, BotConfig())
    with pytest.raises(ConfigError, match="rejected the bot token"):
        await asyncio.wait_for(serve(bot, "wrong-token"), 20)
