"""The typed result every caller (CLI, bot, eval, tests) gets from the answering core.

Citations are data with offsets; rendering markers such as [1] is a pure function over them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Citation:
    n: int  # marker number as shown in the answer: [n]
    doc_id: str
    title: str
    excerpt: str  # verbatim: document.text[start:end] == excerpt
    start: int
    end: int
    url: str | None = None
    source: str | None = None  # outlet, where the article says (never guessed)
    published: str | None = None  # ISO date of the article, where known
    # Other copies of the same wire text (near-duplicate articles): "outlet (date)" or doc id.
    carried_by: tuple[str, ...] = ()
    path: str | None = None  # the file the article was loaded from (start/end index the stored text)

    def byline(self, *, lead: str = "") -> str:
        """'Outlet, 2021-11-07 · carried by 3 outlets' from what the article states; '' if none."""
        text = ", ".join(p for p in (self.source, self.published) if p)
        if self.carried_by:
            n = len(self.carried_by) + 1
            more = f"carried by {n} outlets" if self.source else f"in {n} articles"
            text = f"{text} \u00b7 {more}" if text else more
        return f"{lead}{text}" if text else ""

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["carried_by"] = list(self.carried_by)
        return out


_CITATION_KEYS = (
    "n",
    "doc_id",
    "title",
    "excerpt",
    "start",
    "end",
    "url",
    "source",
    "published",
    "carried_by",
)


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier exchange of a conversation."""

    question: str
    answer: str


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    answer: str  # text with [n] markers
    refused: bool
    citations: tuple[Citation, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    standalone_question: str | None = None  # the follow-up rewritten against history
    answerer: str = "extractive"
    agreement: str | None = None  # "differ" | "agree" when the cited articles were compared

    def to_dict(self) -> dict[str, Any]:
        """The shape of `newsdesk ask --json` (and of the eval's per-question citations)."""
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [
                {k: c.to_dict()[k] for k in _CITATION_KEYS}
                for c in self.citations
            ],
            "timings_ms": dict(self.timings_ms),
            "standalone_question": self.standalone_question,
            "answerer": self.answerer,
            "agreement": self.agreement,
        }


@dataclass(frozen=True, slots=True)
class AnswerDelta:
    """A streamed piece of answer text (LLM answerers); the final event is the Answer."""

    text: str


class AnswerService(Protocol):
    """What the CLI, bot, eval and tests call. Implemented by the answering core; faked in tests."""

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer: ...

    def stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[AnswerDelta | Answer]:
        """Yield text deltas as they arrive, then exactly one final Answer."""
        ...
