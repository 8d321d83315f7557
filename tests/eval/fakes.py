"""A fake AnswerService returning real Answer/Citation objects over a tiny document set."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from answering.models import Answer, AnswerDelta, Citation, Turn
from newsdesk.errors import NewsdeskError

DOCS: dict[str, str] = {
    "alpha": "The drone hit the residence in the Green Zone. Seven guards were injured. "
    "Kata\u2019ib Hezbollah denied any involvement.",
    "beta": "State Department spokesman Ned Price called it an apparent act of terrorism. "
    "The U.S. offered assistance.",
    "gamma": "Protesters camped near the Green Zone for almost a month after the election.",
}


def lookup(doc_id: str) -> str | None:
    return DOCS.get(doc_id)


def cite(n: int, doc_id: str, excerpt: str, *, shift: int = 0) -> Citation:
    """A citation of ``excerpt`` at its true offsets (``shift`` moves them: an invalid one)."""
    start = DOCS[doc_id].index(excerpt) + shift
    return Citation(n, doc_id, doc_id.title(), excerpt, start, start + len(excerpt))


@dataclass
class Scripted:
    answer: str = ""
    citations: tuple[Citation, ...] = ()
    refused: bool = False
    error: NewsdeskError | None = None


@dataclass
class FakeService:
    """Implements the AnswerService protocol from a script: question -> reply."""

    script: dict[str, Scripted]
    calls: list[tuple[str, tuple[Turn, ...]]] = field(default_factory=list)

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        self.calls.append((question, tuple(history)))
        reply = self.script.get(question, Scripted(answer="I could not find that.", refused=True))
        if reply.error is not None:
            raise reply.error
        return Answer(
            question=question,
            answer=reply.answer,
            refused=reply.refused,
            citations=reply.citations,
            timings_ms={"total": 1.0},
            standalone_question=question,
            answerer="fake",
        )

    def stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[AnswerDelta | Answer]:
        final = self.answer(question, history)
        yield AnswerDelta(final.answer)
        yield final
