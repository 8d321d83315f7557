"""`/timeline topic:` — the dated events of the articles (or of a topic), in order, each cited.

Registered when ``BotDeps.timeline`` is given (``newsdesk.app.build_bot_deps`` passes
``answering.timeline.timeline`` over the served index). Rendering is a pure function.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import discord
from discord import app_commands

from answering.models import Citation
from bot import compat
from bot.flow import AnswerFlow
from bot.render import NO_MENTIONS, hide_link_previews
from bot.split import MESSAGE_LIMIT, split_text, truncate

log = logging.getLogger(__name__)

DASH = " \u2014 "
SENTENCE_CHARS = 300  # one entry's sentence, shortened to keep a page readable


class EntryLike(Protocol):
    @property
    def when(self) -> str: ...

    @property
    def citation(self) -> Citation: ...


class TimelineLike(Protocol):
    """What `/timeline` needs (``answering.timeline.Timeline`` fits)."""

    @property
    def topic(self) -> str | None: ...

    @property
    def entries(self) -> Sequence[EntryLike]: ...


def timeline_pages(result: TimelineLike, limit: int = MESSAGE_LIMIT) -> list[str]:
    """`**2021-11-06** [1] “sentence” — Outlet, date (`doc_id`)` lines, split over messages."""
    topic = truncate(" ".join((result.topic or "").split()), 100)
    about = f" about \u201c{topic}\u201d" if topic else ""
    if not result.entries:
        return [f"No dated events found{about}."]
    lines = [f"**Timeline**{about} ({len(result.entries)} dated sentences, oldest first):"]
    for e in result.entries:
        c = e.citation
        sentence = truncate(" ".join(c.excerpt.split()), SENTENCE_CHARS)
        meta = c.byline(lead=DASH)
        lines.append(f"**{e.when}** [{c.n}] \u201c{sentence}\u201d{meta} (`{c.doc_id}`)")
    return split_text(hide_link_previews("\n".join(lines)), limit)


def timeline_command(
    flow: AnswerFlow, build: Callable[[str | None], TimelineLike]
) -> app_commands.Command[Any, Any, None]:
    """`/timeline topic:` around the bot's answer flow (its validation and per-user cooldown)."""

    @app_commands.command(name="timeline", description="Dated events of the articles in order, each cited.")
    @app_commands.describe(topic="Optional: only events about this, e.g. protests")
    async def timeline(interaction: discord.Interaction[Any], topic: str | None = None) -> None:
        # the same validation and per-user cooldown as a question (a timeline parses many sentences)
        settings = await flow.guild_settings(interaction.guild_id)
        checked = flow.check_question(interaction.user.id, topic or "timeline", settings)
        about = checked if topic and topic.strip() else None
        await compat.defer(interaction, thinking=True)
        result = await flow.core.run_blocking(build, about)
        pages = timeline_pages(result)
        await interaction.edit_original_response(content=pages[0], allowed_mentions=NO_MENTIONS)
        for page in pages[1:]:
            await interaction.followup.send(page, allowed_mentions=NO_MENTIONS, suppress_embeds=True)

    return timeline
