"""Documents and chunks as the index writes them and the answering core reads them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime


def day_timestamp(published: str | None) -> int | None:
    """Seconds since the epoch of an ISO date's day (UTC midnight), for numeric Chroma filters."""
    if not published or len(published) < 10:
        return None
    try:
        day = date.fromisoformat(published[:10])
    except ValueError:
        return None
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


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
    author: str | None = None  # byline, where the article states one
    duplicate_cluster: str | None = None  # near-duplicate (wire copy) group: its first doc id

    @property
    def published_ts(self) -> int | None:
        return day_timestamp(self.published)


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
