"""What `newsdesk index status` shows, read from the active pointer without loading the model."""

from __future__ import annotations

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
    )
