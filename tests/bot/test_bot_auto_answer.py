"""Auto-answer channels and forums: every new message or post answered without a mention."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.client import BotDeps
from bot.guild_config import GuildConfigStore
from tests.bot.fakes import FakeService
from tests.bot.twin import Twin
from tests.bot.wire import start_bot, stop_bot


async def _bot_with_auto(twin: Twin, deps: BotDeps, tmp_path: Path):  # noqa: ANN202
    twin.add_channel("400", "ask-the-news")
    twin.add_channel("600", "questions-forum", kind=15)
    store = GuildConfigStore(tmp_path / "config.sqlite3")
    store.set_channel(100, 400, "auto", True)
    store.set_channel(100, 600, "auto", True)
    bot, task = await start_bot(twin, deps, guild_config=store, message_content=True)
    return store, bot, task


async def test_plain_messages_and_forum_posts_are_answered_in_threads(
    wire_twin: Twin, bot_deps: BotDeps, tmp_path: Path, fake_service: FakeService
) -> None:
    _, bot, task = await _bot_with_auto(wire_twin, bot_deps, tmp_path)
    try:
        alice = wire_twin.user("501", "alice")
        plain = await wire_twin.user_message(alice, "who denied involvement?", "400")
        answer = await wire_twin.wait_for(lambda m: m["channel_id"] == plain["id"] and m["embeds"])
        assert wire_twin.channels[plain["id"]]["owner_id"] == wire_twin.bot_user["id"]
        ids = [c["custom_id"] for row in answer["components"] for c in row["components"]]
        assert ids[-1] == "newsdesk:auto:opt-out"
        # a follow-up in that thread continues the conversation
        await wire_twin.user_message(alice, "and when?", plain["id"])
        await wire_twin.wait_for(lambda m: m["content"].startswith("(after 1 earlier turns)"))

        post = await wire_twin.forum_post(alice, "600", "Drone attack", "who denied involvement?")
        in_post = await wire_twin.wait_for(lambda m: m["channel_id"] == post["id"] and m["embeds"])
        assert "Kataib Hezbollah denied involvement [1]" in in_post["content"]
        assert [c.question for c in fake_service.calls][-1] == "who denied involvement?"
    finally:
        await stop_bot(bot, task)


async def test_bots_are_never_answered_and_a_user_can_opt_out(
    wire_twin: Twin, bot_deps: BotDeps, tmp_path: Path, fake_service: FakeService
) -> None:
    store, bot, task = await _bot_with_auto(wire_twin, bot_deps, tmp_path)
    try:
        other_bot = {**wire_twin.user("777", "otherbot"), "bot": True}
        await wire_twin.user_message(other_bot, "who denied involvement?", "400")
        await wire_twin.user_message(wire_twin.bot_user, "who denied involvement?", "400")
        alice = wire_twin.user("501", "alice")
        first = await wire_twin.user_message(alice, "who denied involvement?", "400")
        answer = await wire_twin.wait_for(lambda m: m["channel_id"] == first["id"] and m["embeds"])
        assert len(fake_service.calls) == 1  # only alice's message

        token = await wire_twin.click(alice, answer, "newsdesk:auto:opt-out")
        state = wire_twin.interactions[token]
        reply = await wire_twin.wait_until(lambda: state["followups"])
        assert "won't answer your messages here" in wire_twin.messages[reply[0]]["content"]
        assert store.get(100).opted_out == {501}

        await wire_twin.user_message(alice, "what happened next?", "400")
        mention = f"<@{wire_twin.bot_user['id']}> who survived?"
        mentioned = await wire_twin.user_message(alice, mention, "400")
        await wire_twin.wait_for(lambda m: m["channel_id"] == mentioned["id"] and m["embeds"])
        await asyncio.sleep(0.2)
        assert [c.question for c in fake_service.calls] == ["who denied involvement?", "who survived?"]
    finally:
        await stop_bot(bot, task)
