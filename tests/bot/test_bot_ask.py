"""/ask through the real discord.py bot in simcord."""

from __future__ import annotations

import pytest
from simcord.backend.errors import OptionError

from tests.bot.helpers import assert_no_mentions_anywhere, button_ids, world


async def test_ask_defers_then_answers_with_citations_embed_and_buttons(simcord_env, fake_service) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    result = await alice.slash(channel, "ask", question="Who denied involvement?")
    callbacks = [e.json for e in simcord_env.http_requests if e.path.endswith("/callback")]
    assert callbacks == [{"type": 5}]  # deferred within the 3-second window
    response = result.response
    assert response is not None and not response.ephemeral
    assert "Kataib Hezbollah denied involvement [1]" in response.content
    embed = response.embeds[0]
    assert embed.title == "Sources"
    assert embed.fields[0].name == "[1] Drone attack on PM"
    assert "Kataib Hezbollah denied involvement in the attack" in embed.fields[0].value
    assert "`doc-a`" in embed.fields[0].value and "https://news.example/drone" in embed.fields[0].value
    assert "`doc-b`" in embed.fields[1].value and "http" not in embed.fields[1].value
    assert button_ids(response) == ["newsdesk:sources", "newsdesk:vote:up", "newsdesk:vote:down"]
    assert [c.question for c in fake_service.calls] == ["Who denied involvement?"]


async def test_everyone_in_question_and_answer_pings_no_one(simcord_env) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    result = await alice.slash(channel, "ask", question="what did @everyone say?")
    message = result.response.message
    assert "@everyone" in message.content and "<@&123>" in message.content
    assert not message.mention_everyone
    assert message.role_mentions == [] and message.mentions == []
    # links in the answer text are wrapped so Discord shows no preview
    assert "<https://example.org/more>" in message.content
    assert assert_no_mentions_anywhere(simcord_env) >= 1
    assert simcord_env.bot.allowed_mentions.to_dict() == {"parse": []}  # client default too


async def test_long_answer_is_split_on_boundaries(simcord_env) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    result = await alice.slash(channel, "ask", question="give me the long story")
    messages = [result.response, *result.followups]
    assert len(messages) >= 3
    assert all(len(m.content) <= 2000 for m in messages)
    assert all(m.content.endswith("[1].") for m in messages)  # whole sentences only
    # the citations and buttons come once, on the last message
    assert [bool(m.embeds) for m in messages] == [False] * (len(messages) - 1) + [True]
    assert button_ids(messages[-1]) == [
        "newsdesk:sources",
        "newsdesk:vote:up",
        "newsdesk:vote:down",
    ]
    assert all(button_ids(m) == [] for m in messages[:-1])
    assert assert_no_mentions_anywhere(simcord_env) >= 3


async def test_refusal_has_no_sources_embed(simcord_env) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    result = await alice.slash(channel, "ask", question="something unknowable")
    assert result.response.content == "The articles do not say."
    assert result.response.embeds == []


async def test_question_length_is_bounded_in_the_command_definition(
    simcord_env,
    fake_service,
    bot_config,  # noqa: ANN001
) -> None:
    """Discord's client refuses an over-long question before it is sent (app_commands.Range)."""
    _, channel, alice = world(simcord_env)
    synced = [e.json for e in simcord_env.http_requests if e.path.endswith("/commands")][-1]
    ask = next(c for c in synced if c["name"] == "ask")
    option = ask["options"][0]
    assert option["name"] == "question"
    assert option["min_length"] == 1 and option["max_length"] == bot_config.max_question_chars
    question = "why " * (bot_config.max_question_chars // 4 + 10)
    with pytest.raises(OptionError, match="at most 1000 characters"):
        await alice.slash(channel, "ask", question=question)
    assert fake_service.calls == []


async def test_too_long_mention_gets_a_clear_error_and_core_is_not_called(
    simcord_env,
    fake_service,
    bot_config,  # noqa: ANN001
) -> None:
    _, channel, alice = world(simcord_env)
    question = "why " * (bot_config.max_question_chars // 4 + 10)
    await alice.send(channel, f"<@{simcord_env.bot.user.id}> {question}")
    reply = channel.last_message
    assert "limit is 1000" in reply.content
    assert fake_service.calls == []


async def test_store_unavailable_says_try_again(simcord_env) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    result = await alice.slash(channel, "ask", question="store down?")
    content = result.response.content
    assert "temporarily unavailable" in content and "try again" in content
    assert "10.0.0.5" not in content  # no internals leak


async def test_unexpected_error_is_logged_not_shown(simcord_env, caplog) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    result = await alice.slash(channel, "ask", question="make it crash")
    content = result.response.content
    assert "Something went wrong" in content
    assert "hunter2" not in content and "Traceback" not in content
    assert any("hunter2" in (r.exc_text or "") or r.exc_info for r in caplog.records)


async def test_index_missing_tells_how_to_fix(simcord_env) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    result = await alice.slash(channel, "ask", question="no index yet?")
    assert "/reindex" in result.response.content
    assert "/srv/" not in result.response.content
