"""Put a rendered answer into Discord: as an interaction response or in a channel/thread.

Both targets share one shape: a first message that shows progress (the deferred response,
or a placeholder in the thread) and is edited with streamed text, then the final answer
split over as many messages as needed, the citations embed and the buttons on the last.
Every send passes ``AllowedMentions.none()`` (also set on the client) and text without our
embed is sent with link previews suppressed.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import discord

from bot.render import NO_MENTIONS, RenderedAnswer, partial_text

log = logging.getLogger(__name__)


class Reply(Protocol):
    async def progress(self, text: str) -> None: ...

    async def finish(self, rendered: RenderedAnswer) -> discord.Message:
        """Send the final answer; returns the message that carries the buttons."""
        ...

    async def fail(self, content: str) -> None: ...


class InteractionReply:
    """For `/ask`: the interaction was deferred; edit the original, then follow up."""

    def __init__(self, interaction: discord.Interaction[Any], view: discord.ui.View) -> None:
        self.interaction = interaction
        self.view = view

    async def progress(self, text: str) -> None:
        await self.interaction.edit_original_response(content=partial_text(text), allowed_mentions=NO_MENTIONS)

    async def finish(self, rendered: RenderedAnswer) -> discord.Message:
        contents = rendered.contents
        embeds = [rendered.embed] if rendered.embed else []
        last = len(contents) - 1
        try:
            first: discord.Message = await self.interaction.edit_original_response(
                content=contents[0],
                embeds=embeds if last == 0 else [],
                view=self.view if last == 0 else None,
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException as exc:
            # Some Discord-compatible servers cannot edit; a follow-up still answers.
            log.warning("editing the deferred response failed (%s); sending a follow-up", exc)
            first = await self._followup(contents[0], embeds if last == 0 else [], last == 0)
        message = first
        for index, content in enumerate(contents[1:], start=1):
            is_last = index == last
            message = await self._followup(content, embeds if is_last else [], is_last)
        return message

    async def _followup(self, content: str, embeds: list[discord.Embed], with_view: bool) -> discord.Message:
        kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS, "wait": True}
        if embeds:
            kwargs["embeds"] = embeds
        else:
            kwargs["suppress_embeds"] = True
        if with_view:
            kwargs["view"] = self.view
        return await self.interaction.followup.send(content, **kwargs)

    async def fail(self, content: str) -> None:
        await self.interaction.edit_original_response(
            content=content, embeds=[], view=None, allowed_mentions=NO_MENTIONS
        )


class ChannelReply:
    """For mentions and thread follow-ups: a placeholder message, edited, then more sends."""

    PLACEHOLDER = "Looking through the articles…"

    def __init__(
        self,
        channel: discord.abc.Messageable,
        view: discord.ui.View,
        *,
        reference: discord.Message | None = None,
    ) -> None:
        self.channel = channel
        self.view = view
        self.reference = reference
        self.placeholder: discord.Message | None = None

    async def start(self) -> None:
        kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
        if self.reference is not None:
            kwargs["reference"] = self.reference.to_reference(fail_if_not_exists=False)
            kwargs["mention_author"] = False
        self.placeholder = await self.channel.send(self.PLACEHOLDER, **kwargs)

    async def progress(self, text: str) -> None:
        if self.placeholder is not None:
            await self.placeholder.edit(content=partial_text(text), allowed_mentions=NO_MENTIONS)

    async def finish(self, rendered: RenderedAnswer) -> discord.Message:
        contents = rendered.contents
        embeds = [rendered.embed] if rendered.embed else []
        last = len(contents) - 1
        message: discord.Message | None = None
        start_index = 0
        if self.placeholder is not None:
            try:
                message = await self.placeholder.edit(
                    content=contents[0],
                    embeds=embeds if last == 0 else [],
                    view=self.view if last == 0 else None,
                    allowed_mentions=NO_MENTIONS,
                )
                start_index = 1
            except discord.HTTPException as exc:
                log.warning("editing the placeholder failed (%s); sending new messages", exc)
        for index in range(start_index, len(contents)):
            is_last = index == last
            kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
            if is_last and embeds:
                kwargs["embeds"] = embeds
            else:
                kwargs["suppress_embeds"] = True
            if is_last:
                kwargs["view"] = self.view
            message = await self.channel.send(contents[index], **kwargs)
        assert message is not None
        return message

    async def fail(self, content: str) -> None:
        if self.placeholder is not None:
            try:
                await self.placeholder.edit(content=content, embeds=[], view=None, allowed_mentions=NO_MENTIONS)
                return
            except discord.HTTPException:
                log.warning("could not edit the placeholder with an error", exc_info=True)
        await self.channel.send(content, allowed_mentions=NO_MENTIONS)
