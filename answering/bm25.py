"""Okapi BM25 over an inverted index, built once per index generation.

rank_bm25 scores every document for every query token (O(N) per token); at 100k chunks that is
too slow. Here the postings are CSR arrays (per term: document indices and precomputed BM25
weights), built with numpy in one pass, so a query touches only the documents containing its
terms.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from answering.text import tokenize


class BM25Index:
    """Keyword scores for a fixed list of texts. Immutable after construction (thread-safe)."""

    def __init__(
        self,
        texts: Iterable[str],
        *,
        k1: float = 1.5,
        b: float = 0.75,
        tokenizer: Callable[[str], list[str]] = tokenize,
    ) -> None:
        self._tokenizer = tokenizer
        vocab: dict[str, int] = {}
        flat: list[int] = []
        lengths: list[int] = []
        for text in texts:
            ids = [vocab.setdefault(t, len(vocab)) for t in tokenizer(text)]
            flat.extend(ids)
            lengths.append(len(ids))
        self.size = n = len(lengths)
        self._vocab = vocab
        doc_len = np.asarray(lengths, dtype=np.float32)
        avgdl = float(doc_len.mean()) if n else 1.0
        norm = k1 * (1.0 - b + b * doc_len / max(avgdl, 1e-9))
        terms = np.asarray(flat, dtype=np.int64)
        docs = np.repeat(np.arange(n, dtype=np.int64), lengths)
        # One (term, document) pair per key; sorted by term, then document.
        keys, tf = np.unique(terms * max(n, 1) + docs, return_counts=True)
        term_of = keys // max(n, 1)
        self._docs = (keys % max(n, 1)).astype(np.int32)
        tf = tf.astype(np.float32)
        self._weights = (tf * (k1 + 1.0) / (tf + norm[self._docs])).astype(np.float32)
        self._bounds = np.searchsorted(term_of, np.arange(len(vocab) + 1)).astype(np.int64)
        df = np.diff(self._bounds).astype(np.float64)
        # BM25+-style idf that stays positive for very common terms.
        self._idf = np.log1p((n - df + 0.5) / (df + 0.5))

    def idf(self, term: str) -> float:
        """Inverse document frequency of a (tokenised) term; 0.0 if the corpus never uses it."""
        tid = self._vocab.get(term)
        return float(self._idf[tid]) if tid is not None else 0.0

    def max_idf(self) -> float:
        return math.log(1.0 + (self.size + 0.5) / 1.5) if self.size else 0.0

    def __contains__(self, term: object) -> bool:
        return term in self._vocab

    def search_terms(self, terms: Sequence[str] | Mapping[str, float], k: int) -> list[tuple[int, float]]:
        """Top ``k`` (text index, score) for query terms (or term -> weight), best first."""
        if not self.size or k <= 0:
            return []
        weighted = dict(terms) if isinstance(terms, Mapping) else Counter(terms)
        scores: np.ndarray | None = None
        for term, qtf in weighted.items():
            tid = self._vocab.get(term)
            if tid is None:
                continue
            if scores is None:
                scores = np.zeros(self.size, dtype=np.float32)
            start, end = self._bounds[tid], self._bounds[tid + 1]
            scores[self._docs[start:end]] += (self._idf[tid] * qtf) * self._weights[start:end]
        if scores is None:
            return []
        hits = np.flatnonzero(scores)
        if hits.size > k:
            top = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        else:
            top = hits
        order = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in order]

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        return self.search_terms(self._tokenizer(query), k)
