"""The Discord client: wiring, start-up, and the answer flow shared by every surface.

Everything it needs is passed in (``BotDeps``): the answering service, the reindex and
list-sources callables, the feedback store. Nothing here imports the index or builds
the core, so tests hand it fakes that implement the same interfaces.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import discord
from discord import app_commands

from answering.models import Answer, AnswerService, Turn
from bot.cooldown import UserCooldown
from bot.delivery import Reply
from bot.errors import Throttled, user_message
from bot.feedback import FeedbackStore
from bot.memory import ConversationMemory
from bot.render import DocumentLike, render_answer
from bot.views import AnswerView, send_ephemeral
from bot.worker import CoreRunner
from newsdesk.errors import QuestionInvalid

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()


class SummaryLike(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class BotConfig:
    max_question_chars: int = 1000
    cooldown_rate: int = 3
    cooldown_per_s: float = 30.0
    max_concurrency: int = 4
    history_turns: int = 6
    memory_channels: int = 1000
    stream_edit_s: float = 1.0
    guild_id: int | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> BotConfig:
        return cls(
            max_question_chars=settings.max_question_chars,
            cooldown_rate=settings.discord_cooldown_rate,
            cooldown_per_s=settings.discord_cooldown_per_s,
            max_concurrency=settings.discord_max_concurrency,
            history_turns=settings.discord_history_turns,
            memory_channels=settings.discord_memory_channels,
            stream_edit_s=settings.discord_stream_edit_s,
            guild_id=settings.discord_guild_id,
        )


@dataclass
class BotDeps:
    service: AnswerService
    feedback: FeedbackStore
    list_sources: Callable[[], Sequence[DocumentLike]]
    reindex: Callable[[], SummaryLike] | None = None
    describe_index: Callable[[], str] | None = None  # "collection X, generation Y" for logs
    clock: Callable[[], float] | None = None  # streaming edit pacing; tests inject one
    timeline: Callable[[str | None], Any] | None = None  # topic -> answering.timeline.Timeline


class NewsdeskTree(app_commands.CommandTree[Any]):
    """The one error handler for slash commands."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        message = user_message(error)
        try:
            if interaction.response.is_done():
                await interaction.edit_original_response(
                    content=message, embeds=[], view=None, allowed_mentions=NO_MENTIONS
                )
            else:
                await send_ephemeral(interaction, message)
        except discord.HTTPException:
            log.warning("could not tell a user about a command error", exc_info=True)


def _short(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[:limit] + "…"


def _scope(guild: discord.Object | None) -> str:
    return f"guild {guild.id}" if guild is not None else "global"


def default_intents() -> discord.Intents:
    """Guilds + messages + message content (to read the question in a mention)."""
    intents = discord.Intents.default()
    intents.message_content = True
    intents.members = False
    intents.presences = False
    return intents


class NewsdeskBot(discord.Client):
    def __init__(self, deps: BotDeps, config: BotConfig | None = None, **options: Any) -> None:
        options.setdefault("intents", default_intents())
        super().__init__(allowed_mentions=NO_MENTIONS, **options)
        self.deps = deps
        self.config = config or BotConfig()
        self.feedback = deps.feedback
        self.core = CoreRunner(
            deps.service,
            max_concurrency=self.config.max_concurrency,
            edit_interval_s=self.config.stream_edit_s,
            clock=deps.clock,
        )
        self.cooldown = UserCooldown(self.config.cooldown_rate, self.config.cooldown_per_s)
        self.memory = ConversationMemory(self.config.history_turns, self.config.memory_channels)
        # Views need the running loop (made in setup_hook); one instance serves every answer.
        self._answer_view: AnswerView | None = None
        self.tree = NewsdeskTree(self)
        self.reindex_lock = asyncio.Lock()

    # --- start-up ---------------------------------------------------------------------
    async def login(self, token: str) -> None:
        """Log in, tolerating servers without `GET /oauth2/applications/@me`.

        discord.py fetches the application after the token check; a Discord-compatible
        server may not serve it. The bot user id stands in for the application id until
        READY provides the real one.
        """
        try:
            await super().login(token)
        except (discord.HTTPException, KeyError, TypeError, ValueError) as exc:
            user = self._connection.user
            if user is None:
                raise
            log.warning("could not fetch the application (%s); using the bot user id", exc)
            if self._connection.application_id is None:
                self._connection.application_id = user.id
            await self.setup_hook()

    async def setup_hook(self) -> None:
        from bot.commands import register_commands
        from bot.timeline import register_timeline

        register_commands(self.tree)
        register_timeline(self)
        self._answer_view = AnswerView()
        self.add_view(self._answer_view)  # persistent: survives restarts
        await self.sync_commands()

    @property
    def answer_view(self) -> AnswerView:
        if self._answer_view is None:
            raise RuntimeError("the bot is not set up yet (setup_hook has not run)")
        return self._answer_view

    async def sync_commands(self) -> None:
        guild = discord.Object(id=self.config.guild_id) if self.config.guild_id else None
        try:
            if guild is not None:
                self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d slash commands (%s)", len(synced), _scope(guild))
            return
        except discord.HTTPException as exc:
            log.warning(
                "slash command sync failed (%s); retrying in the documented shape", _short(exc)
            )
        try:
            await self._sync_spec_payload(guild)
        except discord.HTTPException as exc:
            log.error("could not sync slash commands (%s); mentions still work", _short(exc))

    async def _sync_spec_payload(self, guild: discord.Object | None) -> None:
        """Sync with ``default_member_permissions`` as a string, as Discord documents it.

        discord.py sends an integer, which Discord accepts but stricter compatible servers
        may not.
        """
        if self.application_id is None:
            raise discord.ClientException("no application id to sync commands for")
        payload = []
        for command in self.tree.get_commands(guild=guild):
            data = command.to_dict(self.tree)
            permissions = data.get("default_member_permissions")
            if permissions is not None:
                data["default_member_permissions"] = str(permissions)
            payload.append(data)
        if guild is not None:
            await self.http.bulk_upsert_guild_commands(self.application_id, guild.id, payload)
        else:
            await self.http.bulk_upsert_global_commands(self.application_id, payload)
        log.info("synced %d slash commands (%s)", len(payload), _scope(guild))

    async def on_ready(self) -> None:
        index = "unknown index"
        if self.deps.describe_index is not None:
            try:
                index = await self.core.run_blocking(self.deps.describe_index)
            except Exception:  # only for the log line
                log.warning("could not describe the index", exc_info=True)
        log.info(
            "newsdesk bot ready as %s (id %s) in %d guild(s), serving %s",
            self.user,
            self.user.id if self.user else "?",
            len(self.guilds),
            index,
        )

    # --- the answer flow --------------------------------------------------------------
    def check_question(self, user_id: int, question: str) -> str:
        """Validate before any slow work; raises QuestionInvalid or Throttled."""
        question = question.strip()
        if not question:
            raise QuestionInvalid(
                "Please ask a question, e.g. `/ask question: who denied involvement?`"
            )
        limit = self.config.max_question_chars
        if len(question) > limit:
            raise QuestionInvalid(
                f"Your question is {len(question)} characters long; the limit is {limit}. "
                "Please shorten it."
            )
        retry_after = self.cooldown.hit(user_id)
        if retry_after > 0:
            raise Throttled(retry_after)
        return question

    def is_own_thread(self, channel: Any) -> bool:
        return (
            isinstance(channel, discord.Thread)
            and self.user is not None
            and channel.owner_id == self.user.id
        )

    def memory_key(self, channel: Any) -> int | None:
        """Conversations are remembered in threads the bot started (or a reply channel)."""
        if channel is None:
            return None
        if self.is_own_thread(channel) or isinstance(channel, discord.DMChannel):
            return int(channel.id)
        return None

    async def answer_to(
        self,
        reply: Reply,
        question: str,
        *,
        memory_key: int | None,
        channel_id: int | None,
        guild_id: int | None,
        user_id: int,
    ) -> Answer | None:
        """Answer ``question`` into ``reply``; errors become a short message in place."""
        history: tuple[Turn, ...] = self.memory.history(memory_key) if memory_key else ()
        try:
            answer = await self.core.stream(question, history, reply.progress)
            message = await reply.finish(render_answer(answer))
        except Exception as exc:  # noqa: BLE001 - the one translation point for answers
            await reply.fail(user_message(exc))
            return None
        if memory_key is not None:
            self.memory.add(memory_key, Turn(question=question, answer=answer.answer))
        try:
            await self.core.run_blocking(
                lambda: self.feedback.record_answer(
                    message.id, answer, channel_id=channel_id, guild_id=guild_id, asked_by=user_id
                )
            )
        except Exception:  # the answer is out; losing its feedback row must not hide it
            log.exception("could not record the answer for feedback")
        return answer

    # --- mentions and thread follow-ups -------------------------------------------------
    async def on_message(self, message: discord.Message) -> None:
        from bot.mentions import handle_message

        await handle_message(self, message)
