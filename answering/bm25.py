"""Okapi BM25 over an inverted index, built once per index generation.

rank_bm25 scores every document for every query token (O(N) per token); at 100k chunks that is
too slow. Here each term keeps a posting array of (document index, precomputed BM25 weight), so a
query touches only the documents that contain its terms.
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
        rows: dict[str, list[int]] = {}
        tfs: dict[str, list[int]] = {}
        lengths: list[int] = []
        for i, text in enumerate(texts):
            counts = Counter(tokenizer(text))
            lengths.append(sum(counts.values()))
            for term, count in counts.items():
                rows.setdefault(term, []).append(i)
                tfs.setdefault(term, []).append(count)
        self.size = len(lengths)
        doc_len = np.asarray(lengths, dtype=np.float32)
        avgdl = float(doc_len.mean()) if self.size else 1.0
        norm = k1 * (1.0 - b + b * doc_len / max(avgdl, 1e-9))
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._idf: dict[str, float] = {}
        for term, idx_list in rows.items():
            idx = np.asarray(idx_list, dtype=np.int32)
            tf = np.asarray(tfs[term], dtype=np.float32)
            df = len(idx_list)
            # BM25+-style idf that stays positive for very common terms.
            self._idf[term] = math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))
            self._postings[term] = (idx, tf * (k1 + 1.0) / (tf + norm[idx]))

    def idf(self, term: str) -> float:
        """Inverse document frequency of a (tokenised) term; 0.0 if the corpus never uses it."""
        return self._idf.get(term, 0.0)

    def max_idf(self) -> float:
        return math.log(1.0 + (self.size + 0.5) / 1.5) if self.size else 0.0

    def __contains__(self, term: object) -> bool:
        return term in self._postings

    def search_terms(self, terms: Sequence[str] | Mapping[str, float], k: int) -> list[tuple[int, float]]:
        """Top ``k`` (text index, score) for query terms (or term -> weight), best first."""
        if not self.size or k <= 0:
            return []
        weighted = dict(terms) if isinstance(terms, Mapping) else Counter(terms)
        scores: np.ndarray | None = None
        for term, qtf in weighted.items():
            posting = self._postings.get(term)
            if posting is None:
                continue
            if scores is None:
                scores = np.zeros(self.size, dtype=np.float32)
            idx, weight = posting
            scores[idx] += (self._idf[term] * qtf) * weight
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
