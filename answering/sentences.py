"""Candidate sentences of retrieved chunks and their cached embeddings.

Sentences are cut from the whole stored document (not the chunk) so an excerpt is never a
sentence fragment at a chunk border, and every span indexes ``document.text`` directly. The
cut is the index's own (``index.chunking.sentence_spans``): one sentence splitter for chunks
and answers.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from cachetools import LRUCache
from langchain_core.embeddings import Embeddings

from answering.retrieval import Retrieved
from answering.text import Span, split_sentences, tokenize
from index.models import Document


@dataclass(frozen=True, slots=True)
class Candidate:
    doc: Document
    span: Span
    rank: int  # rank of the first retrieved chunk it came from (0 = best)
    terms: frozenset[str]


class SentenceCache:
    """Document sentence splits and sentence embeddings, bounded LRU, shared across threads."""

    def __init__(self, embeddings: Embeddings, *, max_sentences: int = 50_000, max_docs: int = 5_000):
        self.embeddings = embeddings
        self._vectors: LRUCache[tuple[str, int, int, int], np.ndarray] = LRUCache(maxsize=max_sentences)
        self._splits: LRUCache[tuple[str, int], list[Span]] = LRUCache(maxsize=max_docs)
        self._words: LRUCache[str, np.ndarray] = LRUCache(maxsize=100_000)
        self._lock = threading.Lock()
        self._embed_lock = threading.Lock()  # sentence-transformers is not re-entrant-safe

    def sentences(self, doc: Document) -> list[Span]:
        key = (doc.doc_id, hash(doc.text))
        with self._lock:
            hit = self._splits.get(key)
        if hit is not None:
            return hit
        spans = split_sentences(doc.text)
        with self._lock:
            self._splits[key] = spans
        return spans

    def words(self, words: Sequence[str]) -> dict[str, np.ndarray]:
        """Unit vectors of single words (focus words of questions), cached."""
        with self._lock:
            out = {w: self._words[w] for w in words if w in self._words}
        missing = [w for w in dict.fromkeys(words) if w not in out]
        if missing:
            with self._embed_lock:
                raw = self.embeddings.embed_documents(missing)
            matrix = _unit(np.asarray(raw, dtype=np.float32))
            with self._lock:
                for w, vec in zip(missing, matrix, strict=True):
                    # a copy: a row view would keep its whole batch alive in the cache
                    self._words[w] = out[w] = vec.copy()
        return out

    def similarity(self, a: str, b: str) -> float:
        """Cosine of two single words' vectors ("injured" ~ "wounded"); 1.0 for the same word."""
        if a == b:
            return 1.0
        vecs = self.words([a, b])
        return float(vecs[a] @ vecs[b])

    def previous(self, doc: Document, span: Span) -> Span | None:
        """The sentence before ``span`` in the same paragraph (no line break between), if any."""
        spans = self.sentences(doc)
        i = bisect.bisect_left([s.start for s in spans], span.start)
        if i == 0 or i > len(spans):
            return None
        prev = spans[i - 1]
        gap = doc.text[prev.end : span.start]
        return prev if "\n" not in gap and len(gap) < 5 else None

    def next(self, doc: Document, span: Span) -> Span | None:
        """The sentence after ``span`` in the same paragraph, if any."""
        spans = self.sentences(doc)
        i = bisect.bisect_right([s.start for s in spans], span.start)
        if i >= len(spans):
            return None
        nxt = spans[i]
        gap = doc.text[span.end : nxt.start]
        return nxt if "\n" not in gap and len(gap) < 5 else None

    def embed(self, question: str, spans: Sequence[tuple[str, Span]]) -> tuple[np.ndarray, np.ndarray]:
        """(question vector, sentence matrix), unit-normalised; embeds only uncached sentences."""
        keys = [(doc_id, s.start, s.end, hash(s.text)) for doc_id, s in spans]
        rows: list[np.ndarray | None] = []
        with self._lock:
            for key in keys:
                vec = self._vectors.get(key)
                rows.append(vec)
        missing = [i for i, vec in enumerate(rows) if vec is None]
        texts = [spans[i][1].text for i in missing]
        with self._embed_lock:
            qvec = _unit(np.asarray(self.embeddings.embed_query(question), dtype=np.float32))
            raw = self.embeddings.embed_documents(texts) if texts else []
        if texts:
            matrix = _unit(np.asarray(raw, dtype=np.float32))
            with self._lock:
                for j, i in enumerate(missing):
                    rows[i] = self._vectors[keys[i]] = matrix[j].copy()  # not a view of the batch
        if not rows:
            return qvec, np.zeros((0, qvec.shape[0]), dtype=np.float32)
        return qvec, np.stack([r for r in rows if r is not None])


def _unit(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=-1, keepdims=True)
    return m / np.maximum(norms, 1e-12)


def candidates(
    retrieved: Sequence[Retrieved],
    document: Callable[[str], Document],
    cache: SentenceCache,
    *,
    max_candidates: int = 80,
) -> list[Candidate]:
    """Whole sentences overlapping the retrieved chunks (mostly inside them), deduplicated."""
    out: list[Candidate] = []
    seen: set[tuple[str, int]] = set()
    docs: dict[str, Document] = {}
    for rank, r in enumerate(retrieved):
        c = r.chunk
        doc = docs.get(c.doc_id) or document(c.doc_id)
        docs[c.doc_id] = doc
        for span in cache.sentences(doc):
            if span.end <= c.start or span.start >= c.end:
                continue
            inside = min(span.end, c.end) - max(span.start, c.start)
            if inside < 0.5 * (span.end - span.start):
                continue
            key = (doc.doc_id, span.start)
            if key in seen:
                continue
            seen.add(key)
            out.append(Candidate(doc, span, rank, frozenset(tokenize(span.text))))
            if len(out) >= max_candidates:
                return out
    return out
