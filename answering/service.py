"""The one entry point: validate, rewrite follow-ups, retrieve, answer, verify citations.

The CLI, the Discord bot, the eval script and the tests all call ``AnsweringService.answer``.
Safe to call from many threads at once: shared state (keyword index, sentence cache) is
immutable or lock-guarded, and each call keeps its own intermediate results.
"""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence

from answering.agreement import compare
from answering.answerers.base import Answerer, Draft, refusal_text
from answering.asking import inner_question
from answering.citations import renumber_citations, verify
from answering.coverage import coverage_ask, is_coverage_answer, named_outlet
from answering.models import Answer, AnswerDelta, Turn
from answering.quantities import Similar, exact
from answering.retrieval import HybridRetriever, Reader, Retrieved
from answering.rewrite import rewrite_follow_up
from answering.sides import Ask, agreement_ask, slot_words
from answering.stance import with_stances
from answering.wire import collapse
from newsdesk.errors import QuestionInvalid

log = logging.getLogger(__name__)

Condenser = Callable[[str, Sequence[Turn]], str]


def clean_question(question: object, max_chars: int) -> str:
    """Strip control/invisible characters and surrounding space; reject empty or too long."""
    if not isinstance(question, str):
        raise QuestionInvalid("The question must be text.")
    text = "".join(
        " " if ch in "\t\r\n" else ch
        for ch in unicodedata.normalize("NFC", question)
        if ch in "\t\r\n" or unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs")
    )
    text = " ".join(text.split())
    if not text:
        raise QuestionInvalid(
            "The question is empty.",
            hint='ask something, e.g. "Who denied involvement in the attack?"',
        )
    if len(text) > max_chars:
        raise QuestionInvalid(
            f"The question is too long ({len(text)} characters; the limit is {max_chars}).",
            hint="shorten it to one question about the articles",
        )
    return text


class AnsweringService:
    """Implements ``answering.models.AnswerService``."""

    def __init__(
        self,
        reader: Reader,
        retriever: HybridRetriever,
        answerer: Answerer,
        *,
        top_k: int = 6,
        max_question_chars: int = 1000,
        condenser: Condenser = rewrite_follow_up,
        refresh_interval_s: float = 1.0,
        history_turns: int = 6,
        similar: Similar = exact,
    ) -> None:
        self.reader = reader
        self.retriever = retriever
        self.answerer = answerer
        self.top_k = top_k
        self.max_question_chars = max_question_chars
        self.condenser = condenser
        self.refresh_interval_s = refresh_interval_s
        self.history_turns = history_turns
        self.similar = similar  # word similarity: which counts are of the same thing
        self._last_refresh = 0.0
        self._refresh_lock = threading.Lock()

    @property
    def answerer_name(self) -> str:
        return self.answerer.name

    def warm(self) -> None:
        """Touch the persisted keyword index before the first question (cheap; it is built at
        index time). Safe to call from a background thread while questions are being answered."""
        self.retriever.warm()

    # --- public API --------------------------------------------------------------------
    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        final: Answer | None = None
        for event in self._run(question, history, streaming=False):
            if isinstance(event, Answer):
                final = event
        assert final is not None
        return final

    def stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[AnswerDelta | Answer]:
        """Deltas as the answerer produces them, then the verified Answer.

        The final Answer is authoritative: sentences or markers that failed verification are
        gone from it even if they were streamed, so a UI should replace the streamed text.
        """
        yield from self._run(question, history, streaming=True)

    # --- pipeline ------------------------------------------------------------------------
    def _run(
        self, question: str, history: Sequence[Turn], *, streaming: bool
    ) -> Iterator[AnswerDelta | Answer]:
        t_start = time.perf_counter()
        text = clean_question(question, self.max_question_chars)
        self._maybe_refresh()
        turns = _clean_history(history, self.history_turns)

        t0 = time.perf_counter()
        standalone = self.condenser(text, turns) if turns else text
        standalone = " ".join(standalone.split()) or text
        t1 = time.perf_counter()
        retrieved = self.retrieve(standalone)
        t2 = time.perf_counter()
        said = [t.answer for t in turns]

        draft: Draft | None = None
        if streaming:
            for event in self.answerer.stream(standalone, retrieved, said=said):
                if isinstance(event, Draft):
                    draft = event
                else:
                    yield event
        else:
            draft = self.answerer.answer(standalone, retrieved, said=said)
        assert draft is not None

        answer_text, refused, citations = self._verified(draft, standalone, retrieved)
        verdict = None
        # a coverage answer already names each outlet with its sentence ("Reported by 3 outlets: ...")
        if not refused and len({c.doc_id for c in citations}) >= 2 and not is_coverage_answer(answer_text):
            # Several articles back the answer: say where they agree or differ (cited both sides).
            ask = agreement_ask(standalone)  # an agreement question compares what it asks about
            agreement = (
                compare(
                    citations,
                    standalone,
                    kinds=ask.kinds,
                    counted=ask.nouns,
                    claim_verbs=ask.claim_verbs,
                    claim=ask.claim,
                    similar=self.similar,
                    values=ask.asked_values,
                )
                if ask is not None
                else compare(citations, standalone, similar=self.similar)
            )
            if ask is not None and ask.proposition:
                agreement = with_stances(agreement, citations, ask.proposition, self.similar)
            note = agreement.render()
            if note:
                answer_text = f"{answer_text} {note}"
                verdict = "differ" if agreement.differences else "agree"
        timings = {
            "rewrite": (t1 - t0) * 1000,
            "retrieve": (t2 - t1) * 1000,
            "select": draft.timings_ms.get("select", 0.0),
            "compose": draft.timings_ms.get("compose", 0.0),
        }
        timings["total"] = (time.perf_counter() - t_start) * 1000
        log.debug(
            "answered %r (%s, refused=%s, %d citations) in %.0f ms",
            standalone,
            draft.answerer,
            refused,
            len(citations),
            timings["total"],
        )
        yield Answer(
            question=text,
            answer=answer_text,
            refused=refused,
            citations=citations,
            timings_ms=timings,
            standalone_question=standalone,
            answerer=draft.answerer,
            agreement=verdict,
        )

    def retrieve(self, standalone: str) -> list[Retrieved]:
        """The passages the answerer gets for a (standalone) question: ``top_k`` by the hybrid
        retriever, or for an agreement question passages from as many articles as possible."""
        ask = agreement_ask(standalone)
        if ask is not None:
            return self._both_sides(standalone, ask)
        if coverage_ask(standalone) is not None:  # "who reported X?": passages of many articles
            return list(self.retriever.retrieve(standalone, 2 * self.top_k, per_document=2))
        retrieved = list(self.retriever.retrieve(standalone, self.top_k))
        outlet = named_outlet(standalone, {str(r.chunk.metadata.get("source") or "") for r in retrieved} - {""})
        if outlet is None:
            return retrieved
        # "according to Maritime Cargo Review, ...": that outlet's passages, from a wider search
        wide = self.retriever.retrieve(standalone, 2 * self.top_k)
        return [r for r in wide if r.chunk.metadata.get("source") == outlet] or retrieved

    def _both_sides(self, question: str, ask: Ask) -> list[Retrieved]:
        """An agreement question reads one passage from as many articles as it can at first,
        and also those about what the question names a value of ("was it a barge?" -> passages
        about the attack): the other side rarely shares the question's words ("tugboat attack")."""
        retrieved = self.retriever.retrieve(question, 2 * self.top_k, per_document=2)
        have = {r.chunk.chunk_id for r in retrieved}
        # and the passages about what it asks the reports ("was the number trapped the same
        # everywhere?" -> "what was the number trapped?"), one an article again
        queries = [
            q
            for q in (inner_question(question), " ".join(slot_words(ask, [r.chunk.text for r in retrieved])))
            if q
        ]
        for query in queries:
            for r in self.retriever.retrieve(query, 3 * self.top_k, per_document=3):
                if r.chunk.chunk_id not in have:
                    have.add(r.chunk.chunk_id)
                    retrieved.append(r)
        return retrieved

    def _verified(self, draft: Draft, standalone: str, retrieved: Sequence) -> tuple[str, bool, tuple]:
        good, bad = verify(draft.citations, self.reader.document, [r.chunk for r in retrieved])
        text, citations = renumber_citations(draft.answer, good)
        if bad:
            log.debug("dropped %d citation(s) that failed verification", len(bad))
        text, citations = collapse(text, citations, self.reader.document, self.reader.cluster)
        if not draft.refused and not citations:
            log.warning("answer lost all its citations in verification; refusing")
            return refusal_text(standalone), True, ()
        return text, draft.refused, citations

    def _maybe_refresh(self) -> None:
        """Pick up an index rebuilt by another process, at most once per interval."""
        now = time.monotonic()
        if now - self._last_refresh < self.refresh_interval_s:
            return
        if not self._refresh_lock.acquire(blocking=False):
            return  # another thread is refreshing
        try:
            self._last_refresh = now
            if self.reader.refresh():
                log.info("index changed: now serving generation %s", self.reader.generation)
        finally:
            self._refresh_lock.release()


def _clean_history(history: Sequence[Turn], limit: int) -> list[Turn]:
    """The last ``limit`` turns that asked something (``settings.discord_history_turns``)."""
    turns = [t for t in history if isinstance(t, Turn) and (t.question or "").strip()]
    return turns[-limit:] if limit > 0 else []
