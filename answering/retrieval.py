"""Hybrid retrieval: Chroma vector search + BM25 keywords, fused by RRF, spread across articles.

Embeddings miss rare names ("Kata'ib", "Nandakumar"); BM25 finds them. The BM25 index is
built lazily from ``reader.chunks()`` once per index generation and swapped atomically, so a
rebuild by another process is picked up without blocking concurrent questions.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from answering.bm25 import BM25Index
from answering.dates import newest_day, parse_question_dates, rerank
from answering.fusion import diversify, reciprocal_rank_fusion
from answering.text import tokenize
from index.models import Chunk, Document, ScoredChunk

log = logging.getLogger(__name__)


class Reader(Protocol):
    """The part of ``index.reader.IndexReader`` the answering core uses."""

    @property
    def generation(self) -> str: ...

    def document(self, doc_id: str) -> Document: ...

    def documents(self) -> list[Document]: ...

    def chunks(self) -> list[Chunk]: ...

    def vector_search(self, query: str, k: int) -> list[ScoredChunk]: ...

    def refresh(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Retrieved:
    """A chunk handed to an answerer, with where it came from (for debugging and the eval)."""

    chunk: Chunk
    score: float  # fused RRF score
    vector_rank: int | None  # 1-based, None if the vector search did not return it
    keyword_rank: int | None


class KeywordIndex:
    """BM25 over all chunks of one index generation."""

    def __init__(self, generation: str, chunks: Sequence[Chunk]) -> None:
        self.generation = generation
        self.chunks = list(chunks)
        self.bm25 = BM25Index(c.text for c in self.chunks)
        self.by_position = {(c.doc_id, c.position): c for c in self.chunks}

    def search(self, query: str, k: int) -> list[ScoredChunk]:
        terms: dict[str, float] = {}
        for term in tokenize(query):
            terms[term] = terms.get(term, 0.0) + 1.0
        return [ScoredChunk(self.chunks[i], s) for i, s in self.bm25.search_terms(terms, k)]


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
        self._keywords: KeywordIndex | None = None
        self._published: tuple[str, dict[str, str | None], date] | None = None
        self._lock = threading.Lock()

    def keyword_index(self) -> KeywordIndex:
        """The BM25 index of the reader's current generation (built on first use)."""
        current = self._keywords
        generation = self.reader.generation
        if current is not None and current.generation == generation:
            return current
        with self._lock:
            current = self._keywords
            if current is None or current.generation != generation:
                chunks = self.reader.chunks()
                log.debug("building keyword index over %d chunks (generation %s)", len(chunks), generation)
                current = KeywordIndex(generation, chunks)
                self._keywords = current
        return current

    def retrieve(self, query: str, k: int) -> list[Retrieved]:
        n = max(self.candidates, 3 * k)
        vector = self.reader.vector_search(query, n)
        keywords = self.keyword_index()
        keyword = keywords.search(query, n)
        by_id: dict[str, Chunk] = {}
        for scored in (*vector, *keyword):
            by_id.setdefault(scored.chunk.chunk_id, scored.chunk)
        v_ids = [s.chunk.chunk_id for s in vector]
        k_ids = [s.chunk.chunk_id for s in keyword]
        fused = reciprocal_rank_fusion(
            [v_ids, k_ids], weights=[self.vector_weight, self.keyword_weight], k=self.rrf_k
        )
        fused = self._dated(query, fused, by_id, keywords)
        scores = dict(fused)
        # The best few of each retriever always make it: a name only BM25 finds (rank 1 there,
        # rank 25 in vector space) must not be fused away by chunks both rank as mediocre.
        g = min(self.guaranteed, k // 2)
        chosen = diversify(
            [cid for cid, _ in fused],
            lambda cid: by_id[cid].doc_id,
            limit=k,
            per_group=self.per_document,
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
            for step in (1, -1):
                near = keywords.by_position.get((r.chunk.doc_id, r.chunk.position + step))
                if near is not None and near.chunk_id not in have:
                    have.add(near.chunk_id)
                    with_near.append(Retrieved(near, 0.0, v_rank.get(near.chunk_id), k_rank.get(near.chunk_id)))
        return with_near


    def _dated(
        self, query: str, fused: list[tuple[str, float]], by_id: dict[str, Chunk], keywords: KeywordIndex
    ) -> list[tuple[str, float]]:
        """Dates in the question ("on Nov 6", "last week", "latest") filter and re-rank (answering.dates)."""
        generation = self.reader.generation
        if self._published is None or self._published[0] != generation:
            published = {d.doc_id: d.published for d in self.reader.documents()}
            self._published = (generation, published, newest_day(published.values()) or date.today())
        _, published, reference = self._published
        when = parse_question_dates(query, reference)
        if when is None:
            return fused
        texts = {cid: by_id[cid].text for cid, _ in fused}
        if when.days():  # chunks that mention the day, wherever they ranked
            for chunk in keywords.chunks:
                texts.setdefault(chunk.chunk_id, chunk.text)
                by_id.setdefault(chunk.chunk_id, chunk)
        log.debug("question dates %s", when)
        return rerank(when, fused, texts, {cid: published.get(by_id[cid].doc_id) for cid in texts})
