"""Chunks of generated articles, cut by the index's own chunker (same texts the index embeds)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bench.corpus import Article


def chunk_articles(articles: Iterable[Article], settings: Any) -> list[str]:
    """Chunk texts exactly as ``build_index`` would cut these articles under ``settings``."""
    from index.chunking import chunk_document
    from index.cleaning import clean_text
    from index.models import Document

    out: list[str] = []
    for art in articles:
        text = clean_text(art.text)
        doc = Document(
            doc_id=art.id,
            title=art.title,
            text=text,
            url=art.url,
            published=art.published,
            source=art.source,
        )
        out.extend(c.text for c in chunk_document(doc, settings.chunk_size, settings.chunk_overlap))
    return out


def chunks_per_article(articles: list[Article], settings: Any) -> float:
    """Mean chunks per generated article (sizes a corpus for a target chunk count)."""
    if not articles:
        return 1.0
    return len(chunk_articles(articles, settings)) / len(articles)
