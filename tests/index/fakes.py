"""A fake embedder implementing LangChain's Embeddings interface that records its calls."""

from __future__ import annotations

from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings


class CountingEmbeddings(Embeddings):
    """Deterministic vectors (hash of the text) plus a log of every text embedded."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._inner = DeterministicFakeEmbedding(size=size)
        self.embedded: list[str] = []
        self.queries: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return self._inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return self._inner.embed_query(text)
