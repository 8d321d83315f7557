"""LangChain's ``Embeddings`` over a loaded SentenceTransformer (see ``load_embeddings``).

Our own small class instead of ``langchain_huggingface.HuggingFaceEmbeddings``: that package's
``__init__`` also imports its chat models, LLM wrappers and endpoint clients, paid on every
start of ``newsdesk ask`` and the bot, for one ``encode`` call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class SentenceEmbeddings(Embeddings):
    """Normalised vectors from ``model.encode``, exactly as HuggingFaceEmbeddings computed them
    (same call, same batch size), so indexes built before keep matching their queries."""

    def __init__(self, model: SentenceTransformer, *, batch_size: int, stamp_name: str) -> None:
        self.sentence_transformer = model  # embedding_dimension() and the indexing bench read it
        self.batch_size = batch_size
        self.stamp_model = stamp_name  # index.embeddings.StampedEmbeddings

    def _encode(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        # HuggingFaceEmbeddings replaced newlines before encoding; keep doing it so vectors
        # match indexes built with it, whatever the tokenizer does with them.
        cleaned = [text.replace("\n", " ") for text in texts]
        vectors = self.sentence_transformer.encode(
            cleaned,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        if not isinstance(vectors, np.ndarray):
            raise TypeError(f"SentenceTransformer.encode returned {type(vectors).__name__}")
        rows: list[list[float]] = vectors.tolist()
        return rows

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(list(texts))

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text])[0]
