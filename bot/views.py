"""The buttons under every answer: Sources, 👍 and 👎.

A persistent view (no timeout, fixed custom_ids) registered once at start-up: clicks on
answers posted before a restart still work, because the answer is looked up by the id of
the message carrying the buttons in the feedback store, not kept in memory.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from answering.models import Citation
from bot import compat
from bot.errors import UserFacingError, user_message
from bot.render import excerpt_embeds

if TYPE_CHECKING:
    from bot.client import NewsdeskBot

log = logging.getLogger(__name__)

SOURCES_ID = "newsdesk:sources"
VOTE_UP_ID = "newsdesk:vote:up"
VOTE_DOWN_ID = "newsdesk:vote:down"
NO_MENTIONS = discord.AllowedMentions.none()


def _bot(interaction: discord.Interaction[Any]) -> NewsdeskBot:
    from bot.client import NewsdeskBot

    client = interaction.client
    if not isinstance(client, NewsdeskBot):  # pragma: no cover - wiring error
        raise RuntimeError("AnswerView used outside NewsdeskBot")
    return client


def _message_id(interaction: discord.Interaction[Any]) -> int:
    if interaction.message is None:
        raise UserFacingError("I can't tell which answer this button belongs to.")
    return interaction.message.id


async def send_ephemeral(
    interaction: discord.Interaction[Any], content: str, **kwargs: Any
) -> None:
    """Reply privately whether or not the interaction was already acknowledged."""
    if interaction.response.is_done():
        await interaction.followup.send(
            content, ephemeral=True, allowed_mentions=NO_MENTIONS, **kwargs
        )
    else:
        await compat.send_message(
            interaction, content, ephemeral=True, allowed_mentions=NO_MENTIONS, **kwargs
        )


class AnswerView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(
        label="Sources", emoji="📄", style=discord.ButtonStyle.secondary, custom_id=SOURCES_ID
    )
    async def sources(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[AnswerView]
    ) -> None:
        bot = _bot(interaction)
        stored = await bot.core.run_blocking(bot.feedback.answer_for, _message_id(interaction))
        if stored is None:
            raise UserFacingError("I no longer have the sources of this answer.")
        citations = [Citation(**c) for c in stored.citations]
        if not citations:
            await send_ephemeral(interaction, "This answer cites no excerpts.")
            return
        groups = excerpt_embeds(citations)
        await compat.send_message(
            interaction, embeds=groups[0], ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        for group in groups[1:]:
            await interaction.followup.send(
                embeds=group, ephemeral=True, allowed_mentions=NO_MENTIONS
            )

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
        bot = _bot(interaction)
        message_id = _message_id(interaction)
        try:
            counts = await bot.core.run_blocking(
                bot.feedback.vote, message_id, interaction.user.id, vote
            )
        except KeyError:
            raise UserFacingError(
                "I can't find this answer any more, so I can't record a vote."
            ) from None
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
