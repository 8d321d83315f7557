"""Read access to the active index generation: what the answering core and the bot use.

Thread-safe: the served generation is swapped under a lock by ``refresh()``; documents and
chunks are cached per generation. A generation deleted under a reader (two rebuilds since it
last refreshed) is noticed on the next search, which refreshes and retries once.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from index.embeddings import embedding_stamp, stamp_differences
from index.models import Chunk, Document, ScoredChunk
from index.store import FORCE_HINT, Pointer, Store
from newsdesk.errors import EmbedderMismatch, IndexCorrupt

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from langchain_chroma import Chroma
    from langchain_core.embeddings import Embeddings

    from newsdesk.settings import Settings

log = logging.getLogger(__name__)

PAGE = 1000
_CHUNK_META = ("doc_id", "position", "start", "end")


def document_from_record(doc_id: str, text: str | None, meta: dict[str, Any] | None) -> Document:
    meta = meta or {}

    def opt(key: str) -> str | None:
        value = meta.get(key)
        return str(value) if value not in (None, "") else None

    return Document(
        doc_id=doc_id,
        title=str(meta.get("title") or doc_id),
        text=text or "",
        url=opt("url"),
        published=opt("published"),
        source=opt("source"),
        path=opt("path"),
        content_hash=str(meta.get("content_hash") or ""),
        author=opt("author"),
        duplicate_cluster=opt("duplicate_cluster"),
    )


def chunk_from_record(chunk_id: str, text: str | None, meta: dict[str, Any] | None) -> Chunk:
    meta = dict(meta or {})
    missing = [k for k in _CHUNK_META if k not in meta]
    if missing:
        raise IndexCorrupt(f"Chunk {chunk_id} lacks {', '.join(missing)}", hint=FORCE_HINT)
    return Chunk(
        chunk_id=chunk_id,
        doc_id=str(meta["doc_id"]),
        position=int(meta["position"]),
        text=text or "",
        start=int(meta["start"]),
        end=int(meta["end"]),
        metadata=meta,
    )


def read_all(col: Collection, include: list[str]) -> tuple[list[str], list[Any], list[Any]]:
    """All records of a collection, paged: (ids, documents, metadatas)."""
    ids: list[str] = []
    texts: list[Any] = []
    metas: list[Any] = []
    total = col.count()
    for offset in range(0, total, PAGE):
        page = col.get(limit=PAGE, offset=offset, include=include)  # type: ignore[arg-type]
        ids.extend(page["ids"])
        texts.extend(page.get("documents") or [None] * len(page["ids"]))
        metas.extend(page.get("metadatas") or [None] * len(page["ids"]))
    return ids, texts, metas


class _Generation:
    """One generation's collections and caches (immutable once built)."""

    def __init__(self, store: Store, pointer: Pointer, embeddings: Embeddings) -> None:
        from langchain_chroma import Chroma

        self.pointer = pointer
        self.chunks_col: Collection = store.chunks(pointer.generation)
        self.docs_col: Collection = store.docs(pointer.generation)
        self.vectors: Chroma = Chroma(
            client=store.client,
            collection_name=pointer.generation,
            embedding_function=embeddings,
            create_collection_if_not_exists=False,
        )
        # langchain-chroma's get_collection attaches Chroma's default embedding function (which
        # would download a model if ever called); serve through our collection, which has none.
        self.vectors._chroma_collection = self.chunks_col
        self.documents: dict[str, Document] | None = None
        self.chunks: list[Chunk] | None = None
        self.lock = threading.Lock()


class IndexReader:
    """Reads the active generation; see docs/architecture.md for the contract."""

    def __init__(self, store: Store, embeddings: Embeddings, stamp: dict[str, Any]) -> None:
        self._store = store
        self._embeddings = embeddings
        self._expected = stamp
        self._lock = threading.RLock()
        self._gen = self._load_generation()

    # --- generation handling -----------------------------------------------------------
    def _load_generation(self) -> _Generation:
        from chromadb.errors import NotFoundError

        pointer = self._store.active_pointer()
        diffs = stamp_differences(pointer.stamp, self._expected)
        if diffs:
            raise EmbedderMismatch(
                "The index was built with a different embedder or chunking: " + "; ".join(diffs),
                hint=FORCE_HINT,
            )
        try:
            with self._store.errors("opening the active generation"):
                return _Generation(self._store, pointer, self._embeddings)
        except IndexCorrupt as exc:
            if isinstance(exc.__cause__, NotFoundError | ValueError):
                raise IndexCorrupt(
                    f"The active index generation {pointer.generation} is missing from "
                    f"{self._store.location}",
                    hint=FORCE_HINT,
                ) from exc
            raise

    def refresh(self) -> bool:
        """Re-read the active pointer; True if a different generation is now served."""
        with self._store.errors("reading the active pointer"):
            pointer = self._store.read_pointer()
        with self._lock:
            if pointer is not None and pointer.generation == self._gen.pointer.generation:
                return False
            self._gen = self._load_generation()
            log.info("index reader now serves %s", self._gen.pointer.generation)
            return True

    def _current(self) -> _Generation:
        with self._lock:
            return self._gen

    # --- contract -----------------------------------------------------------------------
    @property
    def stamp(self) -> dict[str, Any]:
        return dict(self._current().pointer.stamp)

    @property
    def generation(self) -> str:
        return self._current().pointer.generation

    @property
    def pointer(self) -> Pointer:
        return self._current().pointer

    @property
    def location(self) -> str:
        return self._store.location

    def _documents(self, gen: _Generation) -> dict[str, Document]:
        with gen.lock:
            if gen.documents is None:
                with self._store.errors("reading documents"):
                    ids, texts, metas = read_all(gen.docs_col, ["documents", "metadatas"])
                docs = [
                    document_from_record(i, t, m) for i, t, m in zip(ids, texts, metas, strict=True)
                ]
                gen.documents = {d.doc_id: d for d in sorted(docs, key=lambda d: d.doc_id)}
            return gen.documents

    def documents(self) -> list[Document]:
        return list(self._documents(self._current()).values())

    def document(self, doc_id: str) -> Document:
        """The stored (cleaned) document; KeyError if the index has no such document."""
        try:
            return self._documents(self._current())[doc_id]
        except KeyError:
            raise KeyError(
                f"No document {doc_id!r} in index generation {self.generation}"
            ) from None

    def chunks(self) -> list[Chunk]:
        gen = self._current()
        with gen.lock:
            if gen.chunks is None:
                with self._store.errors("reading chunks"):
                    ids, texts, metas = read_all(gen.chunks_col, ["documents", "metadatas"])
                chunks = [
                    chunk_from_record(i, t, m) for i, t, m in zip(ids, texts, metas, strict=True)
                ]
                gen.chunks = sorted(chunks, key=lambda c: (c.doc_id, c.position))
            return list(gen.chunks)

    def vector_search(self, query: str, k: int) -> list[ScoredChunk]:
        """The ``k`` chunks nearest to ``query`` (score = cosine similarity, higher is better)."""
        from chromadb.errors import NotFoundError

        if k <= 0:
            return []
        with self._store.errors("embedding the query", corrupt=False):
            vector = self._embeddings.embed_query(query)
        for attempt in (1, 2):
            gen = self._current()
            n = min(k, gen.pointer.chunks)
            if n == 0:
                return []
            try:
                with self._store.errors("searching"):
                    hits = gen.vectors.similarity_search_by_vector_with_relevance_scores(
                        vector, k=n
                    )
            except IndexCorrupt as exc:
                if attempt == 1 and isinstance(exc.__cause__, NotFoundError):
                    log.info("generation %s is gone; refreshing", gen.pointer.generation)
                    self.refresh()
                    continue
                raise
            return [
                ScoredChunk(
                    chunk_from_record(str(doc.id), doc.page_content, doc.metadata), 1.0 - dist
                )
                for doc, dist in hits
            ]
        return []


def open_reader(settings: Settings, embeddings: Embeddings) -> IndexReader:
    """Open the active index; refuses an index built with another embedder or chunking."""
    store = Store.open(settings, create=False)
    return IndexReader(store, embeddings, embedding_stamp(settings, embeddings))
