"""The answer flow every surface shares: validate, remember, answer, deliver, record.

`/ask`, mentions, auto-answer channels and thread follow-ups all hand a question to one
``AnswerFlow``; it holds what they need (the core runner, memory, cooldown, the feedback
store) and knows nothing of how it was started. The ``discord.Client`` only builds it.

It also owns graceful shutdown: ``drain()`` stops new questions, waits for answers in
flight, and closes whatever is still running with a short note, so no user is left
looking at "thinking..." after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from typing import Any

import discord
from discord.ext import commands

from answering.models import Answer, Turn
from bot.delivery import Reply
from bot.deps import BotConfig, BotDeps
from bot.errors import Throttled, UserFacingError, user_message
from bot.guild_config import GuildConfigStore, GuildSettings
from bot.memory import (
    ConversationKey,
    ConversationMemory,
    dm_key,
    is_reply_key,
    reply_key,
    thread_key,
)
from bot.render import render_answer
from bot.worker import CoreRunner, DbRunner
from newsdesk.errors import QuestionInvalid

log = logging.getLogger(__name__)

RESTARTING = "newsdesk is restarting and could not finish this answer. Please ask again in a minute."
CLOSING = "newsdesk is restarting; please ask again in a minute."


class AnswerFlow:
    def __init__(
        self,
        client: discord.Client,
        deps: BotDeps,
        config: BotConfig,
        *,
        db: DbRunner,
        guild_config: GuildConfigStore | None = None,
    ) -> None:
        self.client = client
        self.deps = deps
        self.config = config
        self.db = db
        # Views need the running loop: the client sets them in setup_hook.
        self._view: discord.ui.View | None = None
        self.auto_answer_view: discord.ui.View | None = None
        self.feedback = deps.feedback
        self.guild_config = guild_config
        self.core = CoreRunner(
            deps.service,
            max_concurrency=config.max_concurrency,
            edit_interval_s=config.stream_edit_s,
            clock=deps.clock,
        )
        self.memory = ConversationMemory(config.history_turns, config.memory_channels)
        # discord.py's cooldown, keyed by user id and shared by every surface.
        self.cooldown: commands.CooldownMapping[int] = commands.CooldownMapping.from_cooldown(
            config.cooldown_rate, config.cooldown_per_s, lambda user_id: user_id
        )
        self._overrides: dict[tuple[int, int, float], commands.CooldownMapping[int]] = {}
        self.closing = False
        self._inflight: dict[asyncio.Task[Any], Reply] = {}

    @property
    def view(self) -> discord.ui.View:
        """The buttons under every answer."""
        if self._view is None:
            raise RuntimeError("the bot is not set up yet (setup_hook has not run)")
        return self._view

    def set_views(self, answer: discord.ui.View, auto_answer: discord.ui.View | None) -> None:
        self._view = answer
        self.auto_answer_view = auto_answer

    # --- questions ----------------------------------------------------------------------
    async def guild_settings(self, guild_id: int | None) -> GuildSettings | None:
        """This server's settings (None in DMs, or when no settings store is configured)."""
        if guild_id is None or self.guild_config is None:
            return None
        cached = self.guild_config.cached(guild_id)
        if cached is not None:
            return cached
        return await self.db.run(self.guild_config.get, guild_id)

    def _cooldown_for(self, settings: GuildSettings | None) -> commands.CooldownMapping[int]:
        if settings is None or (settings.cooldown_rate is None and settings.cooldown_per_s is None):
            return self.cooldown
        rate = settings.cooldown_rate or self.config.cooldown_rate
        per = settings.cooldown_per_s or self.config.cooldown_per_s
        key = (settings.guild_id, rate, per)
        mapping = self._overrides.get(key)
        if mapping is None:
            mapping = commands.CooldownMapping.from_cooldown(rate, per, lambda user_id: user_id)
            self._overrides[key] = mapping
        return mapping

    def check_question(self, user_id: int, question: str, settings: GuildSettings | None = None) -> str:
        """Validate before any slow work; raises QuestionInvalid, Throttled or UserFacingError."""
        if self.closing:
            raise UserFacingError(CLOSING)
        question = question.strip()
        if not question:
            raise QuestionInvalid("Please ask a question, e.g. `/ask question: who denied involvement?`")
        limit = self.config.max_question_chars
        if len(question) > limit:
            raise QuestionInvalid(
                f"Your question is {len(question)} characters long; the limit is {limit}. Please shorten it."
            )
        # time.monotonic looked up at call time (simulators that virtualise the clock work),
        # plus 1 s: discord.py's Cooldown takes a ``current`` of 0.0 as "not given".
        cooldown = self._cooldown_for(settings)
        retry_after = cooldown.update_rate_limit(user_id, time.monotonic() + 1.0)
        if retry_after:
            raise Throttled(retry_after)
        return question

    # --- conversations ------------------------------------------------------------------
    def is_own_thread(self, channel: Any) -> bool:
        user = self.client.user
        return isinstance(channel, discord.Thread) and user is not None and channel.owner_id == user.id

    def conversation(self, channel: Any, user_id: int) -> ConversationKey | None:
        """Which remembered conversation a question in ``channel`` belongs to (None: none).

        A thread is one conversation, a DM is one; `/ask` in a channel is remembered
        nowhere. Mentions answered by a reply in a channel use ``reply_conversation``.
        """
        if isinstance(channel, discord.Thread):
            return thread_key(channel.id)
        if isinstance(channel, discord.DMChannel):
            return dm_key(channel.id)
        return None

    @staticmethod
    def reply_conversation(channel_id: int, user_id: int) -> ConversationKey:
        """Replies in a channel: each user's questions are their own conversation."""
        return reply_key(channel_id, user_id)

    async def answer_to(
        self,
        reply: Reply,
        question: str,
        *,
        conversation: ConversationKey | None,
        channel_id: int | None,
        guild_id: int | None,
        user_id: int,
    ) -> Answer | None:
        """Answer ``question`` into ``reply``; errors become a short message in place."""
        with self._in_flight(reply):
            history: tuple[Turn, ...] = ()
            if conversation is not None:
                history = await self._history(conversation, channel_id, user_id)
            try:
                answer = await self.core.stream(question, history, reply.progress)
                message = await reply.finish(render_answer(answer))
            except asyncio.CancelledError:
                try:
                    await reply.fail(RESTARTING)
                except Exception:  # noqa: BLE001 - shutting down; the log is all that is left
                    log.warning("could not close an answer in flight", exc_info=True)
                raise
            except Exception as exc:  # noqa: BLE001 - the one translation point for answers
                await reply.fail(user_message(exc))
                return None
            if conversation is not None:
                self.memory.add(conversation, Turn(question=question, answer=answer.answer))
            try:
                await self.db.run(
                    lambda: self.feedback.record_answer(
                        message.id, answer, channel_id=channel_id, guild_id=guild_id, asked_by=user_id
                    )
                )
            except Exception:  # the answer is out; losing its feedback row must not hide it
                log.exception("could not record the answer for feedback")
            return answer

    @contextlib.contextmanager
    def _in_flight(self, reply: Reply) -> Iterator[None]:
        """Registered while answering, so a SIGTERM drain can close the reply."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight[task] = reply
        try:
            yield
        finally:
            if task is not None:
                self._inflight.pop(task, None)

    async def _history(
        self, conversation: ConversationKey, channel_id: int | None, user_id: int
    ) -> tuple[Turn, ...]:
        """Remembered turns; after a restart, rebuilt once from the stored answers."""
        if conversation in self.memory or channel_id is None or self.memory.max_turns == 0:
            return self.memory.history(conversation)
        asked_by = user_id if is_reply_key(conversation) else None
        try:
            turns = await self.db.run(
                lambda: self.feedback.recent_turns(
                    channel_id, self.memory.max_turns, asked_by=asked_by
                )
            )
        except Exception:  # memory is a convenience: answer without it rather than fail
            log.warning("could not rebuild a conversation's history", exc_info=True)
            return ()
        self.memory.replace(conversation, turns)
        return tuple(turns)

    # --- shutdown -----------------------------------------------------------------------
    @property
    def in_flight(self) -> int:
        return len(self._inflight)

    async def drain(self, grace_s: float) -> None:
        """Take no new questions; give answers in flight ``grace_s`` to finish, close the rest."""
        self.closing = True
        pending = set(self._inflight)
        if pending:
            log.info("finishing %d answer(s) in flight (up to %.0f s)", len(pending), grace_s)
            _, pending = await asyncio.wait(pending, timeout=grace_s)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("closed %d unfinished answer(s) for the restart", len(pending))
            await asyncio.wait(pending, timeout=5)
        self.core.close()
