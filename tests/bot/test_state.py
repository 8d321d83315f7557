"""Memory, cooldown and the feedback store as plain objects."""

from __future__ import annotations

import pytest

from answering.models import Answer, Turn
from bot.cooldown import UserCooldown
from bot.feedback import FeedbackError, FeedbackStore
from bot.memory import ConversationMemory


def test_memory_keeps_last_turns_and_evicts_least_recent_channel() -> None:
    memory = ConversationMemory(max_turns=2, max_channels=2)
    for i in range(3):
        memory.add(1, Turn(f"q{i}", f"a{i}"))
    assert [t.question for t in memory.history(1)] == ["q1", "q2"]
    memory.add(2, Turn("x", "y"))
    memory.history(1)  # touch 1: 2 is now least recent
    memory.add(3, Turn("z", "w"))
    assert 2 not in memory and 1 in memory and 3 in memory


def test_cooldown_sliding_window() -> None:
    now = [0.0]
    cooldown = UserCooldown(2, 10.0, clock=lambda: now[0])
    assert cooldown.hit(7) == 0 and cooldown.hit(7) == 0
    assert cooldown.hit(7) == pytest.approx(10.0)
    assert cooldown.hit(8) == 0
    now[0] = 10.0
    assert cooldown.hit(7) == 0


def test_feedback_vote_on_unknown_message_and_bad_vote(tmp_path) -> None:  # noqa: ANN001
    store = FeedbackStore(tmp_path / "f.sqlite3")
    with pytest.raises(KeyError):
        store.vote(1, 2, 1)
    store.record_answer(1, Answer(question="q", answer="a", refused=False))
    with pytest.raises(ValueError):
        store.vote(1, 2, 0)
    assert store.vote(1, 2, 1).up == 1


def test_feedback_unwritable_location_is_a_clear_error(tmp_path) -> None:  # noqa: ANN001
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = FeedbackStore(blocker / "sub" / "f.sqlite3")
    with pytest.raises(FeedbackError, match="Cannot open the feedback database"):
        store.counts(1)
