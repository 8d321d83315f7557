"""Slash commands: /ask, /sources, /reindex and the admin group /newsdesk.

Each validates, defers, calls one injected function off the event loop and renders the
typed result. Errors go to the tree's single handler (``NewsdeskTree.on_error``).

No ``from __future__ import annotations`` here: discord.py reads the parameter
annotations, and ``/ask``'s ``app_commands.Range`` carries the configured length limit,
a value only known when the commands are built.
"""

import asyncio
import logging
import time
from dataclasses import replace
from typing import Any

import discord
from discord import app_commands

from bot import compat
from bot.delivery import InteractionReply
from bot.errors import UserFacingError
from bot.flow import AnswerFlow
from bot.guild_config import MENTION_MODES, GuildSettings
from bot.render import NO_MENTIONS, reindex_report, sources_pages, stats_report
from bot.split import MESSAGE_LIMIT
from bot.views import SourcesPager

log = logging.getLogger(__name__)

# Discord's upper bound for a string option's max_length.
OPTION_MAX_LENGTH = 6000


class AdminGroup(app_commands.Group):
    """`/newsdesk ...`: hidden from members without Manage Server, and checked by the bot."""

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        permissions = interaction.permissions
        if not (permissions.manage_guild or permissions.administrator):
            raise app_commands.MissingPermissions(["manage_guild"])
        return True


class NewsdeskCommands:
    """Builds the commands around one AnswerFlow (no reference back to the client)."""

    def __init__(self, flow: AnswerFlow) -> None:
        self.flow = flow
        self.reindex_lock = asyncio.Lock()

    def register(self, tree: app_commands.CommandTree[Any]) -> None:
        for command in (self._ask(), self._sources(), self._reindex(), self._admin_group()):
            tree.add_command(command)

    # --- /ask ---------------------------------------------------------------------------
    def _ask(self) -> app_commands.Command[Any, Any, None]:
        flow = self.flow
        limit = min(flow.config.max_question_chars, OPTION_MAX_LENGTH)

        @app_commands.command(name="ask", description="Ask about the news articles; the answer cites them.")
        @app_commands.describe(question="Your question, e.g. who denied involvement in the attack?")
        async def ask(
            interaction: discord.Interaction[Any], question: app_commands.Range[str, 1, limit]
        ) -> None:
            settings = await flow.guild_settings(interaction.guild_id)
            if settings is not None and interaction.channel_id is not None:
                parent = getattr(interaction.channel, "parent_id", None)
                if not settings.allows(interaction.channel_id, parent):
                    raise UserFacingError(_not_here(settings))
            question = flow.check_question(interaction.user.id, question, settings)
            await compat.defer(interaction, thinking=True)
            await flow.answer_to(
                InteractionReply(interaction, flow.view),
                question,
                conversation=flow.conversation(interaction.channel, interaction.user.id),
                channel_id=interaction.channel_id,
                guild_id=interaction.guild_id,
                user_id=interaction.user.id,
            )

        return ask

    # --- /sources -----------------------------------------------------------------------
    def _sources(self) -> app_commands.Command[Any, Any, None]:
        flow = self.flow

        @app_commands.command(name="sources", description="List the articles newsdesk answers from.")
        async def sources(interaction: discord.Interaction[Any]) -> None:
            await compat.defer(interaction, thinking=True, ephemeral=True)
            documents = await flow.core.run_blocking(flow.deps.list_sources)
            pages = sources_pages(documents, limit=MESSAGE_LIMIT - 40)
            if len(pages) == 1:
                await interaction.edit_original_response(content=pages[0], allowed_mentions=NO_MENTIONS)
                return
            pager = SourcesPager(pages, interaction.user.id)
            await interaction.edit_original_response(
                content=pager.content(), view=pager, allowed_mentions=NO_MENTIONS
            )

        return sources

    # --- /reindex -----------------------------------------------------------------------
    def _reindex(self) -> app_commands.Command[Any, Any, None]:
        flow = self.flow
        lock = self.reindex_lock

        @app_commands.command(name="reindex", description="Rebuild the article index (Manage Server only).")
        @app_commands.guild_only()
        @app_commands.default_permissions(manage_guild=True)
        @app_commands.checks.has_permissions(manage_guild=True)
        async def reindex(interaction: discord.Interaction[Any]) -> None:
            build = flow.deps.reindex
            if build is None:
                raise UserFacingError("Rebuilding the index is not enabled for this bot.")
            if lock.locked():
                raise UserFacingError("A rebuild is already running; its summary will be posted when done.")
            async with lock:
                started = time.monotonic()
                await compat.defer(interaction, thinking=True, ephemeral=True)
                log.info("reindex requested by %s (%s)", interaction.user, interaction.user.id)
                summary = await flow.core.run_blocking(build)
                report = reindex_report(summary.to_dict())
            log.info("reindex done: %s", report.splitlines()[0])
            await deliver_late(
                interaction, report, expired=time.monotonic() - started >= flow.config.interaction_token_s
            )

        return reindex

    # --- /newsdesk ----------------------------------------------------------------------
    def _admin_group(self) -> app_commands.Group:
        flow = self.flow
        group = AdminGroup(
            name="newsdesk",
            description="newsdesk settings and usage for this server (Manage Server only).",
            guild_only=True,
            default_permissions=discord.Permissions(manage_guild=True),
        )
        # discord.py runs the interaction_check of a command's direct parent: both levels check.
        config = AdminGroup(
            name="config", description="Where and how newsdesk answers in this server.", parent=group
        )

        async def update(interaction: discord.Interaction[Any], change: Any) -> GuildSettings:
            store = flow.guild_config
            if store is None:
                raise UserFacingError("Per-server settings are not enabled for this bot.")
            assert interaction.guild_id is not None
            await compat.defer(interaction, thinking=True, ephemeral=True)
            return await flow.db.run(change, store, interaction.guild_id)

        async def show(interaction: discord.Interaction[Any], settings: GuildSettings) -> None:
            await interaction.edit_original_response(
                content=describe_settings(settings, flow), allowed_mentions=NO_MENTIONS
            )

        @config.command(name="show", description="Show this server's newsdesk settings.")
        async def config_show(interaction: discord.Interaction[Any]) -> None:
            settings = await update(interaction, lambda store, gid: store.get(gid))
            await show(interaction, settings)

        @config.command(name="allow", description="Answer only in listed channels (add/remove one).")
        @app_commands.describe(
            channel="A channel (its threads count too)", allowed="Add (true) or remove (false)"
        )
        async def config_allow(
            interaction: discord.Interaction[Any],
            channel: discord.TextChannel | discord.ForumChannel,
            allowed: bool = True,
        ) -> None:
            settings = await update(
                interaction, lambda store, gid: store.set_channel(gid, channel.id, "allow", allowed)
            )
            await show(interaction, settings)

        @config.command(name="auto-answer", description="Answer every new message or forum post in a channel.")
        @app_commands.describe(channel="A text channel or forum", enabled="On (true) or off (false)")
        async def config_auto(
            interaction: discord.Interaction[Any],
            channel: discord.TextChannel | discord.ForumChannel,
            enabled: bool = True,
        ) -> None:
            settings = await update(
                interaction, lambda store, gid: store.set_channel(gid, channel.id, "auto", enabled)
            )
            await show(interaction, settings)

        @config.command(name="mention-mode", description="Answer mentions in a thread or a reply.")
        @app_commands.choices(mode=[app_commands.Choice(name=m, value=m) for m in MENTION_MODES])
        async def config_mode(interaction: discord.Interaction[Any], mode: str) -> None:
            settings = await update(
                interaction,
                lambda store, gid: store.update(gid, lambda s: replace(s, mention_mode=mode)),
            )
            await show(interaction, settings)

        @config.command(name="cooldown", description="Questions per user per window here (0 = bot default).")
        @app_commands.describe(rate="Questions per window", per_seconds="Window length in seconds")
        async def config_cooldown(
            interaction: discord.Interaction[Any],
            rate: app_commands.Range[int, 0, 1000],
            per_seconds: app_commands.Range[float, 0, 86400],
        ) -> None:
            settings = await update(
                interaction,
                lambda store, gid: store.update(
                    gid,
                    lambda s: replace(s, cooldown_rate=rate or None, cooldown_per_s=per_seconds or None),
                ),
            )
            await show(interaction, settings)

        @group.command(name="stats", description="Questions, refusals and 👍/👎 in this server.")
        @app_commands.describe(days="How many days back (default 7)")
        async def stats(
            interaction: discord.Interaction[Any], days: app_commands.Range[int, 1, 365] = 7
        ) -> None:
            assert interaction.guild_id is not None
            await compat.defer(interaction, thinking=True, ephemeral=True)
            data = await flow.db.run(flow.feedback.stats, interaction.guild_id, days)
            await interaction.edit_original_response(content=stats_report(data), allowed_mentions=NO_MENTIONS)

        return group


def _not_here(settings: GuildSettings) -> str:
    channels = ", ".join(f"<#{c}>" for c in sorted(settings.allowed_channels))
    return f"I only answer in {channels} on this server."


def describe_settings(settings: GuildSettings, flow: AnswerFlow) -> str:
    def channels(ids: frozenset[int]) -> str:
        return ", ".join(f"<#{c}>" for c in sorted(ids))

    rate = settings.cooldown_rate or flow.config.cooldown_rate
    per = settings.cooldown_per_s or flow.config.cooldown_per_s
    lines = [
        "**newsdesk settings for this server**",
        f"Answers in: {channels(settings.allowed_channels) or 'every channel'}",
        f"Auto-answer in: {channels(settings.auto_answer_channels) or 'no channel'}",
        f"Mentions answered in: a {settings.mention_mode}",
        f"Cooldown: {rate} question(s) per {per:g} s per user"
        + (" (server override)" if settings.cooldown_rate or settings.cooldown_per_s else ""),
        f"Users opted out of auto-answers: {len(settings.opted_out)}",
    ]
    if settings.auto_answer_channels and not flow.config.message_content:
        lines.append(
            "⚠ Auto-answer needs the Message Content intent: set "
            "NEWSDESK_DISCORD_MESSAGE_CONTENT=true and enable it in the Developer Portal."
        )
    return "\n".join(lines)


async def deliver_late(interaction: discord.Interaction[Any], text: str, *, expired: bool) -> None:
    """Post a result after slow work: the interaction while its token lives, else the channel.

    An interaction token lasts 15 minutes; a long rebuild's summary goes to the channel the
    command was used in, or to the admin by DM when the bot may not post there.
    """
    if not expired:
        try:
            await interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)
            return
        except discord.HTTPException as exc:
            log.info("could not edit the interaction response (%s); posting instead", exc)
    mention = f"<@{interaction.user.id}> " if interaction.user else ""
    channel = interaction.channel
    if isinstance(channel, discord.abc.Messageable):
        try:
            await channel.send(mention + text, allowed_mentions=NO_MENTIONS)
            return
        except discord.HTTPException as exc:
            log.info("could not post the summary in the channel (%s); sending a DM", exc)
    try:
        await interaction.user.send(text, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException:
        log.warning("could not deliver a late command result", exc_info=True)
