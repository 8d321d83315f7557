"""What every answerer takes and returns; the service verifies and wraps the result."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from answering.models import AnswerDelta, Citation
from answering.retrieval import Retrieved

REFUSAL_PREFIX = "The articles don't say"


@dataclass(frozen=True, slots=True)
class Draft:
    """An answer before verification: text with [n] markers and the citations they point at."""

    answer: str
    refused: bool
    citations: tuple[Citation, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)  # "select", "compose"
    answerer: str = "extractive"


class Answerer(Protocol):
    name: str

    def answer(self, question: str, retrieved: Sequence[Retrieved], *, said: Sequence[str] = ()) -> Draft:
        """``said``: earlier answers of the conversation (a follow-up wants something new)."""
        ...

    def stream(
        self, question: str, retrieved: Sequence[Retrieved], *, said: Sequence[str] = ()
    ) -> Iterator[AnswerDelta | Draft]:
        """Text deltas as they are produced, then exactly one Draft."""
        ...


_WH = ("who", "whom", "whose", "what", "when", "where", "why", "how", "which")


def refusal_text(question: str, *, missing: str | None = None) -> str:
    """ "The articles don't say who won the 2022 World Cup." — restates the question; or,
    when the question names something the articles never mention, says that."""
    if missing:
        return f"{REFUSAL_PREFIX} anything about \u201c{missing}\u201d: the articles never mention it."
    q = " ".join(question.split())
    q = q.split("?", 1)[0].rstrip(" ?.!") if "?" in q.rstrip("?") else q.rstrip(" ?.!")
    first = q.split(" ", 1)[0].lower() if q else ""
    if first in _WH:
        return f"{REFUSAL_PREFIX} {q[0].lower()}{q[1:]}."
    return f"{REFUSAL_PREFIX} anything that answers \u201c{q}?\u201d"
