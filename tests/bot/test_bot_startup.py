"""Start-up: minimal intents, and an unreachable Discord is an error with a hint."""

from __future__ import annotations

import socket

import discord
import pytest

from bot.client import BotConfig, BotDeps, NewsdeskBot
from bot.runner import DiscordUnreachable, configure_endpoints, serve
from tests.bot.twin import MESSAGE_CONTENT_INTENT, Twin
from tests.bot.wire import start_bot, stop_bot

GUILDS, GUILD_MESSAGES, DIRECT_MESSAGES = 1 << 0, 1 << 9, 1 << 12


@pytest.mark.parametrize("message_content", [False, True])
async def test_the_bot_asks_only_for_the_intents_it_uses(
    wire_twin: Twin, bot_deps: BotDeps, message_content: bool
) -> None:
    bot, task = await start_bot(wire_twin, bot_deps, message_content=message_content)
    try:
        expected = GUILDS | GUILD_MESSAGES | DIRECT_MESSAGES
        if message_content:
            expected |= MESSAGE_CONTENT_INTENT
        assert wire_twin.intents == expected  # no typing, reactions, voice, presences...
    finally:
        await stop_bot(bot, task)


async def test_mentions_work_without_the_message_content_intent(wire_twin: Twin, bot_deps: BotDeps) -> None:
    bot, task = await start_bot(wire_twin, bot_deps, message_content=False)
    try:
        alice = wire_twin.user("501", "alice")
        question = await wire_twin.user_message(alice, f"<@{wire_twin.bot_user['id']}> who denied involvement?")
        answer = await wire_twin.wait_for(lambda m: m["channel_id"] == question["id"] and m.get("embeds"))
        assert "Kataib Hezbollah denied involvement [1]" in answer["content"]
        # a follow-up without a mention arrives without text: the bot says to mention it
        await wire_twin.user_message(alice, "and then?", channel_id=question["id"])
        hint = await wire_twin.wait_for(lambda m: "Mention me in follow-ups" in m["content"])
        assert hint["channel_id"] == question["id"]
    finally:
        await stop_bot(bot, task)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_unreachable_discord_is_a_clear_error_with_a_hint(
    restore_endpoints: None, bot_deps: BotDeps
) -> None:
    port = _closed_port()
    configure_endpoints(f"http://127.0.0.1:{port}/api/v10", f"ws://127.0.0.1:{port}/gateway")
    bot = NewsdeskBot(bot_deps, BotConfig())
    with pytest.raises(DiscordUnreachable) as caught:
        await serve(bot, "some-token")
    error = caught.value
    assert f"Cannot reach Discord at http://127.0.0.1:{port}/api/v10" in error.message
    assert "NEWSDESK_DISCORD_API_BASE" in (error.hint or "")
    assert isinstance(discord.http.Route.BASE, str)
