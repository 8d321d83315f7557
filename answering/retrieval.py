"""Hybrid retrieval: Chroma vector search + BM25 keywords, fused by RRF, spread across articles.

Embeddings miss rare names ("Kata'ib", "Nandakumar"); BM25 finds them. The keyword
index is the one the index build wrote and keeps current (``index.keywords``, bm25s,
memory-mapped): a serving process neither reads every chunk nor builds BM25 at start, and chunk
texts are fetched from the store for each question's candidates only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from answering.dates import (
    RECENCY_RE,
    DateQuery,
    Event,
    event_day,
    event_of,
    event_range,
    may_name_a_date,
    newest_day,
    parse_question_dates,
    rerank,
    weekday_names,
)
from answering.fusion import diversify, reciprocal_rank_fusion
from answering.recency import asks_first_report, recency_topic, report_order
from index.chunking import sentence_spans
from index.keywords import analyze
from index.models import Chunk, Document, ScoredChunk

log = logging.getLogger(__name__)


class Reader(Protocol):
    """The part of ``index.reader.IndexReader`` the answering core uses."""

    @property
    def generation(self) -> str: ...

    def document(self, doc_id: str) -> Document: ...

    def documents(self) -> list[Document]: ...

    def cluster(self, cluster_id: str) -> list[Document]: ...

    def vector_search(self, query: str, k: int) -> list[ScoredChunk]: ...

    def keyword_search(self, terms: Mapping[str, float], k: int) -> list[ScoredChunk]: ...

    def next_chunk(self, chunk: Chunk) -> Chunk | None: ...

    def previous_chunk(self, chunk: Chunk) -> Chunk | None: ...

    def idf(self, word: str) -> float | None: ...

    def max_idf(self) -> float: ...

    def refresh(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Retrieved:
    """A chunk handed to an answerer, with where it came from (for debugging and the eval)."""

    chunk: Chunk
    score: float  # fused RRF score
    vector_rank: int | None  # 1-based, None if the vector search did not return it
    keyword_rank: int | None


def keyword_terms(query: str) -> dict[str, float]:
    """The query's index terms, analysed like the keyword index (``index.keywords.analyze``)."""
    terms: dict[str, float] = {}
    for term in analyze(query):
        terms[term] = terms.get(term, 0.0) + 1.0
    return terms


class HybridRetriever:
    """Fuses vector and keyword rankings; thread-safe."""

    def __init__(
        self,
        reader: Reader,
        *,
        candidates: int = 30,
        per_document: int = 2,
        vector_weight: float = 1.0,
        keyword_weight: float = 1.0,
        rrf_k: int = 60,
        guaranteed: int = 2,
        neighbours: int = 2,
    ) -> None:
        self.reader = reader
        self.candidates = candidates
        self.per_document = per_document
        self.vector_weight = vector_weight
        self.keyword_weight = keyword_weight
        self.rrf_k = rrf_k
        self.guaranteed = guaranteed
        self.neighbours = neighbours

    def warm(self) -> None:
        """Touch the keyword index once (its pages are memory-mapped from disk)."""
        self.reader.keyword_search({"warm": 1.0}, 1)

    def retrieve(self, query: str, k: int, *, per_document: int | None = None) -> list[Retrieved]:
        """The ``k`` best chunks, at most ``per_document`` per article at first (default: the
        retriever's), each of the best few followed by its neighbours."""
        n = max(self.candidates, 3 * k)
        # "the latest on X" searches for X ("latest" is a date, ``_dated`` reads it from the query)
        search = (recency_topic(query) if RECENCY_RE.search(query) else None) or query
        vector = self.reader.vector_search(search, n)
        keyword = self.reader.keyword_search(keyword_terms(search), n)
        by_id: dict[str, Chunk] = {}
        for scored in (*vector, *keyword):
            by_id.setdefault(scored.chunk.chunk_id, scored.chunk)
        v_ids = [s.chunk.chunk_id for s in vector]
        k_ids = [s.chunk.chunk_id for s in keyword]
        fused = reciprocal_rank_fusion(
            [v_ids, k_ids], weights=[self.vector_weight, self.keyword_weight], k=self.rrf_k
        )
        fused = self._dated(query, fused, by_id, n)
        scores = dict(fused)
        # The best few of each retriever always make it: a name only BM25 finds (rank 1 there,
        # rank 25 in vector space) must not be fused away by chunks both rank as mediocre.
        g = min(self.guaranteed, k // 2)
        chosen = diversify(
            [cid for cid, _ in fused],
            lambda cid: by_id[cid].doc_id,
            limit=k,
            per_group=per_document or self.per_document,
            pinned=[cid for cid in (*v_ids[:g], *k_ids[:g]) if cid in scores],
        )
        v_rank = {cid: i for i, cid in enumerate(v_ids, start=1)}
        k_rank = {cid: i for i, cid in enumerate(k_ids, start=1)}
        chosen.sort(key=lambda cid: -scores[cid])
        out = [Retrieved(by_id[cid], scores[cid], v_rank.get(cid), k_rank.get(cid)) for cid in chosen]
        # The chunk after each of the best few: an answer often continues past a chunk border
        # ("The union ... rejected" | "Through its spokesman ... they doubted").
        # And the chunk before: its last sentence is often who "they" in the first one are.
        # Each neighbour follows the chunk it completes (same article, so the article order,
        # which the eval ranks, does not change).
        have = set(chosen)
        with_near: list[Retrieved] = []
        for i, r in enumerate(out):
            with_near.append(r)
            if i >= self.neighbours:
                continue
            for near in (self.reader.next_chunk(r.chunk), self.reader.previous_chunk(r.chunk)):
                if near is not None and near.chunk_id not in have:
                    have.add(near.chunk_id)
                    with_near.append(Retrieved(near, 0.0, v_rank.get(near.chunk_id), k_rank.get(near.chunk_id)))
        return with_near

    def _event_range(
        self, event: Event, reference: date, by_id: dict[str, Chunk], n: int, query: str
    ) -> DateQuery | None:
        """ "before the election": the day the articles give the event (``answering.dates.event_day``),
        from the chunks that name it (a keyword search for the event's words), then the range."""
        chunks = dict(by_id)
        for scored in self.reader.keyword_search(keyword_terms(event.phrase), n):
            chunks.setdefault(scored.chunk.chunk_id, scored.chunk)
        sentences = [
            (chunk.text[s:e], str(chunk.metadata.get("published") or "") or None)
            for chunk in chunks.values()
            for s, e in sentence_spans(chunk.text)
        ]
        day = event_day(event, sentences, reference)
        log.debug("event %r dated %s", event.phrase, day)
        return event_range(event, day, bool(RECENCY_RE.search(query))) if day is not None else None

    def _dated(
        self, query: str, fused: list[tuple[str, float]], by_id: dict[str, Chunk], n: int
    ) -> list[tuple[str, float]]:
        """Dates in the question ("on Nov 6", "last week", "latest") filter and re-rank (answering.dates).

        Article dates come from the candidates' chunk metadata (never a read of every document),
        relative to the newest date among them.
        """
        if not may_name_a_date(query):
            return fused

        def published(cid: str) -> str | None:
            value = by_id[cid].metadata.get("published")
            return str(value) if value else None

        reference = newest_day(published(cid) for cid in by_id) or date.today()
        when = parse_question_dates(query, reference)
        if when is None and (event := event_of(query)) is not None:
            when = self._event_range(event, reference, by_id, n, query)
        if when is None and asks_first_report(query):  # "what was reported first": oldest first
            when = DateQuery(None, None, False, earliest=True)
        if when is None:
            return fused
        days = when.days()
        if days:  # chunks that mention the day, wherever they ranked: a keyword search for it
            words = {f"{d:%B} {d.day}" for d in days} | {f"{d:%b} {d.day}" for d in days}
            for scored in self.reader.keyword_search(keyword_terms(" ".join(sorted(words))), n):
                by_id.setdefault(scored.chunk.chunk_id, scored.chunk)
        if when.weekday is not None or 0 < len(days) <= 7:
            # "on Friday" / "on March 12": chunks naming the weekday, wherever they ranked (a report
            # of that week says "on Thursday"; ``rerank`` keeps those whose article dates it right)
            for name in weekday_names(days) if days else [when.phrase]:
                for scored in self.reader.keyword_search(keyword_terms(name), n):
                    by_id.setdefault(scored.chunk.chunk_id, scored.chunk)
        leads = self._leads(query, fused, by_id) if when.recency or when.earliest else frozenset()
        texts = {cid: chunk.text for cid, chunk in by_id.items()}
        log.debug("question dates %s", when)
        return rerank(when, fused, texts, {cid: published(cid) for cid in texts}, leads)

    def _leads(self, query: str, fused: list[tuple[str, float]], by_id: dict[str, Chunk]) -> frozenset[str]:
        """ "The latest on X" / "what was reported first": the first chunk of the newest (oldest)
        of the articles among the best ten candidates (found by walking back from a candidate)."""
        order = report_order(query)
        if order is None:
            return frozenset()
        best = [by_id[cid] for cid, _ in fused[:10]]
        days = [str(c.metadata.get("published") or "")[:10] for c in best]
        dated = [d for d in days if d]
        if not dated:
            return frozenset()
        day = max(dated) if order == "newest" else min(dated)
        leads: set[str] = set()
        for chunk, d in zip(best, days, strict=True):
            if d != day:
                continue
            first: Chunk | None = chunk
            for _ in range(50):  # articles are a few dozen chunks at most
                if first is None or first.position == 0:
                    break
                first = self.reader.previous_chunk(first)
            if first is not None and first.position == 0:
                by_id.setdefault(first.chunk_id, first)
                leads.add(first.chunk_id)
        return frozenset(leads)
