"""The core runs off the event loop, at most N questions at a time, with paced streaming."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Sequence

import pytest

from answering.models import Answer, AnswerDelta, Turn
from bot.worker import CoreRunner
from newsdesk.errors import NoAnswer


class SlowService:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()
        self.threads: set[int] = set()

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.threads.add(threading.get_ident())
        time.sleep(self.delay)  # blocking, like embedding + Chroma + a model call
        with self.lock:
            self.active -= 1
        return Answer(question=question, answer="ok [1].", refused=False)

    def stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[AnswerDelta | Answer]:
        yield self.answer(question, history)


async def test_blocking_calls_run_in_threads_with_a_global_limit() -> None:
    service = SlowService(0.2)
    runner = CoreRunner(service, max_concurrency=3)
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    beat = asyncio.create_task(heartbeat())
    answers = await asyncio.gather(*(runner.answer(f"q{i}", ()) for i in range(9)))
    beat.cancel()
    assert [a.question for a in answers] == [f"q{i}" for i in range(9)]
    assert service.peak == 3
    assert threading.get_ident() not in service.threads
    assert ticks >= 20  # the loop kept running during ~0.6 s of blocking work


async def test_stream_without_final_answer_is_an_error() -> None:
    class Broken(SlowService):
        def stream(
            self, question: str, history: Sequence[Turn] = ()
        ) -> Iterator[AnswerDelta | Answer]:
            yield AnswerDelta("partial")

    seen: list[str] = []

    async def on_partial(text: str) -> None:
        seen.append(text)

    with pytest.raises(NoAnswer):
        await CoreRunner(Broken(0)).stream("q", (), on_partial)
    assert seen == ["partial"]
