"""Conversation memory survives a restart: rebuilt from the answers the bot already stores."""

from __future__ import annotations

from bot.client import BotDeps
from tests.bot.fakes import FakeService
from tests.bot.twin import CREATE_PUBLIC_THREADS, Twin
from tests.bot.wire import start_bot, stop_bot


async def test_a_thread_follow_up_after_a_restart_keeps_its_history(
    wire_twin: Twin, bot_deps: BotDeps, fake_service: FakeService
) -> None:
    alice = wire_twin.user("501", "alice")
    bot, task = await start_bot(wire_twin, bot_deps, message_content=True)
    try:
        question = await wire_twin.user_message(
            alice, f"<@{wire_twin.bot_user['id']}> who denied involvement?"
        )
        await wire_twin.wait_for(lambda m: m["channel_id"] == question["id"] and m["embeds"])
    finally:
        await stop_bot(bot, task)

    wire_twin.identified.clear()
    bot, task = await start_bot(wire_twin, bot_deps, message_content=True, wait_for_commands=False)
    try:
        assert len(bot.flow.memory) == 0  # a new process remembers nothing by itself
        await wire_twin.user_message(alice, "and when was that?", channel_id=question["id"])
        await wire_twin.wait_for(lambda m: m["content"].startswith("(after 1 earlier turns)"))
        assert [len(c.history) for c in fake_service.calls] == [0, 1]
        assert fake_service.calls[1].history[0].question == "who denied involvement?"
    finally:
        await stop_bot(bot, task)


async def test_reply_conversations_rebuilt_after_a_restart_stay_per_user(
    wire_twin: Twin, bot_deps: BotDeps, fake_service: FakeService
) -> None:
    wire_twin.add_channel("300", "no-threads", deny_bot=CREATE_PUBLIC_THREADS)
    alice, bob = wire_twin.user("501", "alice"), wire_twin.user("502", "bob")
    mention = f"<@{wire_twin.bot_user['id']}>"
    bot, task = await start_bot(wire_twin, bot_deps)
    try:
        await wire_twin.user_message(alice, f"{mention} who denied involvement?", "300")
        await wire_twin.wait_until(lambda: fake_service.calls and bot.flow.in_flight == 0)
        await wire_twin.wait_until(lambda: bot_deps.feedback.recent_turns(300, 5))
    finally:
        await stop_bot(bot, task)
    wire_twin.identified.clear()
    bot, task = await start_bot(wire_twin, bot_deps, wait_for_commands=False)
    try:
        await wire_twin.user_message(bob, f"{mention} what happened?", "300")
        await wire_twin.wait_until(lambda: len(fake_service.calls) == 2)
        await wire_twin.user_message(alice, f"{mention} and then?", "300")
        await wire_twin.wait_until(lambda: len(fake_service.calls) == 3)
        assert [len(c.history) for c in fake_service.calls] == [0, 0, 1]
    finally:
        await stop_bot(bot, task)
