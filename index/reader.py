"""Read access to the active index generation: what the answering core and the bot use.

Serving memory does not grow with the archive: documents and chunk texts are fetched from the
store for the candidates of a question (documents kept in a small LRU), and the keyword index
is the persisted one (``index.keywords``, memory-mapped). A chunk is served only together with
its document record of the same version (``doc_hash`` == the document's content hash), so an
article replaced in place is seen whole in its old or its new version, never mixed, and never
without the document its citations are checked against.

Thread-safe: the served generation is swapped under a lock by ``refresh()``. A generation
deleted under a reader (two rebuilds since it last refreshed) is noticed on the next search,
which refreshes and retries once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from cachetools import LRUCache

from index.embeddings import embedding_stamp, stamp_differences
from index.keywords import KeywordIndex, keywords_dir, load_keywords
from index.models import Chunk, Document, ScoredChunk
from index.pointer import Pointer
from index.records import as_vectors
from index.store import BUILD_HINT, FORCE_HINT, Store
from newsdesk.errors import EmbedderMismatch, IndexCorrupt

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from langchain_core.embeddings import Embeddings

    from newsdesk.settings import Settings

log = logging.getLogger(__name__)

PAGE = 1000
DOCUMENT_CACHE = 512  # documents kept between questions (each a few KiB)
_CHUNK_META = ("doc_id", "position", "start", "end")
T = TypeVar("T")


def document_from_record(doc_id: str, text: str | None, meta: Mapping[str, Any] | None) -> Document:
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


def chunk_from_record(record: str, text: str | None, meta: Mapping[str, Any] | None) -> Chunk:
    """A chunk from its Chroma record; ``chunk_id`` is ``doc_id:position`` whatever the record id."""
    meta = dict(meta or {})
    missing = [k for k in _CHUNK_META if k not in meta]
    if missing:
        raise IndexCorrupt(f"Chunk {record} lacks {', '.join(missing)}", hint=FORCE_HINT)
    doc_id, position = str(meta["doc_id"]), int(meta["position"])
    return Chunk(
        chunk_id=f"{doc_id}:{position}",
        doc_id=doc_id,
        position=position,
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


def _present(text: str | None, meta: Mapping[str, Any] | None) -> bool:
    """False for a record a search still returns after it was deleted (Chroma's vector segment
    can name a deleted id, with neither text nor metadata, until it catches up)."""
    return text is not None and bool(meta)


def _fetch(gen: _Generation, record_ids: list[str]) -> dict[str, Chunk]:
    """Chunk records by id from the generation's collections (one read each)."""
    found: dict[str, Chunk] = {}
    for col, size in zip(gen.chunk_cols, gen.sizes, strict=True):
        wanted = [i for i in record_ids if i not in found]
        if not wanted or size == 0:
            continue
        got = col.get(ids=wanted, include=["documents", "metadatas"])
        texts, metas = got.get("documents") or [], got.get("metadatas") or []
        for i, t, m in zip(got["ids"], texts, metas, strict=True):
            if _present(t, m):
                found[i] = chunk_from_record(i, t, m)
    return found


def is_served(chunk: Chunk, doc: Document | None) -> bool:
    """A chunk is served only with its document record, in the same version."""
    if doc is None:
        return False
    version = chunk.metadata.get("doc_hash")
    return version is None or str(version) == doc.content_hash  # None: an index of layout 1


class _Generation:
    """One revision of one generation: its collections, keyword index and document cache."""

    def __init__(self, store: Store, pointer: Pointer) -> None:
        self.pointer = pointer
        # The generation's chunks, then the deltas of its in-place updates (see index.update);
        # none of them is written again once the pointer names it, so their sizes are fixed.
        self.chunk_cols: list[Collection] = [store.collection(n) for n in pointer.chunk_collections]
        self.sizes = [c.count() for c in self.chunk_cols]
        self.docs_col: Collection = store.docs(pointer.generation)
        folder = keywords_dir(store.settings, store.base, pointer.generation)
        keywords = load_keywords(folder)
        if keywords is None:
            raise IndexCorrupt(
                f"The keyword index of generation {pointer.generation} is missing from {folder}",
                hint=f"{BUILD_HINT} (with a Chroma server, share NEWSDESK_DATA_DIR with the indexer)",
            )
        self.keywords: KeywordIndex = keywords
        self.documents: LRUCache[str, Document | None] = LRUCache(maxsize=DOCUMENT_CACHE)
        self.lock = threading.Lock()

    @property
    def key(self) -> tuple[str, int]:
        return self.pointer.generation, self.pointer.revision


class IndexReader:
    """Reads the active generation; see docs/architecture.md for the contract."""

    def __init__(self, store: Store, embeddings: Embeddings, stamp: dict[str, Any]) -> None:
        self._store = store
        self._embeddings = embeddings
        self._expected = stamp
        self._lock = threading.RLock()
        self._gen = self._load_generation(store.active_pointer())

    # --- generation handling -----------------------------------------------------------
    def _load_generation(self, pointer: Pointer) -> _Generation:
        from chromadb.errors import NotFoundError

        diffs = stamp_differences(pointer.stamp, self._expected)
        if diffs:
            raise EmbedderMismatch(
                "The index was built with a different embedder or chunking: " + "; ".join(diffs),
                hint=FORCE_HINT,
            )
        try:
            with self._store.errors("opening the active generation"):
                return _Generation(self._store, pointer)
        except IndexCorrupt as exc:
            if isinstance(exc.__cause__, NotFoundError | ValueError):
                raise IndexCorrupt(
                    f"The active index generation {pointer.generation} is missing from "
                    f"{self._store.location}",
                    hint=FORCE_HINT,
                ) from exc
            raise

    def refresh(self) -> bool:
        """Re-read the active pointer; True if a different generation or revision is served."""
        pointer = self._store.active_pointer()
        with self._lock:
            if (pointer.generation, pointer.revision) == self._gen.key:
                return False
            self._gen = self._load_generation(pointer)
            log.info("index reader now serves %s (revision %d)", pointer.generation, pointer.revision)
            return True

    def _current(self) -> _Generation:
        with self._lock:
            return self._gen

    def _retry(self, what: str, call: Callable[[_Generation], T]) -> T:
        """``call`` on the served generation; once more after a refresh if it was deleted."""
        from chromadb.errors import NotFoundError

        for attempt in (1, 2):
            gen = self._current()
            try:
                with self._store.errors(what):
                    return call(gen)
            except IndexCorrupt as exc:
                if attempt == 1 and isinstance(exc.__cause__, NotFoundError):
                    log.info("generation %s is gone; refreshing", gen.pointer.generation)
                    self.refresh()
                    continue
                raise
        raise AssertionError("unreachable")

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

    def _fetch_documents(self, gen: _Generation, doc_ids: Iterable[str]) -> dict[str, Document | None]:
        """Documents by id (None where absent), from the cache or in one read of the store."""
        wanted = list(dict.fromkeys(doc_ids))
        found: dict[str, Document | None] = {}
        with gen.lock:
            for doc_id in wanted:
                if doc_id in gen.documents:
                    found[doc_id] = gen.documents[doc_id]
        missing = [d for d in wanted if d not in found]
        if missing:
            got = gen.docs_col.get(ids=missing, include=["documents", "metadatas"])
            texts, metas = got.get("documents") or [], got.get("metadatas") or []
            fetched = {
                i: document_from_record(i, t, m) for i, t, m in zip(got["ids"], texts, metas, strict=True)
            }
            with gen.lock:
                for doc_id in missing:
                    found[doc_id] = gen.documents[doc_id] = fetched.get(doc_id)
        return found

    def cluster(self, cluster_id: str) -> list[Document]:
        """The documents of one near-duplicate group (``Document.duplicate_cluster``), by id."""

        def fetch(gen: _Generation) -> list[Document]:
            got = gen.docs_col.get(where={"duplicate_cluster": cluster_id}, include=["documents", "metadatas"])
            texts, metas = got.get("documents") or [], got.get("metadatas") or []
            docs = [document_from_record(i, t, m) for i, t, m in zip(got["ids"], texts, metas, strict=True)]
            return sorted(docs, key=lambda d: d.doc_id)

        return self._retry("reading a duplicate group", fetch)

    def documents(self) -> list[Document]:
        """Every document, sorted by id (a full read: for listings, not for answering)."""
        with self._store.errors("reading documents"):
            ids, texts, metas = read_all(self._current().docs_col, ["documents", "metadatas"])
        docs = [document_from_record(i, t, m) for i, t, m in zip(ids, texts, metas, strict=True)]
        return sorted(docs, key=lambda d: d.doc_id)

    def document(self, doc_id: str) -> Document:
        """The stored (cleaned) document; KeyError if the index has no such document."""
        found = self._retry("reading a document", lambda g: self._fetch_documents(g, [doc_id]))
        doc = found.get(doc_id)
        if doc is None:
            raise KeyError(f"No document {doc_id!r} in index generation {self.generation}")
        return doc

    def _served(self, gen: _Generation, chunks: list[Chunk]) -> list[Chunk]:
        docs = self._fetch_documents(gen, (c.doc_id for c in chunks))
        return [c for c in chunks if is_served(c, docs.get(c.doc_id))]

    def chunks(self) -> list[Chunk]:
        """Every served chunk, sorted by (doc_id, position): a full read, for tools and tests;
        answering never calls it."""
        gen = self._current()
        chunks = []
        with self._store.errors("reading chunks"):
            for col in gen.chunk_cols:
                ids, texts, metas = read_all(col, ["documents", "metadatas"])
                chunks += [chunk_from_record(i, t, m) for i, t, m in zip(ids, texts, metas, strict=True)]
            docs = {d.doc_id: d for d in self.documents()}
        served = [c for c in chunks if is_served(c, docs.get(c.doc_id))]
        return sorted(served, key=lambda c: (c.doc_id, c.position))

    def vector_search(self, query: str, k: int) -> list[ScoredChunk]:
        """The ``k`` chunks nearest to ``query`` (score = cosine similarity, higher is better)."""
        if k <= 0:
            return []
        with self._store.errors("embedding the query", corrupt=False):
            vector = self._embeddings.embed_query(query)

        def search(gen: _Generation) -> list[ScoredChunk]:
            # Unserved chunks (replaced or removed versions) may take places: ask for more.
            want = k + min(gen.pointer.superseded, k)
            rows: list[tuple[float, Chunk]] = []
            for col, size in zip(gen.chunk_cols, gen.sizes, strict=True):
                if size == 0:
                    continue
                got = col.query(
                    query_embeddings=as_vectors([vector]),
                    n_results=min(want, size),
                    include=["documents", "metadatas", "distances"],
                )
                ids, texts = got["ids"][0], (got["documents"] or [[]])[0]
                metas, dists = (got["metadatas"] or [[]])[0], (got["distances"] or [[]])[0]
                rows += [
                    (float(d), chunk_from_record(i, t, m))
                    for i, t, m, d in zip(ids, texts, metas, dists, strict=True)
                    if _present(t, m)
                ]
            rows.sort(key=lambda row: row[0])
            served = self._served(gen, [c for _, c in rows])
            distance = {c.chunk_id: d for d, c in rows if c in served}
            return [ScoredChunk(c, 1.0 - distance[c.chunk_id]) for c in served[:k]]

        return self._retry("searching", search)

    def keyword_search(self, terms: Mapping[str, float], k: int) -> list[ScoredChunk]:
        """BM25 over the persisted keyword index; ``terms`` are analysed terms
        (``index.keywords.analyze``) with query weights. Texts come from the store."""
        if k <= 0 or not terms:
            return []

        def search(gen: _Generation) -> list[ScoredChunk]:
            hits = gen.keywords.search(terms, k)
            if not hits:
                return []
            by_id = _fetch(gen, [i for i, _ in hits])
            chunks = [by_id[i] for i, _ in hits if i in by_id]  # gone: a later update removed it
            served = {c.chunk_id for c in self._served(gen, chunks)}
            score = dict(hits)
            return [
                ScoredChunk(c, score[i])
                for i, _ in hits
                if (c := by_id.get(i)) is not None and c.chunk_id in served
            ]

        return self._retry("keyword search", search)

    def next_chunk(self, chunk: Chunk) -> Chunk | None:
        """The chunk after ``chunk`` in its document (same version), or None."""
        return self._adjacent(chunk, 1)

    def previous_chunk(self, chunk: Chunk) -> Chunk | None:
        """The chunk before ``chunk`` in its document (same version), or None."""
        return self._adjacent(chunk, -1)

    def _adjacent(self, chunk: Chunk, step: int) -> Chunk | None:
        position = chunk.position + step
        if position < 0:
            return None
        version = chunk.metadata.get("doc_hash")
        record = f"{chunk.doc_id}:{position}"
        if version is not None:
            record += f"@{str(version)[:12]}"

        def fetch(gen: _Generation) -> Chunk | None:
            near = _fetch(gen, [record]).get(record)
            return near if near is not None and self._served(gen, [near]) else None

        return self._retry("reading a chunk", fetch)

    def idf(self, word: str) -> float | None:
        """Inverse document frequency of ``word`` over the served chunks: 0.0 if no chunk uses
        it, None if the keyword index ignores it (a stop word)."""
        return self._current().keywords.idf(word)

    def max_idf(self) -> float:
        """The idf of a word used once: what an unseen word is worth."""
        return self._current().keywords.max_idf()


def open_reader(settings: Settings, embeddings: Embeddings) -> IndexReader:
    """Open the active index; refuses an index built with another embedder or chunking."""
    store = Store.open(settings, create=False)
    return IndexReader(store, embeddings, embedding_stamp(settings, embeddings))
