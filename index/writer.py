"""Chunk upserts on one background thread, so Chroma writes while the model embeds.

A write (and the float-list conversion before it) runs alongside the next batches' forward
passes instead of between them. Writes keep their order (one worker thread) and at most
``depth`` writes wait, so memory stays bounded; a failed write is re-raised in the building
thread at the next ``submit`` or at ``wait``, where the build's error translation
(StoreUnavailable, BuildFailed) sees it exactly as if the write had run inline.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING

from index.models import Chunk, Document
from index.records import PLACEHOLDER_EMBEDDING, as_vectors, record_id
from index.store import Store
from newsdesk.errors import IndexCorrupt

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from langchain_core.embeddings import Embeddings

    from index.locking import Lease

# progress(stage, done, total): stage is "embed" (chunks embedded) or "copy" (chunks copied).
Progress = Callable[[str, int, int], None]
# Chunks per Chroma write while embedding (at least one embedding batch): 512-record upserts
# cost about half as much per record as 64-record ones.
UPSERT_GROUP = 512

log = logging.getLogger(__name__)


def versioned(chunks: Sequence[Chunk], doc: Document) -> list[Chunk]:
    """``chunks`` of ``doc`` stamped with the document's version (``doc_hash``), which decides
    their record ids and whether a reader serves them (only with that document record)."""
    return [replace(c, metadata={**c.metadata, "doc_hash": doc.content_hash}) for c in chunks]


def longest_first(chunks: Sequence[Chunk]) -> list[Chunk]:
    """Chunks ordered by text length, longest first (ties keep their order).

    sentence-transformers pads every text of a batch to the batch's longest one, and sorts by
    length only within one ``encode`` call. Sorting the whole build's chunks before cutting
    them into batches gives each batch texts of similar length, the same batches one
    ``encode`` over all chunks would form (it also sorts by character length, longest first).
    """
    return sorted(chunks, key=lambda c: -len(c.text))


class BackgroundUpserts:
    """Ordered chunk upserts into ``collection`` on one worker thread (a context manager).

    Batches are gathered into writes of at least ``group`` chunks: Chroma's cost per record
    roughly halves from 64-record to 512-record upserts, and its Rust binding holds the GIL
    while it writes, so fewer, larger writes also take less time away from the model.
    Leaving the block without an error does not wait: call ``wait()`` first, so the caller
    decides when the writes must be complete. Leaving it on an error drops what was not yet
    sent, cancels queued writes and waits for the one in progress, so nothing writes after
    the build returns.
    """

    def __init__(self, collection: Collection, depth: int = 1, group: int = 1) -> None:
        if depth < 1 or group < 1:
            raise ValueError("depth and group must be at least 1")
        self._collection = collection
        self._depth = depth
        self._group = group
        self._chunks: list[Chunk] = []
        self._vectors: list[Sequence[float]] = []
        self._pending: deque[Future[int]] = deque()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsdesk-upsert")
        self.written = 0

    def __enter__(self) -> BackgroundUpserts:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            for future in self._pending:
                future.cancel()
        self._pool.shutdown(wait=True, cancel_futures=exc_type is not None)
        if exc_type is not None:
            for future in self._pending:
                if not future.cancelled() and future.exception() is not None:
                    log.debug("upsert failed after an earlier error", exc_info=future.exception())

    def submit(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        """Add one embedded batch; sends a write once ``group`` chunks are gathered.

        A write that already failed is raised here, at once, not a group later.
        """
        while self._pending and self._pending[0].done():
            self._collect()
        self._chunks.extend(chunks)
        self._vectors.extend(vectors)
        if len(self._chunks) >= self._group:
            self._send()

    def flush(self) -> None:
        """Send what is gathered now, even less than ``group`` (e.g. before the last batch,
        so the one write the build must wait for at the end is small)."""
        self._send()

    def wait(self) -> int:
        """Send what is gathered and block until every write is done; re-raises the first
        failure. Returns the number of chunks written."""
        self._send()
        while self._pending:
            self._collect()
        return self.written

    def _send(self) -> None:
        if not self._chunks:
            return
        while len(self._pending) >= self._depth:  # bounded: wait for older writes first
            self._collect()
        chunks, vectors = self._chunks, self._vectors
        self._chunks, self._vectors = [], []
        ids = [record_id(c) for c in chunks]
        documents = [c.text for c in chunks]
        metadatas = [dict(c.metadata) for c in chunks]
        self._pending.append(self._pool.submit(self._write, ids, vectors, documents, metadatas))

    def _collect(self) -> None:
        future = self._pending.popleft()
        self.written += future.result()

    def _write(
        self,
        ids: list[str],
        vectors: Sequence[Sequence[float]],
        documents: list[str],
        metadatas: list[dict[str, str | int | float | bool]],
    ) -> int:
        self._collection.upsert(
            ids=ids,
            embeddings=as_vectors(vectors),
            documents=documents,
            metadatas=metadatas,  # type: ignore[arg-type]
        )
        return len(ids)


def _batches(size: int, total: int) -> range:
    return range(0, total, size)


def doc_metadata(doc: Document) -> dict[str, str | int | float | bool | None]:
    """A document's whole record: a field it lacks is None, which Chroma's upsert reads as
    "delete this key" (it merges metadata): an article that leaves its near-duplicate group or
    loses its byline must not keep the old value."""
    meta: dict[str, str | int | float | bool | None] = {
        "title": doc.title,
        "content_hash": doc.content_hash,
    }
    for key in ("url", "published", "published_ts", "source", "author", "path", "duplicate_cluster"):
        meta[key] = getattr(doc, key) or None
    return meta


def write_docs(docs_col: Collection, docs: Sequence[Document], store: Store) -> None:
    batch = min(1000, store.client.get_max_batch_size())
    for i in _batches(batch, len(docs)):
        part = docs[i : i + batch]
        docs_col.upsert(
            ids=[d.doc_id for d in part],
            documents=[d.text for d in part],
            metadatas=[doc_metadata(d) for d in part],
            embeddings=as_vectors(PLACEHOLDER_EMBEDDING for _ in part),
        )


def embed_chunks(
    col: Collection,
    chunks: list[Chunk],
    embeddings: Embeddings,
    reusable: dict[str, Sequence[float]],
    batch_size: int,
    progress: Progress | None,
    lease: Lease,
    dimension: int,
) -> tuple[int, int]:
    """Store ``chunks``; embed only those whose text has no reusable embedding.

    The texts to embed go longest first (less padding per batch), and upserts of
    ``UPSERT_GROUP`` chunks run in the background while the next batches embed (see
    ``index.writer``); every write has completed, or its error has been raised here, before
    this returns.
    Returns (embedded, reused).
    """
    reuse = [c for c in chunks if str(c.metadata.get("text_hash")) in reusable]
    todo = [c for c in chunks if str(c.metadata.get("text_hash")) not in reusable]
    if reuse:
        col.upsert(
            ids=[record_id(c) for c in reuse],
            embeddings=as_vectors(reusable[str(c.metadata["text_hash"])] for c in reuse),
            documents=[c.text for c in reuse],
            metadatas=[dict(c.metadata) for c in reuse],
        )
    todo = longest_first(todo)  # batches of similar length: less padding in the model
    if progress:
        progress("embed", 0, len(todo))
    group = max(batch_size, UPSERT_GROUP)
    with BackgroundUpserts(col, group=group) as writer:  # Chroma writes while the model embeds
        for i in _batches(batch_size, len(todo)):
            part = todo[i : i + batch_size]
            vectors = embeddings.embed_documents([c.text for c in part])
            if len(vectors) != len(part) or any(len(v) != dimension for v in vectors):
                raise IndexCorrupt(
                    f"The embedder returned {len(vectors)} vectors for {len(part)} texts "
                    f"(expected one of size {dimension} each)",
                    hint="check NEWSDESK_EMBEDDING_MODEL",
                )
            writer.submit(part, vectors)
            if len(todo) - (i + len(part)) <= batch_size:
                writer.flush()  # write while the last batch embeds: only it is left to wait for
            lease.renew()
            if progress and i + len(part) < len(todo):
                progress("embed", i + len(part), len(todo))
        writer.wait()
    if progress and todo:
        progress("embed", len(todo), len(todo))
    return len(todo), len(reuse)
