"""What `newsdesk index status` shows, read from the active pointer without loading the model."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from index.embeddings import embedding_stamp, stamp_differences
from index.store import FORCE_HINT, Store
from newsdesk.errors import IndexCorrupt, NewsdeskError

if TYPE_CHECKING:
    from newsdesk.settings import Settings


@dataclass(slots=True)
class IndexStatus:
    documents: int
    chunks: int
    model: str
    dimension: int | None
    chunk_size: int
    chunk_overlap: int
    generation: str
    previous: str | None
    built_at: str
    location: str
    stamp: dict[str, Any] = field(default_factory=dict)
    # Differences between the index's stamp and the current settings (empty = usable as is).
    stale: list[str] = field(default_factory=list)
    # Embedded store: bytes by what holds them (``index.disk.DiskUsage.to_dict()``, including
    # ``not_serving_bytes``); None with a Chroma server (its disk is the server's).
    disk: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_generation_exists(store: Store, generation: str) -> None:
    """A pointer to a deleted collection is a broken index, not a healthy one (health uses this)."""
    from chromadb.errors import NotFoundError

    try:
        with store.errors("checking the active generation"):
            store.chunks(generation)
    except IndexCorrupt as exc:
        if isinstance(exc.__cause__, NotFoundError | ValueError):
            raise IndexCorrupt(
                f"The active index generation {generation} is missing from {store.location}",
                hint=FORCE_HINT,
            ) from exc
        raise


def index_status(settings: Settings) -> IndexStatus:
    """Status of the active generation; IndexMissing if nothing was built yet."""
    store = Store.open(settings, create=False)
    pointer = store.active_pointer()
    _check_generation_exists(store, pointer.generation)
    try:
        current = embedding_stamp(settings)
        stale = stamp_differences(pointer.stamp, current)
    except NewsdeskError as exc:  # e.g. the configured model folder is missing
        stale = [str(exc)]
    stamp = pointer.stamp
    return IndexStatus(
        documents=pointer.documents,
        chunks=pointer.chunks,
        model=str(stamp.get("model")),
        dimension=stamp.get("dimension"),
        chunk_size=int(stamp.get("chunk_size", 0)),
        chunk_overlap=int(stamp.get("chunk_overlap", 0)),
        generation=pointer.generation,
        previous=pointer.previous,
        built_at=pointer.built_at,
        location=store.location,
        stamp=dict(stamp),
        stale=stale,
        disk=disk_report(store, pointer.generation, pointer.previous),
    )


def disk_report(store: Store, active: str, previous: str | None) -> dict[str, Any] | None:
    try:
        usage = store.disk_usage(active, previous)
    except (OSError, sqlite3.Error) as exc:  # status must not fail on a measurement
        return {"error": f"{type(exc).__name__}: {exc}"}
    return usage.to_dict() if usage is not None else None
