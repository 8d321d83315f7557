"""The records of ``<base>__meta`` that decide what readers serve.

- ``active``: the ``Pointer`` readers follow. A build switches it with one upsert after the new
  generation is complete and checked: that single write is the atomic switch.
- ``update-log``: the in-place update in progress (``index.update``), written before the update
  touches a record and cleared after it completed, so the next build can finish a killed one.

(The third record, the server-mode build lease, is ``index.locking``'s.) These functions take
the meta collection; ``index.store.Store`` opens it and turns failures into typed errors.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from index.records import PLACEHOLDER_EMBEDDING, as_vectors

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)

POINTER_ID = "active"
UPDATE_LOG_ID = "update-log"
LAYOUT = 2


@dataclass(frozen=True, slots=True)
class Pointer:
    """Which generation readers serve, and what is known about it."""

    generation: str
    stamp: dict[str, Any]
    built_at: str
    documents: int
    chunks: int
    previous: str | None = None
    build_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    # 2: chunk records carry ``doc_hash`` and versioned ids (``record_id``), so documents can be
    # replaced in place; 1 (older indexes): the next build writes a new generation.
    layout: int = 1
    revision: int = 0  # in-place updates of this generation (readers reload caches on change)
    # Chunk collections written by in-place updates (``<generation>__dNNNNNN``), searched with
    # the generation's own; each is complete before the pointer names it and never written again.
    deltas: list[str] = field(default_factory=list)
    superseded: int = 0  # stored chunks no document record serves (removed/replaced versions)

    @property
    def chunk_collections(self) -> list[str]:
        return [self.generation, *self.deltas]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> Pointer:
        data = json.loads(raw)
        return cls(**data)


def _document(meta: Collection, record: str) -> str | None:
    got = meta.get(ids=[record], include=["documents"])
    docs = got.get("documents") or []
    if not got["ids"] or not docs or not docs[0]:
        return None
    return docs[0]


class UnreadablePointer(Exception):
    """The pointer record exists but is not a ``Pointer`` (the store reports ``IndexCorrupt``)."""


def read_pointer(meta: Collection | None) -> Pointer | None:
    """None when nothing was built; ``UnreadablePointer`` when the record is garbage."""
    raw = None if meta is None else _document(meta, POINTER_ID)
    if raw is None:
        return None
    try:
        return Pointer.from_json(raw)
    except (ValueError, TypeError) as exc:
        raise UnreadablePointer(str(exc)) from exc


def write_pointer(meta: Collection, pointer: Pointer) -> None:
    """The atomic switch: one upsert of one record."""
    meta.upsert(
        ids=[POINTER_ID],
        embeddings=as_vectors([PLACEHOLDER_EMBEDDING]),
        documents=[pointer.to_json()],
        metadatas=[{"generation": pointer.generation, "built_at": pointer.built_at}],
    )


def read_update_log(meta: Collection | None) -> dict[str, Any] | None:
    """The pending in-place update (``generation``, ``docs``: doc_id -> new hash or None,
    ``delta``); None when there is none (an unreadable log is ignored, with a warning)."""
    raw = None if meta is None else _document(meta, UPDATE_LOG_ID)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        log.warning("unreadable update log ignored")
        return None
    return data if isinstance(data, dict) else None


def write_update_log(
    meta: Collection, generation: str, docs: dict[str, str | None], delta: str
) -> None:
    entry = {"generation": generation, "docs": docs, "delta": delta}
    meta.upsert(
        ids=[UPDATE_LOG_ID],
        embeddings=as_vectors([PLACEHOLDER_EMBEDDING]),
        documents=[json.dumps(entry, sort_keys=True)],
    )


def clear_update_log(meta: Collection | None) -> None:
    if meta is not None:
        meta.delete(ids=[UPDATE_LOG_ID])
