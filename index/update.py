"""In-place updates of the serving generation: an added, changed or removed article costs what
the article costs, not what the archive costs.

Chunk collections are never written after readers can see them: embedded Chroma caches a
collection's vector index per process, and records another process adds to (or deletes from) a
collection a reader has loaded may stay invisible to (or be named by) that reader's searches.
So an update writes its chunks into a new, small collection (a *delta*,
``<generation>__dNNNNNN``), publishes it in the pointer when complete, and only then switches
the articles: the document record is each article's commit point. A reader serves a chunk only
with the document record of the same version (``doc_hash``; ``index.reader.is_served``), so an
article is seen whole in its old or its new version. A removed article's record is deleted; the
chunks of removed and replaced versions stay stored, unserved (``Pointer.superseded``), until
``needs_new_generation`` says the next build writes a new generation without them.

Before touching a record the build writes an update log (documents, versions, delta) into the
meta collection, and clears it after the keyword index and the pointer are written. A build
killed anywhere leaves every article served whole; the next build completes it (``recover``):
drops a delta that was never published and re-indexes the logged documents' keywords.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from index import keywords
from index.chunking import chunk_document
from index.duplicates import components
from index.keywords import Entry, KeywordIndex
from index.models import Document
from index.pointer import Pointer
from index.reader import chunk_from_record, document_from_record, is_served, read_all
from index.records import as_vectors, record_id
from index.store import Store
from index.writer import embed_chunks, versioned, write_docs

if TYPE_CHECKING:
    from chromadb.api.types import Where
    from langchain_core.embeddings import Embeddings

    from index.locking import Lease
    from index.writer import Progress
    from newsdesk.settings import Settings

log = logging.getLogger(__name__)

MAX_DELTAS = 8  # searched per question: beyond this the next build merges them into one
MAX_SUPERSEDED = 0.05  # unserved chunks per served chunk before a new generation


def needs_new_generation(pointer: Pointer) -> bool:
    """Too many unserved chunks: the next build writes a new generation (copying the served
    chunks with their vectors, embedding nothing unchanged)."""
    return pointer.superseded > MAX_SUPERSEDED * max(pointer.chunks, 1)


def drop_unpublished_deltas(store: Store, pointer: Pointer) -> list[str]:
    """Deltas of the served generation the pointer does not name (a killed update or merge)."""
    dropped = [d for d in store.deltas_of(pointer.generation) if d not in pointer.deltas]
    for name in dropped:
        store.drop_collection(name)
    return dropped


def merge_deltas(store: Store, settings: Settings, active: Pointer) -> Pointer:
    """The served chunks of all deltas copied (with their vectors) into one new delta, which
    replaces them in the pointer: a cost of the deltas, not of the archive."""
    gen = active.generation
    merged = store.next_delta(gen)
    log.info("merging %d deltas of %s into %s", len(active.deltas), gen, merged)
    col = store.create_delta(merged, active.stamp)
    dropped = 0  # unserved chunk records left behind with the old deltas
    for name in active.deltas:
        got = store.collection(name).get(include=["embeddings", "documents", "metadatas"])
        ids, embs = got["ids"], got["embeddings"]
        texts, metas = got.get("documents") or [], got.get("metadatas") or []
        if not ids or embs is None:
            continue
        hashes = _hashes(store, gen, sorted({str((m or {}).get("doc_id")) for m in metas}))
        keep = []
        for k, (rid, text, meta) in enumerate(zip(ids, texts, metas, strict=True)):
            chunk = chunk_from_record(rid, text, meta)
            content_hash = hashes.get(chunk.doc_id)
            doc = Document(chunk.doc_id, "", "", content_hash=content_hash or "")
            if content_hash is not None and is_served(chunk, doc):
                keep.append(k)
        dropped += len(ids) - len(keep)
        if keep:
            col.upsert(
                ids=[ids[k] for k in keep],
                embeddings=as_vectors(embs[k] for k in keep),
                documents=[texts[k] for k in keep],
                metadatas=[metas[k] for k in keep],
            )
    published = replace(active, deltas=[merged], revision=active.revision + 1)
    store.write_pointer(published)  # readers still on the old deltas refresh when they are gone
    for name in active.deltas:
        store.drop_collection(name)
    stored = active.chunks + active.superseded - dropped  # no count() of the generation's collections
    return _finish(store, settings, published, keyword_index(store, settings, published), stored=stored)


def _docs_in(doc_ids: Sequence[str]) -> Where:
    return cast("Where", {"doc_id": {"$in": list(doc_ids)}})


def _hashes(store: Store, generation: str, doc_ids: Sequence[str] | None) -> dict[str, str]:
    col = store.docs(generation)
    if doc_ids is None:
        ids, _, metas = read_all(col, ["metadatas"])
    elif doc_ids:
        got = col.get(ids=list(doc_ids), include=["metadatas"])
        ids, metas = got["ids"], got.get("metadatas") or []
    else:
        return {}
    return {i: str((m or {}).get("content_hash", "")) for i, m in zip(ids, metas, strict=True)}


def served_entries(store: Store, pointer: Pointer, doc_ids: Sequence[str] | None = None) -> list[Entry]:
    """The served chunks (of ``doc_ids``, or all) as keyword entries, read from the store."""
    hashes = _hashes(store, pointer.generation, doc_ids)
    entries = []
    for name in pointer.chunk_collections:
        col = store.collection(name)
        if doc_ids is None:
            ids, texts, metas = read_all(col, ["documents", "metadatas"])
        elif doc_ids:
            got = col.get(where=_docs_in(doc_ids), include=["documents", "metadatas"])
            ids, texts, metas = got["ids"], got.get("documents") or [], got.get("metadatas") or []
        else:
            return []
        for rid, text, meta in zip(ids, texts, metas, strict=True):
            chunk = chunk_from_record(rid, text, meta)
            content_hash = hashes.get(chunk.doc_id)
            doc = Document(chunk.doc_id, "", "", content_hash=content_hash or "")
            if content_hash is not None and is_served(chunk, doc):
                entries.append(Entry(rid, chunk.doc_id, chunk.text))
    return sorted(entries, key=lambda e: e.record_id)


def keyword_index(store: Store, settings: Settings, pointer: Pointer) -> KeywordIndex:
    """The generation's keyword index; built from the store if it has none (or an old one)."""
    folder = keywords.keywords_dir(settings, store.base, pointer.generation)
    current = keywords.load_keywords(folder)
    if current is None:
        log.info("writing the keyword index of %s from the store", pointer.generation)
        current = keywords.write_base(folder, served_entries(store, pointer))
    return current


def _finish(
    store: Store, settings: Settings, pointer: Pointer, kw: KeywordIndex, *, stored: int | None = None
) -> Pointer:
    """Compact the keyword index if its delta grew, write the pointer, clear the log.

    ``stored``: chunk records in the generation's collections, when the caller knows it (an
    update adds its chunks to what the pointer counted); else counted, one call a collection
    (~50 ms each at 100k chunks)."""
    if keywords.needs_compaction(kw):
        log.info("compacting the keyword index of %s", pointer.generation)
        folder = keywords.keywords_dir(settings, store.base, pointer.generation)
        kw = keywords.write_base(folder, served_entries(store, pointer))
    if stored is None:
        stored = sum(store.collection(n).count() for n in pointer.chunk_collections)
    updated = replace(
        pointer,
        documents=store.docs(pointer.generation).count(),
        chunks=kw.size,  # the keyword index holds exactly the served chunks
        superseded=max(stored - kw.size, 0),
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
    delta = pending.get("delta")
    if delta and delta not in active.deltas:
        store.drop_collection(str(delta))  # never published: no reader has seen it
    doc_ids = sorted(str(d) for d in pending.get("docs", {}))
    log.warning("completing an interrupted index update of %d document(s)", len(doc_ids))
    kw = keyword_index(store, settings, active)
    folder = keywords.keywords_dir(settings, store.base, active.generation)
    kw = keywords.update(folder, kw, served_entries(store, active, doc_ids), doc_ids)
    return _finish(store, settings, active, kw)


def stored_texts(store: Store, active: Pointer, doc_ids: Sequence[str]) -> dict[str, str]:
    """The stored (cleaned) texts of documents of the active generation, by id."""
    if not doc_ids:
        return {}
    got = store.docs(active.generation).get(ids=list(doc_ids), include=["documents"])
    return {i: t for i, t in zip(got["ids"], got.get("documents") or [], strict=True) if t}


ValuesOf = Callable[[Sequence[str]], dict[str, np.ndarray]]  # doc ids -> MinHash values


def regroup(
    store: Store,
    active: Pointer,
    nearby: dict[str, set[str]],
    values_of: ValuesOf,
    changed: Sequence[Document],
    removed_ids: Sequence[str],
    added_ids: Collection[str] = (),
) -> tuple[list[Document], list[Document]]:
    """Near-duplicate groups after an in-place update: (``changed`` with their group, unchanged
    documents whose group changes, as stored but with the new group).

    ``nearby``: each changed article -> the served articles it is near (``index.duplicates.near``
    or the catalog's band lookup); ``values_of``: MinHash values by doc id (``changed`` in their
    new version); ``added_ids``: those of ``changed`` with no record yet (none is read). Only
    groups that hold a changed or removed article, or an article a changed one is near, can
    change (an added copy joins or merges groups; a removed one can split its group), so only
    the members of those groups are read from the store and grouped again (``components``)."""
    docs_col = store.docs(active.generation)
    changed_ids = [d.doc_id for d in changed]
    touched = sorted({*changed_ids, *removed_ids, *(i for ns in nearby.values() for i in ns)})
    stored_ids = [i for i in touched if i not in added_ids]  # an added article has no record yet
    metas = docs_col.get(ids=stored_ids, include=["metadatas"]).get("metadatas") or [] if stored_ids else []
    affected = sorted({str(m["duplicate_cluster"]) for m in metas if m and m.get("duplicate_cluster")})
    stored: dict[str, str | None] = {}
    if affected:
        in_groups = cast("Where", {"duplicate_cluster": {"$in": affected}})
        members = docs_col.get(where=in_groups, include=["metadatas"])
        for i, m in zip(members["ids"], members.get("metadatas") or [], strict=True):
            stored[i] = str((m or {}).get("duplicate_cluster") or "") or None
    group = set(touched) | set(stored)
    group -= set(removed_ids)
    clusters = components(sorted(group), values_of(sorted(group)))
    grouped = [replace(d, duplicate_cluster=clusters.get(d.doc_id)) for d in changed]
    fix = sorted(d for d in group - set(changed_ids) if stored.get(d) != clusters.get(d))
    if not fix:
        return grouped, []
    records = docs_col.get(ids=fix, include=["documents", "metadatas"])
    texts, fix_metas = records.get("documents") or [], records.get("metadatas") or []
    return grouped, [
        replace(document_from_record(i, t, m), duplicate_cluster=clusters.get(i))
        for i, t, m in zip(records["ids"], texts, fix_metas, strict=True)
    ]


def apply_update(
    store: Store,
    settings: Settings,
    active: Pointer,
    changed: Sequence[Document],
    removed_ids: Sequence[str],
    embeddings: Embeddings,
    progress: Progress | None,
    lease: Lease,
    regroup: Sequence[Document] = (),
) -> tuple[Pointer, int]:
    """Write ``changed`` (added or updated) and remove ``removed_ids`` in the active generation;
    ``regroup``: unchanged documents whose near-duplicate group changes (``regroup``).

    Returns (new pointer, chunks embedded).
    """
    gen = active.generation
    docs_col = store.docs(gen)
    kw = keyword_index(store, settings, active)  # before the log: a missing one is built first
    delta = store.next_delta(gen)
    log_docs: dict[str, str | None] = {d.doc_id: d.content_hash for d in changed}
    log_docs.update({r: None for r in removed_ids})
    store.write_update_log(gen, log_docs, delta=delta)

    if regroup:  # before the switch: a group may name an article not yet served, never the reverse
        write_docs(docs_col, regroup, store)
    if removed_ids:  # the article disappears whole; its chunks are superseded
        docs_col.delete(ids=list(removed_ids))
    fresh = [
        c
        for d in changed
        for c in versioned(chunk_document(d, settings.chunk_size, settings.chunk_overlap), d)
    ]
    published = active
    embedded = 0
    if fresh:
        col = store.create_delta(delta, active.stamp)
        embedded, _ = embed_chunks(
            col,
            fresh,
            embeddings,
            {},
            settings.embedding_batch_size,
            progress,
            lease,
            int(active.stamp["dimension"]),
        )
        # Searched from now on; nothing in it is served before its document record switches.
        published = replace(active, deltas=[*active.deltas, delta], revision=active.revision + 1)
        store.write_pointer(published)
    write_docs(docs_col, changed, store)  # the switch, article by article

    folder = keywords.keywords_dir(settings, store.base, gen)
    entries = [Entry(record_id(c), c.doc_id, c.text) for c in fresh]
    kw = keywords.update(folder, kw, entries, [*removed_ids, *(d.doc_id for d in changed)])
    lease.renew()
    # chunk records are only added in place (replaced and removed ones stay, superseded), so
    # what is stored is what the pointer counted plus this update's chunks
    stored = active.chunks + active.superseded + len(fresh)
    return _finish(store, settings, published, kw, stored=stored), embedded
