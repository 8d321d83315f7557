"""Memory, cooldown and the feedback store as plain objects."""

from __future__ import annotations

import pytest

from answering.models import Answer, Turn
from bot.feedback import FeedbackError, FeedbackStore
from bot.memory import ConversationMemory


def test_memory_keeps_last_turns_and_evicts_least_recent_conversation() -> None:
    memory = ConversationMemory(max_turns=2, max_conversations=2)
    for i in range(3):
        memory.add("a", Turn(f"q{i}", f"a{i}"))
    assert [t.question for t in memory.history("a")] == ["q1", "q2"]
    memory.add("b", Turn("x", "y"))
    memory.history("a")  # touch a: b is now least recent
    memory.add("c", Turn("z", "w"))
    assert "b" not in memory and "a" in memory and "c" in memory


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
