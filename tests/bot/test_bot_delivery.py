"""Where a mention is answered is decided from the bot's permissions, before any request.

Over the wire (the twin answers 403 like Discord where the bot lacks a permission): no
request of the bot may fail first. And a conversation answered by replies in a channel
is one user's, never shared.
"""

from __future__ import annotations

from bot.client import BotDeps
from tests.bot.fakes import FakeService
from tests.bot.twin import CREATE_PUBLIC_THREADS, SEND_MESSAGES_IN_THREADS, Twin
from tests.bot.wire import start_bot, stop_bot


def _failed(twin: Twin) -> list[tuple[str, str, int]]:
    return [s for s in twin.statuses if s[2] >= 400 and s[1].startswith("/api/v10/channels")]


async def _mention(twin: Twin, author: dict, channel_id: str, text: str) -> dict:
    question = await twin.user_message(author, f"<@{twin.bot_user['id']}> {text}", channel_id)
    return await twin.wait_for(
        lambda m: (
            m["author"]["id"] == twin.bot_user["id"]
            and m.get("embeds")
            and str(m.get("message_reference", {}).get("message_id")) == question["id"]
        )
    )


async def test_no_thread_permission_replies_in_the_channel_with_no_403_first(
    wire_twin: Twin, bot_deps: BotDeps
) -> None:
    wire_twin.add_channel("300", "no-threads", deny_bot=CREATE_PUBLIC_THREADS)
    wire_twin.add_channel("301", "no-thread-posts", deny_bot=SEND_MESSAGES_IN_THREADS)
    bot, task = await start_bot(wire_twin, bot_deps)
    try:
        alice = wire_twin.user("501", "alice")
        for channel_id in ("300", "301"):
            answer = await _mention(wire_twin, alice, channel_id, "who denied involvement?")
            assert answer["channel_id"] == channel_id
            assert "Kataib Hezbollah denied involvement [1]" in answer["content"]
        thread_requests = [p for m, p, _ in wire_twin.requests if p.endswith("/threads")]
        assert thread_requests == []  # no empty thread left, no 403 on thread creation
        assert _failed(wire_twin) == []
    finally:
        await stop_bot(bot, task)


async def test_reply_conversations_are_per_user(
    wire_twin: Twin, bot_deps: BotDeps, fake_service: FakeService
) -> None:
    wire_twin.add_channel("300", "no-threads", deny_bot=CREATE_PUBLIC_THREADS)
    bot, task = await start_bot(wire_twin, bot_deps)
    try:
        alice = wire_twin.user("501", "alice")
        bob = wire_twin.user("502", "bob")
        await _mention(wire_twin, alice, "300", "who denied involvement?")
        bob_answer = await _mention(wire_twin, bob, "300", "what happened?")
        alice_again = await _mention(wire_twin, alice, "300", "and then?")
        assert [len(c.history) for c in fake_service.calls] == [0, 0, 1]
        assert fake_service.calls[2].history[0].question == "who denied involvement?"
        assert not bob_answer["content"].startswith("(after")  # alice's turn is not bob's history
        assert alice_again["content"].startswith("(after 1 earlier turns)")
    finally:
        await stop_bot(bot, task)


async def test_reply_mode_set_by_the_server_answers_mentions_in_place(
    wire_twin: Twin, bot_deps: BotDeps, tmp_path
) -> None:  # noqa: ANN001
    from bot.guild_config import GuildConfigStore

    store = GuildConfigStore(tmp_path / "config.sqlite3")
    bot, task = await start_bot(wire_twin, bot_deps, guild_config=store)
    try:
        admin = wire_twin.user("1", "owner")
        token = await wire_twin.slash(admin, "newsdesk config mention-mode", permissions=1 << 5, mode="reply")
        state = wire_twin.interactions[token]
        shown = await wire_twin.wait_for(lambda m: m["id"] == state["original"] and m["content"])
        assert "Mentions answered in: a reply" in shown["content"]
        alice = wire_twin.user("501", "alice")
        answer = await _mention(wire_twin, alice, wire_twin.channel_id, "who denied involvement?")
        assert answer["channel_id"] == wire_twin.channel_id
        assert not [p for _, p, _ in wire_twin.requests if p.endswith("/threads")]
    finally:
        await stop_bot(bot, task)
