"""Run the blocking answering core off the event loop, with a global concurrency limit.

Embedding, Chroma and model calls block; running them on the loop would stall the gateway
heartbeat. Every call goes through an executor thread; at most ``max_concurrency``
questions are worked on at once (the rest wait their turn, without blocking the loop).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, TypeVar

import discord

from answering.models import Answer, AnswerDelta, AnswerService, Turn
from newsdesk.errors import NoAnswer

log = logging.getLogger(__name__)

T = TypeVar("T")
_END = object()


class CoreRunner:
    def __init__(
        self,
        service: AnswerService,
        *,
        max_concurrency: int = 4,
        edit_interval_s: float = 1.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.service = service
        self.edit_interval_s = edit_interval_s
        self._clock = clock
        self._questions = asyncio.Semaphore(max_concurrency)

    def _now(self) -> float:
        return self._clock() if self._clock is not None else time.monotonic()

    async def run_blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker thread (no question slot taken)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, functools.partial(fn, *args))

    async def answer(self, question: str, history: Sequence[Turn]) -> Answer:
        async with self._questions:
            return await self.run_blocking(self.service.answer, question, tuple(history))

    async def stream(
        self,
        question: str,
        history: Sequence[Turn],
        on_partial: Callable[[str], Awaitable[None]],
    ) -> Answer:
        """Stream the answer; ``on_partial(text so far)`` at most once per edit interval.

        The first delta is shown at once; later ones are coalesced. Returns the final Answer.
        """
        async with self._questions:
            try:
                iterator: Iterator[AnswerDelta | Answer] = await self.run_blocking(
                    lambda: iter(self.service.stream(question, tuple(history)))
                )
            except NotImplementedError:
                return await self.run_blocking(self.service.answer, question, tuple(history))
            text = ""
            last_edit: float | None = None
            try:
                while True:
                    item = await self.run_blocking(next, iterator, _END)
                    if item is _END:
                        raise NoAnswer("The answering service ended without an answer.")
                    if isinstance(item, Answer):
                        return item
                    if isinstance(item, AnswerDelta) and item.text:
                        text += item.text
                        now = self._now()
                        if last_edit is None or now - last_edit >= self.edit_interval_s:
                            last_edit = now
                            await _safe_partial(on_partial, text)
            finally:
                close = getattr(iterator, "close", None)
                if callable(close):
                    await self.run_blocking(close)


async def _safe_partial(on_partial: Callable[[str], Awaitable[None]], text: str) -> None:
    """A failed progress edit must not lose the answer: log it and go on."""
    try:
        await on_partial(text)
    except discord.HTTPException as exc:
        log.warning("could not show streamed progress: %s", exc)
