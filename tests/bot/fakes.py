"""A scripted AnswerService for bot tests: real Answer/Citation objects, no model.

It implements the same protocol as the answering core (answer + stream) and records
every call, so tests can assert what history a follow-up was resolved against.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from answering.models import Answer, AnswerDelta, Citation, Turn
from newsdesk.errors import IndexMissing, QuestionInvalid, StoreUnavailable

DOC_TEXT = (
    "Iraq's Prime Minister Mustafa al-Kadhimi survived an attempted assassination by a drone. "
    "Kataib Hezbollah denied involvement in the attack on the residence. "
    "A reader wrote @everyone and <@&123> in the comments, which must never ping anyone. "
    "See https://example.org/more for details. "
    "Readers can [click here](https://example.invalid/phish) for ||the full|| __story__ *now*."
)
PLANTED = "Readers can [click here](https://example.invalid/phish) for ||the full|| __story__ *now*."


def cite(
    n: int,
    phrase: str,
    *,
    doc_id: str = "doc-a",
    title: str = "Drone attack on PM",
    url: str | None = "https://news.example/drone",
) -> Citation:
    start = DOC_TEXT.index(phrase)
    return Citation(
        n=n,
        doc_id=doc_id,
        title=title,
        excerpt=DOC_TEXT[start : start + len(phrase)],
        start=start,
        end=start + len(phrase),
        url=url,
    )


LONG_SENTENCE = "The statement said security forces were taking the necessary measures [1]. "


@dataclass
class Call:
    question: str
    history: tuple[Turn, ...]
    streamed: bool


@dataclass
class FakeService:
    """Scripted answers chosen by keywords in the question."""

    stream_deltas: bool = False
    delta_delay_s: float = 0.0
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    thread_names: list[str] = field(default_factory=list)

    def _respond(self, question: str, history: Sequence[Turn]) -> Answer:
        q = question.lower()
        if "store down" in q:
            raise StoreUnavailable("Chroma at http://10.0.0.5:8000 refused the connection")
        if "no index" in q:
            raise IndexMissing("No index at /srv/newsdesk/chroma", hint="run newsdesk index build")
        if "crash" in q:
            raise RuntimeError("internal detail: secret=hunter2 at line 42")
        if "invalid" in q:
            raise QuestionInvalid("The question has no searchable words.")
        if "unknowable" in q:
            return Answer(question=question, answer="The articles do not say.", refused=True)
        if "long" in q:
            text = "\n\n".join(LONG_SENTENCE * 9 for _ in range(6))  # ~4,300 characters
            return Answer(
                question=question,
                answer=text,
                refused=False,
                citations=(cite(1, "survived an attempted assassination by a drone"),),
            )
        if "phish" in q:
            return Answer(
                question=question,
                answer=f"{PLANTED} [1]",
                refused=False,
                citations=(cite(1, PLANTED, title="**Breaking** [news](https://example.invalid/t)"),),
            )
        if "everyone" in q:
            return Answer(
                question=question,
                answer=(
                    "A commenter wrote @everyone and <@&123> [1]. "
                    "Details: https://example.org/more [2]"
                ),
                refused=False,
                citations=(
                    cite(1, "A reader wrote @everyone and <@&123> in the comments"),
                    cite(2, "See https://example.org/more for details.", url=None),
                ),
            )
        prefix = f"(after {len(history)} earlier turns) " if history else ""
        return Answer(
            question=question,
            answer=f"{prefix}Kataib Hezbollah denied involvement [1]. The PM survived [2].",
            refused=False,
            citations=(
                cite(1, "Kataib Hezbollah denied involvement in the attack on the residence."),
                cite(
                    2,
                    "survived an attempted assassination by a drone",
                    doc_id="doc-b",
                    title="Kadhimi unharmed",
                    url=None,
                ),
            ),
            standalone_question=question
            if not history
            else f"{question} (about {history[-1].question})",
        )

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        with self.lock:
            self.calls.append(Call(question, tuple(history), streamed=False))
        return self._respond(question, history)

    def stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[AnswerDelta | Answer]:
        with self.lock:
            self.calls.append(Call(question, tuple(history), streamed=True))
        answer = self._respond(question, history)
        if self.stream_deltas:
            words = answer.answer.split(" ")
            for i, word in enumerate(words):
                if self.delta_delay_s:
                    time.sleep(self.delta_delay_s)
                yield AnswerDelta(word if i == 0 else " " + word)
        yield answer


@dataclass(frozen=True)
class FakeDocument:
    doc_id: str
    title: str
    url: str | None = None
    published: str | None = None
    source: str | None = None


@dataclass
class FakeSummary:
    added: int = 1
    updated: int = 0
    removed: int = 0
    unchanged: int = 4
    chunks_embedded: int = 12
    seconds: float = 0.5
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


class FakeReindex:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> FakeSummary:
        self.calls += 1
        return FakeSummary(warnings=["skipped empty.txt: no text"])


class StepClock:
    """A clock that moves ``step`` seconds every time it is read (paces streamed edits)."""

    def __init__(self, step: float) -> None:
        self.step = step
        self.now = 0.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now
