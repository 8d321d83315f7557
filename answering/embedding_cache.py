"""Embed each question once: the reader's vector search and sentence scoring share the vector.

Wraps the loaded embeddings (same model, same vectors) and remembers recent ``embed_query``
results. It carries the wrapped model's stamp name so the index's embedder check still passes.
"""

from __future__ import annotations

import threading

from cachetools import LRUCache
from langchain_core.embeddings import Embeddings

from index.embeddings import StampedEmbeddings


class QueryCachedEmbeddings(Embeddings):
    def __init__(self, inner: Embeddings, max_queries: int = 1024) -> None:
        self.inner = inner
        self._cache: LRUCache[str, list[float]] = LRUCache(maxsize=max_queries)
        self._lock = threading.Lock()
        if isinstance(inner, StampedEmbeddings):
            self.stamp_model = inner.stamp_model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            hit = self._cache.get(text)
        if hit is not None:
            return list(hit)
        vector = self.inner.embed_query(text)
        with self._lock:
            self._cache[text] = list(vector)
        return vector
