"""Slash commands: /ask, /sources, /reindex.

Each validates, defers, calls one injected function off the event loop and renders the
typed result. Errors go to the tree's single handler (``NewsdeskTree.on_error``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot import compat
from bot.delivery import InteractionReply
from bot.errors import UserFacingError
from bot.render import reindex_report, sources_pages

if TYPE_CHECKING:
    from bot.client import NewsdeskBot

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()


def _bot(interaction: discord.Interaction[Any]) -> NewsdeskBot:
    from bot.client import NewsdeskBot

    client = interaction.client
    assert isinstance(client, NewsdeskBot)
    return client


@app_commands.command(name="ask", description="Ask about the news articles; the answer cites them.")
@app_commands.describe(question="Your question, e.g. who denied involvement in the attack?")
async def ask(interaction: discord.Interaction[Any], question: str) -> None:
    bot = _bot(interaction)
    question = bot.check_question(interaction.user.id, question)
    await compat.defer(interaction, thinking=True)
    channel = interaction.channel
    await bot.answer_to(
        InteractionReply(interaction, bot.answer_view),
        question,
        memory_key=bot.memory_key(channel),
        channel_id=interaction.channel_id,
        guild_id=interaction.guild_id,
        user_id=interaction.user.id,
    )


@app_commands.command(name="sources", description="List the articles newsdesk answers from.")
async def sources(interaction: discord.Interaction[Any]) -> None:
    bot = _bot(interaction)
    await compat.defer(interaction, thinking=True, ephemeral=True)
    documents = await bot.core.run_blocking(bot.deps.list_sources)
    pages = sources_pages(documents)
    await interaction.edit_original_response(content=pages[0], allowed_mentions=NO_MENTIONS)
    for page in pages[1:]:
        await interaction.followup.send(
            page, ephemeral=True, allowed_mentions=NO_MENTIONS, suppress_embeds=True
        )


@app_commands.command(name="reindex", description="Rebuild the article index (Manage Server only).")
@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
@app_commands.checks.has_permissions(manage_guild=True)
async def reindex(interaction: discord.Interaction[Any]) -> None:
    bot = _bot(interaction)
    if bot.deps.reindex is None:
        raise UserFacingError("Rebuilding the index is not enabled for this bot.")
    lock = bot.reindex_lock
    if lock.locked():
        raise UserFacingError("A rebuild is already running; its summary will be posted when done.")
    async with lock:
        await compat.defer(interaction, thinking=True, ephemeral=True)
        log.info("reindex requested by %s (%s)", interaction.user, interaction.user.id)
        summary = await bot.core.run_blocking(bot.deps.reindex)
        report = reindex_report(summary.to_dict())
    log.info("reindex done: %s", report.splitlines()[0])
    await interaction.edit_original_response(content=report, allowed_mentions=NO_MENTIONS)


def register_commands(tree: app_commands.CommandTree[Any]) -> None:
    commands: tuple[app_commands.Command[Any, Any, None], ...] = (ask, sources, reindex)
    for command in commands:
        tree.add_command(command)
