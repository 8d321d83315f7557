"""Per-user cooldown shared by /ask and mentions, with simcord's virtual clock."""

from __future__ import annotations

import pytest
import simcord

from bot.client import BotConfig
from bot.errors import Throttled
from tests.bot.helpers import world


@pytest.fixture
def bot_config() -> BotConfig:
    return BotConfig(cooldown_rate=2, cooldown_per_s=30.0)


async def test_third_question_in_the_window_is_refused_then_allowed_later(
    simcord_env,
    fake_service,  # noqa: ANN001
) -> None:
    guild, channel, alice = world(simcord_env)
    bob = guild.add_member(simcord_env.create_user("bob"))
    await alice.slash(channel, "ask", question="one?")
    await alice.slash(channel, "ask", question="two?")
    refused = await alice.slash(channel, "ask", question="three?")
    assert refused.ephemeral
    assert "wait 30 s" in refused.response.content
    simcord.assert_error(simcord_env, Throttled)
    # other users are not affected
    other = await bob.slash(channel, "ask", question="bob's question?")
    assert "denied involvement" in other.response.content

    await simcord_env.advance_time(31)
    later = await alice.slash(channel, "ask", question="four?")
    assert "denied involvement" in later.response.content
    assert [c.question for c in fake_service.calls] == ["one?", "two?", "bob's question?", "four?"]


async def test_mentions_share_the_cooldown(simcord_env, fake_service) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    mention = f"<@{simcord_env.bot.user.id}>"
    await alice.slash(channel, "ask", question="one?")
    await alice.send(channel, f"{mention} two?")
    await alice.send(channel, f"{mention} three?")
    reply = channel.last_message
    assert reply.author.id == simcord_env.bot.user.id
    assert "asking quickly" in reply.content and "wait" in reply.content
    assert [c.question for c in fake_service.calls] == ["one?", "two?"]
