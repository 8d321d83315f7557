"""The Chroma side of the index: one ``Store`` per index, opening the client and its collections.

The pieces it is made of, each in its own module:

- ``index.chroma_client``: connecting (embedded or a server, with timeouts) and transport errors;
- ``index.generations``: the collection names of one index (generations, deltas, docs, meta);
- ``index.pointer``: the records of the meta collection readers follow (pointer, update log);
- ``index.records``: record ids and explicit vectors;
- ``index.disk``: the embedded store's disk, measured and given back.

Readers only ever follow the pointer (``read_pointer``/``active_pointer``), and a build switches
it with one upsert after the new generation is complete and checked.
"""

from __future__ import annotations

import json
import logging
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from index import pointer as meta_records
from index.chroma_client import (
    chroma_path,
    connect_server,
    is_connection_error,
    location,
    open_persistent,
    unavailable,
)
from index.disk import SQLITE_NAME, DiskUsage, Reclaimed, measure, other_processes_using, reclaim
from index.generations import CollectionNames, validate_base
from index.pointer import Pointer
from newsdesk.errors import IndexCorrupt, IndexMissing, NewsdeskError

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from newsdesk.settings import Settings

log = logging.getLogger(__name__)

# Documents and the pointer are read by id only (placeholder vectors): their vector index is
# written to disk every few records, so Chroma's write-ahead log for them stays short.
SMALL_COLLECTION: Any = {"hnsw": {"sync_threshold": 16, "batch_size": 16}}
BUILD_HINT = "run `newsdesk index build`"
FORCE_HINT = "run `newsdesk index build --force`"
# Stores opened for reading in this process (an IndexReader keeps its own): compaction waits
# until none is open (see Store.reclaim_disk).
_READERS: weakref.WeakSet[Store] = weakref.WeakSet()


class Store:
    """A Chroma client plus the naming scheme of one index (``settings.collection``)."""

    def __init__(self, client: ClientAPI, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.names = CollectionNames(settings.collection)
        self.base = self.names.base
        self.ef_search = settings.hnsw_ef_search
        self.location = location(settings)
        self.remote = settings.chroma_url is not None

    # --- opening ------------------------------------------------------------------------
    @classmethod
    def open(cls, settings: Settings, *, create: bool) -> Store:
        """Connect. ``create=False`` (readers) never creates a data directory."""
        validate_base(settings.collection)
        if settings.chroma_url:
            return cls(connect_server(settings.chroma_url, settings.chroma_timeout_s), settings)
        path = chroma_path(settings)
        if not create and not (path / SQLITE_NAME).exists():
            raise IndexMissing(f"No index at {path}", hint=BUILD_HINT)
        if create:
            path.mkdir(parents=True, exist_ok=True)
        try:
            client = open_persistent(path)
        except Exception as exc:
            raise IndexCorrupt(
                f"The index at {path} cannot be opened ({type(exc).__name__}: {exc})",
                hint=FORCE_HINT,
            ) from exc
        store = cls(client, settings)
        if not create:
            _READERS.add(store)
        return store

    @contextmanager
    def errors(self, what: str, *, corrupt: bool = True) -> Iterator[None]:
        """Translate Chroma/transport failures into typed errors naming the store.

        ``corrupt=False`` (builds) maps only connection failures; anything else propagates.
        """
        try:
            yield
        except NewsdeskError:
            raise
        except Exception as exc:
            if self.remote and is_connection_error(exc):
                raise unavailable(
                    self.location, exc, read_timeout_s=self.settings.chroma_timeout_s
                ) from exc
            if not corrupt:
                raise
            raise IndexCorrupt(
                f"Reading the index at {self.location} failed while {what} "
                f"({type(exc).__name__}: {exc})",
                hint=FORCE_HINT,
            ) from exc

    # --- names (``index.generations``) ----------------------------------------------------
    def collection_names(self) -> list[str]:
        return [c if isinstance(c, str) else c.name for c in self.client.list_collections()]

    def generations(self) -> list[str]:
        """Every generation (chunk collection) of this base, complete or not, oldest first."""
        return self.names.generations(self.collection_names())

    def next_generation(self) -> str:
        return self.names.next_generation(self.collection_names())

    def deltas_of(self, generation: str) -> list[str]:
        return self.names.deltas(generation, self.collection_names())

    def next_delta(self, generation: str) -> str:
        return self.names.next_delta(generation, self.collection_names())

    # --- collections --------------------------------------------------------------------
    def meta(self, *, create: bool) -> Collection | None:
        from chromadb.errors import NotFoundError

        if create:
            return self.client.get_or_create_collection(
                self.names.meta, embedding_function=None, configuration=SMALL_COLLECTION
            )
        try:
            return self.client.get_collection(self.names.meta, embedding_function=None)
        except NotFoundError:
            return None

    def chunks(self, generation: str) -> Collection:
        return self.client.get_collection(generation, embedding_function=None)

    def docs(self, generation: str) -> Collection:
        return self.client.get_collection(self.names.docs(generation), embedding_function=None)

    def collection(self, name: str) -> Collection:
        return self.client.get_collection(name, embedding_function=None)

    def _stamp_metadata(self, stamp: dict[str, Any]) -> dict[str, Any]:
        return {"newsdesk_stamp": json.dumps(stamp, sort_keys=True), "newsdesk_base": self.base}

    def _create_chunks(self, name: str, metadata: dict[str, Any]) -> Collection:
        hnsw: dict[str, Any] = {"space": "cosine", "ef_search": self.ef_search}
        if self.settings.hnsw_sync_threshold is not None:
            threshold = self.settings.hnsw_sync_threshold
            hnsw.update(sync_threshold=threshold, batch_size=min(100, threshold))
        return self.client.create_collection(
            name, embedding_function=None, metadata=metadata, configuration=cast(Any, {"hnsw": hnsw})
        )

    def create_delta(self, name: str, stamp: dict[str, Any]) -> Collection:
        return self._create_chunks(name, self._stamp_metadata(stamp))

    def create_generation(
        self, generation: str, stamp: dict[str, Any]
    ) -> tuple[Collection, Collection]:
        metadata = self._stamp_metadata(stamp)
        chunks = self._create_chunks(generation, metadata)
        docs = self.client.create_collection(
            self.names.docs(generation),
            embedding_function=None,
            metadata=metadata,
            configuration=SMALL_COLLECTION,
        )
        return chunks, docs

    def drop_collection(self, name: str) -> None:
        from chromadb.errors import NotFoundError

        try:
            self.client.delete_collection(name)
            log.info("deleted collection %s", name)
        except NotFoundError:
            pass

    def drop_generation(self, generation: str) -> None:
        for name in (generation, self.names.docs(generation), *self.deltas_of(generation)):
            self.drop_collection(name)

    def drop_all_generations_except(self, keep: set[str]) -> list[str]:
        """Delete leftovers (crashed builds, garbage-collected generations), then give their
        disk space back (embedded store)."""
        dropped = []
        for name in self.collection_names():
            gen = self.names.generation_of(name)
            if self.names.generation_number(gen) is not None and gen not in keep:
                self.drop_generation(gen)
                dropped.append(gen)
        self.reclaim_disk()
        return sorted(set(dropped))

    # --- disk (``index.disk``) ------------------------------------------------------------
    def reclaim_disk(self, *, compact: bool | None = None) -> Reclaimed | None:
        """Remove segment directories of dropped collections, and compact SQLite when worth it
        (``index.disk``; Chroma 1.5.9 leaves both behind). None with a server: its disk is
        the server's (docs/reliability.md).

        ``compact=None``: compact only when nothing else uses the store (no reader open in
        this process, no other process holding ``chroma.sqlite3``): Chroma cannot share it
        with a writer outside itself. The bot, which keeps a reader open, leaves compaction to
        `newsdesk index compact`.
        """
        if self.remote:
            return None
        path = chroma_path(self.settings)
        if compact is None:
            others = other_processes_using(path / SQLITE_NAME)
            readers = [s for s in _READERS if s.location == self.location]
            compact = others == [] and not readers
            if not compact:
                log.debug("SQLite compaction skipped: in use (%s, %d readers)", others, len(readers))
        return reclaim(path, compact_sqlite=compact)

    def disk_usage(self, active: str | None, previous: str | None) -> DiskUsage | None:
        """Bytes held on disk, by what holds them; None with a server."""
        if self.remote:
            return None
        return measure(chroma_path(self.settings), active, previous, self.base)

    # --- meta records (``index.pointer``) -------------------------------------------------
    def active_pointer(self) -> Pointer:
        """The pointer readers follow; IndexMissing (with the build hint) if nothing was built."""
        with self.errors("reading the active pointer"):
            pointer = self.read_pointer()
        if pointer is None:
            raise IndexMissing(f"No index at {self.location}", hint=BUILD_HINT)
        return pointer

    def read_pointer(self) -> Pointer | None:
        try:
            return meta_records.read_pointer(self.meta(create=False))
        except meta_records.UnreadablePointer as exc:
            raise IndexCorrupt(
                f"The active-index pointer in {self.location} is unreadable ({exc})",
                hint=FORCE_HINT,
            ) from exc

    def write_pointer(self, pointer: Pointer) -> None:
        """The atomic switch: one upsert of one record."""
        meta_records.write_pointer(self._meta(), pointer)

    def read_update_log(self) -> dict[str, Any] | None:
        """The pending in-place update (``index.pointer.read_update_log``)."""
        return meta_records.read_update_log(self.meta(create=False))

    def write_update_log(self, generation: str, docs: dict[str, str | None], delta: str) -> None:
        meta_records.write_update_log(self._meta(), generation, docs, delta)

    def clear_update_log(self) -> None:
        meta_records.clear_update_log(self.meta(create=False))

    def _meta(self) -> Collection:
        meta = self.meta(create=True)
        assert meta is not None
        return meta
