"""/sources and /reindex (Manage Server checked by the bot itself)."""

from __future__ import annotations

import discord
import pytest
import simcord
from discord import app_commands

from tests.bot.fakes import FakeDocument
from tests.bot.helpers import assert_no_mentions_anywhere, world


async def test_sources_lists_indexed_articles(simcord_env) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    result = await alice.slash(channel, "sources")
    assert result.ephemeral
    content = result.response.content
    assert content.startswith("**2 indexed articles**")
    assert "**Drone attack on PM** (Wire, 2021-11-07) `doc-a` <https://news.example/drone>" in content
    assert "**Kadhimi unharmed** (Daily) `doc-b`" in content
    assert_no_mentions_anywhere(simcord_env)


async def test_sources_is_one_message_with_pages_however_long_the_list(simcord_env, documents) -> None:  # noqa: ANN001
    """1,000 articles used to be 91 messages; now one private message and ◀ ▶ buttons."""
    documents[:] = [
        FakeDocument(f"doc-{i:04d}", f"Article number {i} about the drone attack", f"https://n.example/{i}")
        for i in range(1000)
    ]
    _, channel, alice = world(simcord_env)
    result = await alice.slash(channel, "sources")
    assert result.followups == []  # one message, not one per 2,000 characters
    assert result.ephemeral
    message = result.response.message
    first = message.content
    assert len(first) <= 2000 and "page 1 of " in first
    total = int(first.rsplit("page 1 of ", 1)[1])
    assert total > 40
    seen = first
    for page in range(2, total + 1):
        clicked = await alice.click(message, custom_id="newsdesk:sources:next")
        message = clicked.response.message
        assert f"page {page} of {total}" in message.content and len(message.content) <= 2000
        seen += message.content
    assert all(f"`doc-{i:04d}`" in seen for i in range(1000))


async def test_reindex_allowed_for_manage_server(simcord_env, fake_reindex) -> None:  # noqa: ANN001
    guild, channel, _ = world(simcord_env)
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    admin = guild.add_member(simcord_env.create_user("admin"), roles=[admins])
    result = await admin.slash(channel, "reindex")
    assert fake_reindex.calls == 1
    assert result.ephemeral
    content = result.response.content
    assert content.startswith("Index rebuilt in 0.5 s: 1 added, 0 updated, 0 removed, 4 unchanged")
    assert "12 chunks embedded" in content and "skipped empty.txt" in content


async def test_reindex_hidden_by_default_permissions(simcord_env, fake_reindex) -> None:  # noqa: ANN001
    _, channel, alice = world(simcord_env)
    assert "reindex" not in alice.available_commands(channel)
    assert "ask" in alice.available_commands(channel)


async def test_reindex_refused_by_the_bot_when_discord_would_allow(simcord_env, fake_reindex) -> None:  # noqa: ANN001
    """A server admin overrides the command for a member; the bot's own check still holds."""
    guild, channel, alice = world(simcord_env)
    commands = await simcord_env.bot.tree.fetch_commands()
    reindex = next(c for c in commands if c.name == "reindex")
    assert reindex.default_member_permissions == discord.Permissions(manage_guild=True)
    guild.set_command_permissions(reindex, {alice: True})
    assert "reindex" in alice.available_commands(channel)

    result = await alice.slash(channel, "reindex")
    assert result.ephemeral
    assert "Manage Server" in result.response.content
    assert fake_reindex.calls == 0
    simcord.assert_error(simcord_env, app_commands.MissingPermissions)


@pytest.mark.parametrize("question", ["/reindex"])
async def test_reindex_disabled_without_callable(simcord_env, bot_deps, question) -> None:  # noqa: ANN001
    bot_deps.reindex = None
    guild, channel, _ = world(simcord_env)
    owner_role = guild.create_role("Owners", permissions=discord.Permissions(administrator=True))
    owner = guild.add_member(simcord_env.create_user("owner"), roles=[owner_role])
    result = await owner.slash(channel, "reindex")
    assert result.ephemeral and "not enabled" in result.response.content
    simcord.assert_error(simcord_env, Exception, contains="not enabled")


async def test_a_rebuild_longer_than_the_interaction_token_posts_its_summary_to_the_channel(
    simcord_env, fake_reindex, bot_deps, bot_config
) -> None:  # noqa: ANN001
    """The interaction token lasts 15 minutes; a longer build's summary must not be lost."""
    from dataclasses import replace

    from bot.client import NewsdeskBot

    await simcord_env.restart_bot(NewsdeskBot(bot_deps, replace(bot_config, interaction_token_s=0)))
    guild, channel, _ = world(simcord_env)
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    admin = guild.add_member(simcord_env.create_user("admin"), roles=[admins])
    await admin.slash(channel, "reindex")
    assert fake_reindex.calls == 1
    posted = channel.last_message
    assert posted.author.id == simcord_env.bot.user.id
    assert "Index rebuilt in 0.5 s: 1 added" in posted.content
    assert f"<@{admin.id}>" in posted.content  # says whose rebuild it was (pings nobody)
    assert_no_mentions_anywhere(simcord_env)
