"""Chunk texts for benchmarks, cut by the index's own chunker when it is importable."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from bench.corpus import Article, estimate_chunks

log = logging.getLogger(__name__)


def _index_chunker(settings: Any) -> Any | None:
    """The index package's chunk function, or None (the bench then uses a sliding window)."""
    try:
        from index import chunking  # type: ignore[attr-defined]
    except ImportError:
        return None
    return chunking


def _sliding(text: str, size: int, overlap: int) -> list[str]:
    step = max(1, size - overlap)
    out = [text[i:i + size] for i in range(0, max(1, len(text) - overlap), step)]
    return [c for c in out if c.strip()]


def chunk_articles(articles: Iterable[Article], settings: Any) -> list[str]:
    """Chunk texts as the index would cut them (falls back to a 500/100 sliding window)."""
    size, overlap = settings.chunk_size, settings.chunk_overlap
    chunking = _index_chunker(settings)
    out: list[str] = []
    for art in articles:
        texts = None
        if chunking is not None:
            texts = _chunk_with_index(chunking, art, settings)
        out.extend(texts if texts is not None else _sliding(art.text, size, overlap))
    return out


def _chunk_with_index(chunking: Any, art: Article, settings: Any) -> list[str] | None:
    from index.models import Document

    doc = Document(doc_id=art.id, title=art.title, text=art.text, url=art.url,
                   published=art.published, source=art.source)
    for name in ("chunk_document", "split_document", "chunk"):
        fn = getattr(chunking, name, None)
        if fn is None:
            continue
        try:
            chunks = fn(doc, settings)
        except TypeError:
            try:
                chunks = fn(doc, chunk_size=settings.chunk_size,
                            chunk_overlap=settings.chunk_overlap)
            except TypeError:
                continue
        return [c.text for c in chunks]
    return None


def chunks_per_article(articles: list[Article], settings: Any) -> float:
    """Mean chunks per generated article under ``settings`` (sizes a corpus for N chunks)."""
    if not articles:
        return 1.0
    if _index_chunker(settings) is not None:
        return len(chunk_articles(articles, settings)) / len(articles)
    return sum(estimate_chunks(len(a.text), settings.chunk_size, settings.chunk_overlap)
               for a in articles) / len(articles)
