"""Mentions, threads the bot starts, and follow-ups resolved against thread history."""

from __future__ import annotations

from tests.bot.helpers import assert_no_mentions_anywhere, button_ids, world


def _bot_mention(env) -> str:  # noqa: ANN001
    return f"<@{env.bot.user.id}>"


async def test_mention_starts_a_thread_and_answers_there(simcord_env, fake_service) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    await alice.send(channel, f"{_bot_mention(simcord_env)} who denied involvement?")
    threads = channel.threads
    assert len(threads) == 1
    thread = threads[0]
    assert thread.name == "who denied involvement?"
    answer = thread.last_message
    assert answer.author.id == simcord_env.bot.user.id
    assert "Kataib Hezbollah denied involvement [1]" in answer.content
    assert answer.embeds and answer.embeds[0].fields[0].name == "[1] Drone attack on PM"
    assert button_ids(answer) == ["newsdesk:sources", "newsdesk:vote:up", "newsdesk:vote:down"]
    # the mention is stripped from the question handed to the core
    assert [c.question for c in fake_service.calls] == ["who denied involvement?"]
    assert_no_mentions_anywhere(simcord_env)


async def test_follow_ups_in_the_thread_use_its_history(simcord_env, fake_service) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    await alice.send(channel, f"{_bot_mention(simcord_env)} who denied involvement?")
    thread = channel.threads[0]
    await alice.send(thread, "and when was that?")  # no mention needed in the bot's thread
    await alice.send(thread, "where?")
    assert [len(c.history) for c in fake_service.calls] == [0, 1, 2]
    assert fake_service.calls[1].history[0].question == "who denied involvement?"
    assert "denied involvement [1]" in fake_service.calls[1].history[0].answer
    assert thread.last_message.content.startswith("(after 2 earlier turns)")
    assert len(channel.threads) == 1  # follow-ups stay in the same thread


async def test_separate_threads_have_separate_memory(simcord_env, fake_service) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    await alice.send(channel, f"{_bot_mention(simcord_env)} first question?")
    await alice.send(channel, f"{_bot_mention(simcord_env)} second question?")
    first, second = channel.threads
    await alice.send(second, "follow-up?")
    assert [len(c.history) for c in fake_service.calls] == [0, 0, 1]
    assert fake_service.calls[2].history[0].question == "second question?"
    assert first.last_message.content.startswith("Kataib")


async def test_messages_not_addressed_to_the_bot_are_ignored(simcord_env, fake_service) -> None:  # noqa: ANN001
    guild, channel, alice = world(simcord_env)
    await alice.send(channel, "just chatting about the news")
    other = guild.create_text_channel("other")
    await alice.send(other, "hello")
    assert fake_service.calls == []
    assert channel.threads == []
    assert channel.last_message.author.id == alice.id


async def test_mention_falls_back_to_a_reply_when_threads_are_refused(
    simcord_env, fake_service
) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    simcord_env.inject_error("POST", "/channels/*/messages/*/threads", status=403)
    question = await alice.send(channel, f"{_bot_mention(simcord_env)} who denied involvement?")
    reply = channel.last_message
    assert reply.author.id == simcord_env.bot.user.id
    assert reply.reference is not None and reply.reference.message_id == question.id
    assert "denied involvement [1]" in reply.content
    assert channel.threads == []
    assert_no_mentions_anywhere(simcord_env)


async def test_empty_mention_gets_a_hint(simcord_env, fake_service) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    await alice.send(channel, _bot_mention(simcord_env))
    assert "Ask me something" in channel.last_message.content
    assert fake_service.calls == []


async def test_mention_error_is_short_and_safe(simcord_env) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    await alice.send(channel, f"{_bot_mention(simcord_env)} please crash")
    thread = channel.threads[0]
    content = thread.last_message.content
    assert "Something went wrong" in content and "hunter2" not in content


async def test_mentioned_everyone_never_pings(simcord_env) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    await alice.send(channel, f"{_bot_mention(simcord_env)} what did everyone say?")
    message = channel.threads[0].last_message
    assert "@everyone" in message.content
    assert not message.mention_everyone and message.role_mentions == []
    assert_no_mentions_anywhere(simcord_env)


async def test_ask_inside_the_bots_thread_is_a_follow_up(simcord_env, fake_service) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    await alice.send(channel, f"{_bot_mention(simcord_env)} who denied involvement?")
    thread = channel.threads[0]
    result = await alice.slash(thread, "ask", question="and who else?")
    assert result.response.content.startswith("(after 1 earlier turns)")
    assert fake_service.calls[-1].history[0].question == "who denied involvement?"


async def test_direct_messages_are_a_conversation(simcord_env, fake_service) -> None:  # noqa: ANN001
    _, _, alice = world(simcord_env)
    first = await alice.send_dm("who denied involvement?")
    await alice.send_dm("and then?")
    assert [len(c.history) for c in fake_service.calls] == [0, 1]
    replies = [
        e.json["content"]
        for e in simcord_env.http_requests
        if e.method == "PATCH" and e.path.startswith(f"/channels/{first.channel.id}/messages/")
    ]
    assert replies[0].startswith("Kataib") and replies[-1].startswith("(after 1 earlier turns)")
