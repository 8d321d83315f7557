"""Graceful shutdown (SIGTERM): no answer is left at "thinking...", no generator error."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Sequence

import pytest

from answering.models import Answer, AnswerDelta, Turn
from bot.client import BotDeps
from bot.flow import CLOSING, RESTARTING
from bot.worker import CoreRunner
from tests.bot.fakes import FakeService
from tests.bot.twin import Twin
from tests.bot.wire import start_bot, stop_bot


class SlowStream:
    """Yields a delta every ``delay`` seconds from a worker thread; records its own close."""

    def __init__(self, delay: float, words: int = 20) -> None:
        self.delay = delay
        self.words = words
        self.closed = threading.Event()
        self.errors: list[BaseException] = []

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        return Answer(question=question, answer="done", refused=False)

    def stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[AnswerDelta | Answer]:
        try:
            for i in range(self.words):
                time.sleep(self.delay)
                yield AnswerDelta(f"w{i} ")
            yield self.answer(question, history)
        finally:
            self.closed.set()


async def test_cancelling_a_stream_mid_item_closes_the_generator_without_error() -> None:
    """Before: close() ran in another thread while next() was running ('generator already
    executing', raised instead of the cancellation)."""
    service = SlowStream(0.3)
    runner = CoreRunner(service, edit_interval_s=0)
    seen: list[str] = []

    async def on_partial(text: str) -> None:
        seen.append(text)

    task = asyncio.create_task(runner.stream("q", (), on_partial))
    while not seen:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)  # the worker thread is inside next() now
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(service.closed.wait, 5)  # closed by its own thread
    runner.close()


@pytest.fixture
def slow_service() -> FakeService:
    return FakeService(stream_deltas=True, delta_delay_s=0.4)


async def test_shutdown_closes_an_answer_in_flight_instead_of_leaving_thinking(
    wire_twin: Twin, bot_deps: BotDeps, slow_service: FakeService
) -> None:
    bot_deps.service = slow_service
    bot, task = await start_bot(wire_twin, bot_deps)
    try:
        alice = wire_twin.user("501", "alice")
        token = await wire_twin.slash(alice, "ask", question="who denied involvement?")
        state = wire_twin.interactions[token]
        await wire_twin.wait_until(lambda: state["original"])
        original = wire_twin.messages[state["original"]]
        assert original["content"] == "" and original["flags"] & 128  # "thinking..."
        await bot.shutdown(grace_s=0.3)
        assert original["content"] == RESTARTING
        assert bot.is_closed()
    finally:
        await stop_bot(bot, task)


async def test_shutdown_lets_a_quick_answer_finish_and_refuses_new_questions(
    wire_twin: Twin, bot_deps: BotDeps
) -> None:
    bot_deps.service = FakeService(stream_deltas=True, delta_delay_s=0.05)
    bot, task = await start_bot(wire_twin, bot_deps)
    try:
        alice = wire_twin.user("501", "alice")
        token = await wire_twin.slash(alice, "ask", question="who denied involvement?")
        state = wire_twin.interactions[token]
        await wire_twin.wait_until(lambda: state["original"])
        await wire_twin.wait_until(lambda: bot.flow.in_flight)
        draining = asyncio.create_task(bot.shutdown(grace_s=10))
        await wire_twin.wait_until(lambda: bot.flow.closing)
        with pytest.raises(Exception, match="restarting"):
            bot.flow.check_question(502, "and another?")
        await asyncio.wait_for(draining, 15)
        original = wire_twin.messages[state["original"]]
        assert "Kataib Hezbollah denied involvement [1]" in original["content"]
        assert original["embeds"]
        assert CLOSING != original["content"]
    finally:
        await stop_bot(bot, task)
