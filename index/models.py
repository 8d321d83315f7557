"""Documents and chunks as the index writes them and the answering core reads them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Document:
    """A cleaned article. ``text`` is the stored text every offset refers to."""

    doc_id: str
    title: str
    text: str
    url: str | None = None
    published: str | None = None  # ISO date where known
    source: str | None = None  # outlet
    path: str | None = None  # file it was loaded from
    content_hash: str = ""


@dataclass(frozen=True, slots=True)
class Chunk:
    """A slice of a document: ``text == document.text[start:end]`` always holds."""

    chunk_id: str  # f"{doc_id}:{position}"
    doc_id: str
    position: int
    text: str
    start: int
    end: int
    metadata: dict[str, str | int | float | bool] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ScoredChunk:
    chunk: Chunk
    score: float  # higher is better
