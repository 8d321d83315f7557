"""The buttons under every answer: Sources, 👍 and 👎.

A persistent view (no timeout, fixed custom_ids) registered once at start-up: clicks on
answers posted before a restart still work, because the answer is looked up by the id of
the message carrying the buttons in the feedback store, not kept in memory.

Every click is acknowledged (a private "thinking" defer) before the database is touched;
the database work runs on its own thread (``DbRunner``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import discord

from answering.models import Citation
from bot import compat
from bot.errors import UserFacingError, user_message
from bot.feedback import FeedbackStore
from bot.render import NO_MENTIONS, excerpt_embeds
from bot.worker import DbRunner

log = logging.getLogger(__name__)

SOURCES_ID = "newsdesk:sources"
VOTE_UP_ID = "newsdesk:vote:up"
VOTE_DOWN_ID = "newsdesk:vote:down"
OPT_OUT_ID = "newsdesk:auto:opt-out"
# (guild_id, user_id, opted_out) -> anything; blocking, run on the database thread.
OptOut = Callable[[int, int, bool], object]


def _message_id(interaction: discord.Interaction[Any]) -> int:
    if interaction.message is None:
        raise UserFacingError("I can't tell which answer this button belongs to.")
    return interaction.message.id


async def send_ephemeral(interaction: discord.Interaction[Any], content: str, **kwargs: Any) -> None:
    """Reply privately whether or not the interaction was already acknowledged."""
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, allowed_mentions=NO_MENTIONS, **kwargs)
    else:
        await compat.send_message(interaction, content, ephemeral=True, allowed_mentions=NO_MENTIONS, **kwargs)


class AnswerView(discord.ui.View):
    def __init__(self, feedback: FeedbackStore, db: DbRunner) -> None:
        super().__init__(timeout=None)
        self.feedback = feedback
        self.db = db

    @discord.ui.button(label="Sources", emoji="📄", style=discord.ButtonStyle.secondary, custom_id=SOURCES_ID)
    async def sources(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[AnswerView]
    ) -> None:
        message_id = _message_id(interaction)
        await compat.defer(interaction, ephemeral=True, thinking=True)
        stored = await self.db.run(self.feedback.answer_for, message_id)
        if stored is None:
            raise UserFacingError("I no longer have the sources of this answer.")
        citations = [Citation(**c) for c in stored.citations]
        if not citations:
            await send_ephemeral(interaction, "This answer cites no excerpts.")
            return
        for group in excerpt_embeds(citations):
            await interaction.followup.send(embeds=group, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @discord.ui.button(emoji="👍", style=discord.ButtonStyle.secondary, custom_id=VOTE_UP_ID)
    async def vote_up(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[AnswerView]
    ) -> None:
        await self._vote(interaction, 1)

    @discord.ui.button(emoji="👎", style=discord.ButtonStyle.secondary, custom_id=VOTE_DOWN_ID)
    async def vote_down(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[AnswerView]
    ) -> None:
        await self._vote(interaction, -1)

    async def _vote(self, interaction: discord.Interaction[Any], vote: int) -> None:
        message_id = _message_id(interaction)
        await compat.defer(interaction, ephemeral=True, thinking=True)
        try:
            counts = await self.db.run(self.feedback.vote, message_id, interaction.user.id, vote)
        except KeyError:
            raise UserFacingError("I can't find this answer any more, so I can't record a vote.") from None
        emoji = "👍" if vote > 0 else "👎"
        await send_ephemeral(
            interaction,
            f"Thanks, your {emoji} is recorded (this answer: {counts.up} 👍 / {counts.down} 👎). "
            "Click again to change it.",
        )

    async def on_error(
        self,
        interaction: discord.Interaction[Any],
        error: Exception,
        item: discord.ui.Item[Any],
    ) -> None:
        message = user_message(error)
        try:
            await send_ephemeral(interaction, message)
        except discord.HTTPException:
            log.warning("could not tell a user about a button error", exc_info=True)


class SourcesPager(discord.ui.View):
    """`/sources` as one private message with ◀ ▶ buttons, however many articles there are."""

    def __init__(self, pages: list[str], owner_id: int, *, timeout: float = 600.0) -> None:
        super().__init__(timeout=timeout)
        self.pages = pages
        self.owner_id = owner_id
        self.index = 0
        self._sync_buttons()

    def content(self) -> str:
        return f"{self.pages[self.index]}\n-# page {self.index + 1} of {len(self.pages)}"

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1

    async def _show(self, interaction: discord.Interaction[Any], step: int) -> None:
        self.index = max(0, min(len(self.pages) - 1, self.index + step))
        self._sync_buttons()
        await interaction.response.edit_message(content=self.content(), view=self, allowed_mentions=NO_MENTIONS)

    @discord.ui.button(label="◀", style=discord.ButtonStyle.secondary, custom_id="newsdesk:sources:previous")
    async def previous(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[SourcesPager]
    ) -> None:
        await self._show(interaction, -1)

    @discord.ui.button(label="▶", style=discord.ButtonStyle.secondary, custom_id="newsdesk:sources:next")
    async def next(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[SourcesPager]
    ) -> None:
        await self._show(interaction, 1)


class AutoAnswerView(AnswerView):
    """The answer buttons plus "Stop auto-answering me" (answers in auto-answer channels)."""

    def __init__(self, feedback: FeedbackStore, db: DbRunner, opt_out: OptOut) -> None:
        super().__init__(feedback, db)
        self.opt_out = opt_out

    @discord.ui.button(
        label="Stop auto-answering me", style=discord.ButtonStyle.secondary, custom_id=OPT_OUT_ID
    )
    async def stop_auto(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[AutoAnswerView]
    ) -> None:
        if interaction.guild_id is None:
            raise UserFacingError("Auto-answers only happen in servers.")
        await compat.defer(interaction, ephemeral=True, thinking=True)
        await self.db.run(self.opt_out, interaction.guild_id, interaction.user.id, True)
        await send_ephemeral(
            interaction,
            "Done: in this server I won't answer your messages here or in other auto-answer "
            "channels unless you mention me.",
        )
