"""In-place updates of the serving generation: an added, changed or removed article costs what
the article costs, not what the archive costs.

The document record is each article's commit point. A reader serves a chunk only with the
document record of the same version (``doc_hash``; see ``index.reader.is_served``), so:

- a new or changed article's chunks are written first, under ids of the new version
  (``index.store.record_id``), where readers ignore them; then its document record is written
  (one upsert: the article switches whole); then the old version's chunks are deleted;
- a removed article's document record is deleted first (it disappears whole), then its chunks.

Before touching a record the build writes an update log (which documents, which versions) into
the meta collection; after the keyword index and the pointer (counts, ``revision``) are written
it clears the log. A build killed anywhere leaves every article served whole in its old or new
version; the next build finds the log and completes it (``recover``): deletes the chunks of
versions no document record names and re-indexes those documents' keywords.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from index import keywords
from index.chunking import chunk_document
from index.keywords import Entry, KeywordIndex
from index.models import Document
from index.reader import chunk_from_record, is_served, read_all
from index.store import Pointer, Store, record_id
from index.writer import embed_chunks, versioned, write_docs

if TYPE_CHECKING:
    from chromadb.api.types import Where
    from langchain_core.embeddings import Embeddings

    from index.locking import Lease
    from index.writer import Progress
    from newsdesk.settings import Settings

log = logging.getLogger(__name__)


def _docs_in(doc_ids: Sequence[str]) -> Where:
    return cast("Where", {"doc_id": {"$in": list(doc_ids)}})


def _stale(doc_id: str, content_hash: str | None) -> Where:
    """Chunks of ``doc_id`` in any version but ``content_hash`` (all of them for None)."""
    if content_hash is None:
        return cast("Where", {"doc_id": doc_id})
    return cast("Where", {"$and": [{"doc_id": doc_id}, {"doc_hash": {"$ne": content_hash}}]})


def served_entries(store: Store, generation: str) -> list[Entry]:
    """Every served chunk of ``generation`` as a keyword entry (a full read of the store)."""
    ids, texts, metas = read_all(store.docs(generation), ["metadatas"])
    hashes = {i: str((m or {}).get("content_hash", "")) for i, m in zip(ids, metas, strict=True)}
    return _entries(store, generation, None, hashes)


def _entries(
    store: Store, generation: str, doc_ids: Sequence[str] | None, hashes: dict[str, str]
) -> list[Entry]:
    col = store.chunks(generation)
    if doc_ids is None:
        ids, texts, metas = read_all(col, ["documents", "metadatas"])
    elif doc_ids:
        got = col.get(where=_docs_in(doc_ids), include=["documents", "metadatas"])
        ids, texts, metas = got["ids"], got.get("documents") or [], got.get("metadatas") or []
    else:
        return []
    entries = []
    for rid, text, meta in zip(ids, texts, metas, strict=True):
        chunk = chunk_from_record(rid, text, meta)
        content_hash = hashes.get(chunk.doc_id)
        doc = Document(chunk.doc_id, "", "", content_hash=content_hash or "")
        if content_hash is not None and is_served(chunk, doc):
            entries.append(Entry(rid, chunk.doc_id, chunk.text))
    return sorted(entries, key=lambda e: e.record_id)


def keyword_index(store: Store, settings: Settings, generation: str) -> KeywordIndex:
    """The generation's keyword index; built from the store if it has none (or an old one)."""
    folder = keywords.keywords_dir(settings, store.base, generation)
    current = keywords.load_keywords(folder)
    if current is None:
        log.info("writing the keyword index of %s from the store", generation)
        current = keywords.write_base(folder, served_entries(store, generation))
    return current


def _document_hashes(store: Store, generation: str, doc_ids: Sequence[str]) -> dict[str, str]:
    if not doc_ids:
        return {}
    got = store.docs(generation).get(ids=list(doc_ids), include=["metadatas"])
    metas = got.get("metadatas") or []
    return {i: str((m or {}).get("content_hash", "")) for i, m in zip(got["ids"], metas, strict=True)}


def _finish(
    store: Store, settings: Settings, pointer: Pointer, kw: KeywordIndex
) -> Pointer:
    """Compact the keyword index if its delta grew, write the pointer, clear the log."""
    gen = pointer.generation
    if keywords.needs_compaction(kw):
        log.info("compacting the keyword index of %s", gen)
        folder = keywords.keywords_dir(settings, store.base, gen)
        keywords.write_base(folder, served_entries(store, gen))
    updated = replace(
        pointer,
        documents=store.docs(gen).count(),
        chunks=store.chunks(gen).count(),
        revision=pointer.revision + 1,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    store.write_pointer(updated)
    store.clear_update_log()
    return updated


def recover(store: Store, settings: Settings, active: Pointer) -> Pointer:
    """Complete an update a killed build left in the log (idempotent); returns the pointer."""
    pending: dict[str, Any] | None = store.read_update_log()
    if pending is None:
        return active
    if pending.get("generation") != active.generation or active.layout < 2:
        store.clear_update_log()  # the log of a generation no longer served
        return active
    doc_ids = sorted(str(d) for d in pending.get("docs", {}))
    log.warning("completing an interrupted index update of %d document(s)", len(doc_ids))
    gen = active.generation
    hashes = _document_hashes(store, gen, doc_ids)
    chunks_col = store.chunks(gen)
    for doc_id in doc_ids:
        current = hashes.get(doc_id)
        chunks_col.delete(where=_stale(doc_id, current))
    kw = keyword_index(store, settings, gen)
    folder = keywords.keywords_dir(settings, store.base, gen)
    kw = keywords.update(folder, kw, _entries(store, gen, doc_ids, hashes), doc_ids)
    return _finish(store, settings, active, kw)


def apply_update(
    store: Store,
    settings: Settings,
    active: Pointer,
    changed: Sequence[Document],
    updated_ids: set[str],
    removed_ids: Sequence[str],
    embeddings: Embeddings,
    progress: Progress | None,
    lease: Lease,
) -> tuple[Pointer, int, int]:
    """Write ``changed`` (added or updated) and delete ``removed_ids`` in the active generation.

    Returns (new pointer, chunks embedded, chunks whose embedding was reused).
    """
    gen = active.generation
    chunks_col, docs_col = store.chunks(gen), store.docs(gen)
    kw = keyword_index(store, settings, gen)  # before the log: a missing one is built first
    log_docs: dict[str, str | None] = {d.doc_id: d.content_hash for d in changed}
    log_docs.update({r: None for r in removed_ids})
    store.write_update_log(gen, log_docs)

    if removed_ids:  # the record first: the article disappears whole
        docs_col.delete(ids=list(removed_ids))
        chunks_col.delete(where=_docs_in(removed_ids))

    reusable: dict[str, Sequence[float]] = {}
    if updated_ids:  # unchanged passages of a changed article keep their vectors
        got = chunks_col.get(
            where=_docs_in(sorted(updated_ids)), include=["embeddings", "metadatas"]
        )
        embs, metas = got["embeddings"], got["metadatas"] or []
        if embs is not None:
            for meta, vector in zip(metas, embs, strict=True):
                if meta and meta.get("text_hash"):
                    reusable[str(meta["text_hash"])] = [float(x) for x in vector]
    fresh = [
        c
        for d in changed
        for c in versioned(chunk_document(d, settings.chunk_size, settings.chunk_overlap), d)
    ]
    embedded, reused = embed_chunks(
        chunks_col,
        fresh,
        embeddings,
        reusable,
        settings.embedding_batch_size,
        progress,
        lease,
        int(active.stamp["dimension"]),
    )
    write_docs(docs_col, changed, store)  # the switch, article by article
    for doc in changed:
        if doc.doc_id in updated_ids:
            chunks_col.delete(where=_stale(doc.doc_id, doc.content_hash))

    folder = keywords.keywords_dir(settings, store.base, gen)
    entries = [Entry(record_id(c), c.doc_id, c.text) for c in fresh]
    kw = keywords.update(folder, kw, entries, [*removed_ids, *(d.doc_id for d in changed)])
    lease.renew()
    return _finish(store, settings, active, kw), embedded, reused
