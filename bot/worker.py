"""Run the blocking answering core off the event loop, with a global concurrency limit.

Embedding, Chroma and model calls block; running them on the loop would stall the gateway
heartbeat. The core gets its own thread pool (``max_concurrency`` questions at once, the
rest wait their turn without blocking the loop), so the default executor and the feedback
database's own thread are never queued behind answers.

A streamed answer is iterated by one worker thread from start to end: a generator must
never be resumed or closed from two threads (``ValueError: generator already executing``
when a shutdown cancelled the wait while ``next()`` was still running).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
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
        # One spare thread for the small calls (describe the index, list sources, reindex).
        self._executor = ThreadPoolExecutor(max_workers=max_concurrency + 1, thread_name_prefix="newsdesk-core")
        self._busy = 0
        self._busy_lock = threading.Lock()

    @property
    def busy(self) -> int:
        """Core calls running in a thread right now (a cancelled wait does not stop one)."""
        return self._busy

    def _tracked(self, fn: Callable[..., T], *args: Any) -> T:
        with self._busy_lock:
            self._busy += 1
        try:
            return fn(*args)
        finally:
            with self._busy_lock:
                self._busy -= 1

    def _now(self) -> float:
        return self._clock() if self._clock is not None else time.monotonic()

    async def run_blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a core worker thread (no question slot taken)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(self._tracked, fn, *args))

    def close(self) -> None:
        """Stop taking work; threads still running finish on their own."""
        self._executor.shutdown(wait=False, cancel_futures=True)

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
            loop = asyncio.get_running_loop()
            queue: asyncio.Queue[object] = asyncio.Queue()
            stop = threading.Event()

            def put(item: object) -> None:
                loop.call_soon_threadsafe(queue.put_nowait, item)

            def produce() -> None:
                try:
                    iterator: Iterator[AnswerDelta | Answer] = iter(
                        self.service.stream(question, tuple(history))
                    )
                except NotImplementedError:
                    put(_Fallback())
                    return
                except BaseException as exc:  # noqa: BLE001 - handed to the loop
                    put(_Failure(exc))
                    return
                try:
                    for item in iterator:
                        if stop.is_set():
                            break
                        put(item)
                        if isinstance(item, Answer):
                            break
                    else:
                        put(_END)
                except BaseException as exc:  # noqa: BLE001 - handed to the loop
                    put(_Failure(exc))
                finally:
                    close = getattr(iterator, "close", None)
                    if callable(close):
                        close()  # the same thread that iterated: never "already executing"

            worker = loop.run_in_executor(self._executor, self._tracked, produce)
            try:
                result = await self._consume(queue, on_partial, question, history)
            except asyncio.CancelledError:
                stop.set()  # the worker stops at its next item and closes the stream itself
                raise
            except BaseException:
                stop.set()
                await worker  # the stream is closed before the slot is given back
                raise
            stop.set()
            await worker
            return result

    async def _consume(
        self,
        queue: asyncio.Queue[object],
        on_partial: Callable[[str], Awaitable[None]],
        question: str,
        history: Sequence[Turn],
    ) -> Answer:
        text = ""
        last_edit: float | None = None
        while True:
            item = await queue.get()
            if isinstance(item, _Fallback):
                return await self.run_blocking(self.service.answer, question, tuple(history))
            if isinstance(item, _Failure):
                raise item.error
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


class _Fallback:
    """The service cannot stream: answer in one call."""


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


async def _safe_partial(on_partial: Callable[[str], Awaitable[None]], text: str) -> None:
    """A failed progress edit must not lose the answer: log it and go on."""
    try:
        await on_partial(text)
    except discord.HTTPException as exc:
        log.warning("could not show streamed progress: %s", exc)


class DbRunner:
    """One thread of its own for the feedback/config SQLite files.

    A button click must be acknowledged within 3 s; its database call never waits behind
    answers (which have their own pool) or anything else on the default executor.
    """

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsdesk-db")

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    def close(self) -> None:
        self._executor.shutdown(wait=False)
