"""Button clicks are acknowledged before any database work, which has its own thread."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from bot.client import BotDeps
from bot.feedback import FeedbackStore, VoteCounts
from tests.bot.twin import Twin
from tests.bot.wire import start_bot, stop_bot

DISCORD_ACK_LIMIT_S = 3.0


class StuckStore(FeedbackStore):
    """A feedback database that hangs on votes until released (a locked SQLite file)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.release = threading.Event()

    def vote(self, message_id: int, user_id: int, vote: int) -> VoteCounts:
        self.release.wait(30)
        return super().vote(message_id, user_id, vote)


async def _answer(twin: Twin) -> dict:
    alice = twin.user("501", "alice")
    token = await twin.slash(alice, "ask", question="who denied involvement?")
    state = twin.interactions[token]
    return await twin.wait_for(lambda m: m["id"] == state["original"] and m.get("components"))


async def test_vote_is_acknowledged_while_the_database_is_stuck(
    wire_twin: Twin, bot_deps: BotDeps, tmp_path: Path
) -> None:
    store = StuckStore(tmp_path / "feedback.sqlite3")
    bot_deps.feedback = store
    bot, task = await start_bot(wire_twin, bot_deps)
    try:
        answer = await _answer(wire_twin)
        token = await wire_twin.click(wire_twin.user("502", "bob"), answer, "newsdesk:vote:up")
        state = wire_twin.interactions[token]
        await wire_twin.wait_until(lambda: state["callback"], timeout=DISCORD_ACK_LIMIT_S)
        assert state["callback"]["type"] == 5  # deferred (private "thinking"), vote not done yet
        assert state["followups"] == []
        store.release.set()
        reply = await wire_twin.wait_until(lambda: state["followups"])
        assert "1 👍 / 0 👎" in wire_twin.messages[reply[0]]["content"]
    finally:
        store.release.set()
        await stop_bot(bot, task)


async def test_votes_do_not_wait_behind_a_busy_default_executor(wire_twin: Twin, bot_deps: BotDeps) -> None:
    bot, task = await start_bot(wire_twin, bot_deps)
    gate = threading.Event()
    loop = asyncio.get_running_loop()
    hogs = [loop.run_in_executor(None, gate.wait, 30) for _ in range(64)]
    try:
        answer = await _answer(wire_twin)
        token = await wire_twin.click(wire_twin.user("502", "bob"), answer, "newsdesk:vote:down")
        state = wire_twin.interactions[token]
        reply = await wire_twin.wait_until(lambda: state["followups"], timeout=10)
        assert "0 👍 / 1 👎" in wire_twin.messages[reply[0]]["content"]
    finally:
        gate.set()
        await asyncio.gather(*hogs)
        await stop_bot(bot, task)
