"""Embeddings that load the model on first use.

`newsdesk index build` on an unchanged corpus then never imports torch or loads the model
(seconds saved on every no-change build); the stamp still names the configured model and
reads its dimension from the model folder's config.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from index.embeddings import bundled_dimension, load_embeddings, model_name, resolve_model_path

if TYPE_CHECKING:
    from newsdesk.settings import Settings


class LazyEmbeddings(Embeddings):
    """The configured model, loaded on the first embed call (thread-safe)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._inner: Embeddings | None = None
        self._lock = threading.Lock()
        self.stamp_model = model_name(settings)
        self._dimension = bundled_dimension(resolve_model_path(settings))

    @property
    def loaded(self) -> bool:
        return self._inner is not None

    def model(self) -> Embeddings:
        with self._lock:
            if self._inner is None:
                self._inner = load_embeddings(self._settings)
            return self._inner

    @property
    def size(self) -> int:
        """Vector size from the model folder's config, or from the loaded model."""
        if self._dimension is None:
            self._dimension = len(self.model().embed_query("dimension probe"))
        return self._dimension

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.model().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.model().embed_query(text)
