"""`/newsdesk stats`: questions per day, refusal rate, 👍/👎 and top unanswered, from stored answers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from answering.models import Answer
from bot.client import BotDeps
from bot.feedback import FeedbackStore
from bot.render import stats_report
from tests.bot.twin import MANAGE_GUILD, Twin
from tests.bot.wire import start_bot, stop_bot

DAY = 86400.0
NOW = 1_767_225_600.0  # 2026-01-01 00:00 UTC


def _seed(store: FeedbackStore) -> None:
    rows = [  # (message id, guild, question, refused, days ago)
        (1, 100, "Who denied involvement?", False, 0.5),
        (2, 100, "What is the weather?", True, 0.5),
        (3, 100, "what is the weather? ", True, 1.5),
        (4, 100, "Who won the cup?", True, 1.5),
        (5, 100, "Where was the drone?", False, 3.5),
        (6, 200, "Other server", True, 0.5),
        (7, 100, "Too old", True, 30),
    ]
    for message_id, guild, question, refused, days_ago in rows:
        store.record_answer(message_id, Answer(question=question, answer="a", refused=refused), guild_id=guild)
        with sqlite3.connect(store.path) as conn:
            conn.execute(
                "UPDATE answers SET created_at = ? WHERE message_id = ?",
                (NOW - days_ago * DAY, message_id),
            )
    store.vote(1, 11, 1)
    store.vote(1, 12, 1)
    store.vote(5, 11, -1)
    store.vote(6, 11, -1)  # another server's vote


def test_stats_are_per_server_and_per_window(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    _seed(store)
    stats = store.stats(100, 7, now=NOW)
    assert stats.questions == 5 and stats.refused == 3
    assert abs(stats.refusal_rate - 0.6) < 1e-9
    assert (stats.up, stats.down) == (2, 1)
    assert stats.per_day == [("2025-12-28", 1), ("2025-12-30", 2), ("2025-12-31", 2)]
    assert stats.top_unanswered[0][1] == 2  # the weather question, asked twice
    assert stats.top_unanswered[0][0].strip().lower() == "what is the weather?"
    report = stats_report(stats)
    assert "5 question(s)" in report and "3 (60%)" in report and "2 👍 / 1 👎 (67% 👍)" in report
    assert stats_report(store.stats(300, 7, now=NOW)).startswith("No questions answered")


async def test_stats_command_over_the_wire_for_admins(wire_twin: Twin, bot_deps: BotDeps) -> None:
    bot, task = await start_bot(wire_twin, bot_deps)
    try:
        alice = wire_twin.user("501", "alice")
        token = await wire_twin.slash(alice, "ask", question="who denied involvement?")
        state = wire_twin.interactions[token]
        answer = await wire_twin.wait_for(lambda m: m["id"] == state["original"] and m["embeds"])
        vote = await wire_twin.click(alice, answer, "newsdesk:vote:up")
        await wire_twin.wait_until(lambda: wire_twin.interactions[vote]["followups"])
        token = await wire_twin.slash(wire_twin.user("1", "owner"), "newsdesk stats", permissions=MANAGE_GUILD)
        state = wire_twin.interactions[token]
        shown = await wire_twin.wait_for(lambda m: m["id"] == state["original"] and m["content"])
        assert "Last 7 day(s): 1 question(s)" in shown["content"]
        assert "1 👍 / 0 👎 (100% 👍)" in shown["content"]
    finally:
        await stop_bot(bot, task)
