"""Hybrid retrieval: Chroma vector search + BM25 keywords, fused by RRF, spread across articles.

Embeddings miss rare names ("Kata'ib Hezbollah", "Saad Maan"); BM25 finds them. The keyword
index is the one the index build wrote and keeps current (``index.keywords``, bm25s,
memory-mapped): a serving process neither reads every chunk nor builds BM25 at start, and chunk
texts are fetched from the store for each question's candidates only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from answering.fusion import diversify, reciprocal_rank_fusion
from answering.text import SYNONYM_WEIGHT, synonyms, tokenize
from index.keywords import analyze
from index.models import Chunk, Document, ScoredChunk

log = logging.getLogger(__name__)


class Reader(Protocol):
    """The part of ``index.reader.IndexReader`` the answering core uses."""

    @property
    def generation(self) -> str: ...

    def document(self, doc_id: str) -> Document: ...

    def vector_search(self, query: str, k: int) -> list[ScoredChunk]: ...

    def keyword_search(self, terms: Mapping[str, float], k: int) -> list[ScoredChunk]: ...

    def next_chunk(self, chunk: Chunk) -> Chunk | None: ...

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
    """The query's index terms, widened by a few synonyms at a lower weight ("denied" ~
    "rejected"); analysed like the keyword index (``index.keywords.analyze``)."""
    terms: dict[str, float] = {}
    for term in analyze(query):
        terms[term] = terms.get(term, 0.0) + 1.0
    for word in tokenize(query):
        for extra in synonyms().get(word, ()):
            for term in analyze(extra):
                terms.setdefault(term, SYNONYM_WEIGHT)
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

    def retrieve(self, query: str, k: int) -> list[Retrieved]:
        n = max(self.candidates, 3 * k)
        vector = self.reader.vector_search(query, n)
        keyword = self.reader.keyword_search(keyword_terms(query), n)
        by_id: dict[str, Chunk] = {}
        for scored in (*vector, *keyword):
            by_id.setdefault(scored.chunk.chunk_id, scored.chunk)
        v_ids = [s.chunk.chunk_id for s in vector]
        k_ids = [s.chunk.chunk_id for s in keyword]
        fused = reciprocal_rank_fusion(
            [v_ids, k_ids], weights=[self.vector_weight, self.keyword_weight], k=self.rrf_k
        )
        scores = dict(fused)
        # The best few of each retriever always make it: a name only BM25 finds (rank 1 there,
        # rank 25 in vector space) must not be fused away by chunks both rank as mediocre.
        g = min(self.guaranteed, k // 2)
        chosen = diversify(
            [cid for cid, _ in fused],
            lambda cid: by_id[cid].doc_id,
            limit=k,
            per_group=self.per_document,
            pinned=[*v_ids[:g], *k_ids[:g]],
        )
        v_rank = {cid: i for i, cid in enumerate(v_ids, start=1)}
        k_rank = {cid: i for i, cid in enumerate(k_ids, start=1)}
        chosen.sort(key=lambda cid: -scores[cid])
        out = [Retrieved(by_id[cid], scores[cid], v_rank.get(cid), k_rank.get(cid)) for cid in chosen]
        # The chunk after each of the best few: an answer often continues past a chunk border
        # ("Kata'ib Hezbollah ... rejected" | "Through the spokesman ... they doubted").
        have = set(chosen)
        for r in out[: self.neighbours]:
            nxt = self.reader.next_chunk(r.chunk)
            if nxt is not None and nxt.chunk_id not in have:
                have.add(nxt.chunk_id)
                out.append(Retrieved(nxt, 0.0, v_rank.get(nxt.chunk_id), k_rank.get(nxt.chunk_id)))
        return out


class ChunkRetriever(BaseRetriever):
    """The hybrid retriever as a LangChain retriever (a Runnable: ``invoke``, ``batch``, LCEL).

    Each LangChain document carries ``chunk_id``, ``doc_id``, ``start``, ``end`` and ``score``
    in its metadata so callers can still cite exact offsets.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    hybrid: Any
    k: int = 6

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        hybrid: HybridRetriever = self.hybrid
        return [
            LCDocument(
                page_content=r.chunk.text,
                id=r.chunk.chunk_id,
                metadata={
                    "chunk_id": r.chunk.chunk_id,
                    "doc_id": r.chunk.doc_id,
                    "start": r.chunk.start,
                    "end": r.chunk.end,
                    "score": r.score,
                },
            )
            for r in hybrid.retrieve(query, self.k)
        ]
