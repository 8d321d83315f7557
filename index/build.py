"""Incremental, zero-downtime builds.

A build loads and cleans the corpus, compares content hashes with the active generation and
then either does nothing (no change: no new collection, no embedding) or writes a complete new
generation: the documents, the unchanged documents' chunks copied with their embeddings, and
only new or changed chunks embedded. The active pointer is switched (one upsert) only after
the new generation's counts were checked; then generations older than the previous one are
deleted. A build killed at any point leaves the pointer on the old, complete generation; the
next build deletes the leftovers and starts over.

Throughput: the model is the limit (>= 95% of a build's time), so chunks are embedded longest
first in batches of similar length, and Chroma writes (in groups of batches) while the model
embeds the next ones.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index import keywords, update, writer
from index.catalog import UNREAD, Catalog, Stats, catalog_path, file_key
from index.chroma_client import chroma_path
from index.chunking import chunk_document
from index.duplicates import near, signatures, with_duplicate_clusters
from index.embeddings import embedding_stamp, stamp_differences
from index.generations import validate_base
from index.housekeeping import drop_leftovers, read_pointer
from index.loaders import load_corpus
from index.locking import Lease, build_lock
from index.manifest import corpus_stats, is_stub, load_changed
from index.models import Document
from index.planned import planned_build
from index.pointer import LAYOUT, Pointer
from index.reader import chunk_from_record, document_from_record, read_all
from index.records import as_vectors, record_id
from index.status import IndexStatus, index_status
from index.store import Store
from index.summary import BuildSummary, log_summary
from index.writer import Progress, versioned
from newsdesk.errors import ConfigError, CorpusError, IndexCorrupt, NewsdeskError

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from langchain_core.embeddings import Embeddings

    from newsdesk.settings import Settings

__all__ = ["BuildSummary", "IndexStatus", "Progress", "build_index", "index_status"]

log = logging.getLogger(__name__)


class BuildFailed(NewsdeskError):
    """A build stopped on an unexpected error; the active index was not touched."""


COPY_PAGE = 1000
LEGACY_FILES = ("corpus-manifest-{base}.json", "doc-map-{base}.json", "minhash-cache.npz")




def _open_store(settings: Settings, force: bool, warnings: list[str]) -> Store:
    """Open (creating) the store; with --force a corrupt local data dir is moved aside."""
    try:
        return Store.open(settings, create=True)
    except IndexCorrupt:
        if not force or settings.chroma_url:
            raise
        path = chroma_path(settings)
        aside = path.with_name(f"chroma.corrupt-{datetime.now(UTC):%Y%m%dT%H%M%S}")
        shutil.move(str(path), str(aside))
        message = f"The index at {path} could not be opened; moved it to {aside} and rebuilt"
        log.warning("%s", message)
        warnings.append(message)
        return Store.open(settings, create=True)


def build_index(
    settings: Settings,
    embeddings: Embeddings,
    *,
    corpus_dir: Path | str | None = None,
    force: bool = False,
    progress: Progress | None = None,
    changed_files: Sequence[Path] | None = None,
) -> BuildSummary:
    """Bring the index up to date with the corpus (see the module docstring).

    ``changed_files``: the caller wrote or deleted only these corpus files since the last build
    (``newsdesk ingest`` knows what it wrote), so the folder need not be listed; if the catalog
    cannot plan the build from them, the whole corpus is compared as without them."""
    started = time.perf_counter()
    if settings.chunk_overlap >= settings.chunk_size:
        raise ConfigError(
            f"chunk_overlap ({settings.chunk_overlap}) must be smaller than chunk_size "
            f"({settings.chunk_size})",
            hint="lower NEWSDESK_CHUNK_OVERLAP or raise NEWSDESK_CHUNK_SIZE",
        )
    corpus = Path(corpus_dir) if corpus_dir is not None else Path(settings.corpus_dir)
    stamp = embedding_stamp(settings, embeddings)
    catalog = Catalog.open(catalog_path(Path(settings.data_dir), validate_base(settings.collection)))
    try:
        quick = (
            None
            if force
            else planned_build(settings, catalog, corpus, stamp, embeddings, progress, changed_files)
        )
        if quick is not None:
            quick.seconds = round(time.perf_counter() - started, 3)
            log_summary(quick)
            return quick
        return _full_build(settings, catalog, corpus, stamp, embeddings, force, progress, started)
    except NewsdeskError:
        raise
    except Exception as exc:  # disk full, a failing embedder, ...: say what still works
        log.debug("index build failed", exc_info=True)
        raise BuildFailed(
            f"Index build failed ({type(exc).__name__}: {exc}); the previous index is still active",
            hint="fix the cause and run `newsdesk index build` again (-v shows the traceback)",
        ) from exc
    finally:
        catalog.close()


def _full_build(
    settings: Settings,
    catalog: Catalog,
    corpus: Path,
    stamp: dict[str, Any],
    embeddings: Embeddings,
    force: bool,
    progress: Progress | None,
    started: float,
) -> BuildSummary:
    """Compare the whole corpus with the index: every file listed, unchanged ones as stubs."""
    stats = corpus_stats(corpus)
    # Unchanged files are not read again (index/manifest.py); --force reads everything.
    loaded = load_corpus(corpus) if force else load_changed(corpus, catalog, stats)
    if not loaded.documents:
        raise CorpusError(
            f"No indexable articles in {corpus}"
            + (f" ({len(loaded.skipped)} file(s) skipped)" if loaded.skipped else ""),
            hint="add .txt, .md, .html or .jsonl articles; the existing index was left as it is",
        )
    summary = BuildSummary(forced=force, warnings=list(loaded.warnings))
    store = _open_store(settings, force, summary.warnings)
    summary.location = store.location
    with build_lock(store) as lease, store.errors("building", corrupt=False):
        served = _build(
            store,
            catalog,
            loaded.documents,
            lambda: load_corpus(corpus).documents,
            loaded.skipped,
            stamp,
            embeddings,
            settings,
            force,
            progress,
            lease,
            summary,
        )
        # What the next build compares with, without reading it. A kept article's file
        # (skipped now) gets a size no file has: it is read again, or found gone.
        read = {file_key(d.path) for d in loaded.documents if d.path}
        files: Stats = {file_key(p): UNREAD for _, p in served.values() if p}
        files.update((k, stats[k]) for k in read if k in stats)
        catalog.replace(store.read_pointer(), served, files)
        for legacy in LEGACY_FILES:  # what the catalog replaced (written before it existed)
            (Path(settings.data_dir) / legacy.format(base=store.base)).unlink(missing_ok=True)
    summary.seconds = round(time.perf_counter() - started, 3)
    log_summary(summary)
    return summary


def _known(values: dict[str, np.ndarray]) -> update.ValuesOf:
    return lambda ids: {i: values[i] for i in ids if i in values}


def _old_docs(store: Store, catalog: Catalog, pointer: Pointer) -> dict[str, tuple[str, str]] | None:
    """doc_id -> (content hash, source path) in the active generation; None if unreadable.

    From the catalog the last build left (``index.catalog``) when it describes exactly this
    generation and revision, else read from every document record."""
    from chromadb.errors import NotFoundError

    try:
        for name in pointer.chunk_collections:
            store.collection(name)
        docs_col = store.docs(pointer.generation)
        cached = catalog.doc_map(pointer)
        if cached is not None:
            return cached
        ids, _, metas = read_all(docs_col, ["metadatas"])
    except NotFoundError:
        log.warning("active generation %s is incomplete: rebuilding fully", pointer.generation)
        return None
    return {
        i: (str((m or {}).get("content_hash", "")), str((m or {}).get("path", "")))
        for i, m in zip(ids, metas, strict=True)
    }


def _keep_skipped(
    store: Store,
    pointer: Pointer,
    old: dict[str, tuple[str, str]],
    new_ids: set[str],
    skipped: list[str],
    summary: BuildSummary,
) -> list[Document]:
    """Previously indexed documents whose file is now unreadable: kept, not deleted.

    Bad input must not lose what was indexed; a file that is gone is a removal, a file that
    is present but cannot be read is not.
    """
    if not skipped:
        return []
    stems = {Path(p).stem for p in skipped if not p.endswith(".jsonl")}
    paths = set(skipped)
    ids = sorted(i for i in set(old) - new_ids if i in stems or old[i][1] in paths)
    if not ids:
        return []
    got = store.docs(pointer.generation).get(ids=ids, include=["documents", "metadatas"])
    texts, metas = got["documents"] or [], got["metadatas"] or []
    kept = [
        document_from_record(i, t, dict(m) if m else None)
        for i, t, m in zip(got["ids"], texts, metas, strict=True)
    ]
    for doc in kept:
        message = f"Kept the previously indexed version of {doc.doc_id!r}: its file was skipped"
        log.warning("%s", message)
        summary.warnings.append(message)
    summary.kept_ids = sorted(d.doc_id for d in kept)
    return kept


def _build(
    store: Store,
    catalog: Catalog,
    docs: list[Document],
    reload: Callable[[], list[Document]],
    skipped: list[str],
    stamp: dict[str, Any],
    embeddings: Embeddings,
    settings: Settings,
    force: bool,
    progress: Progress | None,
    lease: Lease,
    summary: BuildSummary,
) -> dict[str, tuple[str, str]]:
    """Returns the served documents: doc_id -> (content hash, source path)."""
    active = read_pointer(store, force)
    # Named before leftovers are dropped, so a name is never reused (numbers only grow).
    generation = store.next_generation()
    drop_leftovers(store, settings, active)

    old_docs: dict[str, tuple[str, str]] | None = None
    reuse = False  # may embeddings of the active generation be used?
    if active is not None:
        if active.layout >= LAYOUT:
            active = update.recover(store, settings, active)  # a killed update is completed
            update.drop_unpublished_deltas(store, active)
        old_docs = _old_docs(store, catalog, active)
        diffs = stamp_differences(active.stamp, stamp)
        if diffs:
            log.info("embedding stamp changed (%s): re-embedding everything", "; ".join(diffs))
        reuse = old_docs is not None and not diffs and not force
        if old_docs is not None:
            docs = docs + _keep_skipped(
                store, active, old_docs, {d.doc_id for d in docs}, skipped, summary
            )
    old = {i: h for i, (h, _) in old_docs.items()} if old_docs is not None else None
    new = {d.doc_id: d for d in docs}
    old_ids = set(old or {})
    summary.added_ids = sorted(set(new) - old_ids)
    summary.removed_ids = sorted(old_ids - set(new))
    summary.updated_ids = sorted(
        i for i in set(new) & old_ids if (old or {})[i] != new[i].content_hash
    )
    unchanged = {i for i in set(new) & old_ids if (old or {})[i] == new[i].content_hash}
    summary.added, summary.updated = len(summary.added_ids), len(summary.updated_ids)
    summary.removed, summary.unchanged = len(summary.removed_ids), len(unchanged)
    summary.documents = len(new)
    nothing_changed = not (summary.added_ids or summary.removed_ids or summary.updated_ids)
    in_place = active is not None and reuse and active.layout >= LAYOUT
    small = in_place and active is not None and not update.needs_new_generation(active)
    needed = list(new.values()) if not (small or nothing_changed and in_place) else [
        new[i] for i in (*summary.added_ids, *summary.updated_ids)
    ]
    if any(is_stub(d) for d in needed):  # texts needed that the manifest skipped reading
        real = {d.doc_id: d for d in reload()}
        docs = [real.get(d.doc_id, d) if is_stub(d) else d for d in docs]
        new = {d.doc_id: d for d in docs}
    if active is not None and in_place and nothing_changed:
        update.keyword_index(store, settings, active)  # written if missing
        # the catalog keeps the MinHash values of every served article (quick builds look up)
        signatures(list(new.values()), cache=catalog, read_texts=partial(update.stored_texts, store, active))
        summary.generation, summary.chunks = active.generation, active.chunks
        return _doc_map(new)  # nothing to do: the active generation stays as it is
    if active is not None and small:
        if len(active.deltas) >= update.MAX_DELTAS:
            active = update.merge_deltas(store, settings, active)
        changed = [new[i] for i in (*summary.added_ids, *summary.updated_ids)]
        # Wire copies: the changed articles are compared with every served article, those whose
        # files this build did not read by the MinHash values kept with the index (or their
        # stored text); unchanged articles whose group changes get their record rewritten.
        stored = partial(update.stored_texts, store, active)
        values = signatures(list(new.values()), cache=catalog, read_texts=stored)
        nearby = near(values, [d.doc_id for d in changed])
        changed, regroup = update.regroup(
            store, active, nearby, _known(values), changed, summary.removed_ids
        )
        pointer, summary.chunks_embedded = update.apply_update(
            store, settings, active, changed, summary.removed_ids, embeddings, progress, lease, regroup
        )
        summary.generation, summary.chunks, summary.changed = active.generation, pointer.chunks, True
        return _doc_map(new)

    # A new generation: first build, --force, a new embedder or chunking, an index whose active
    # generation is incomplete, one written before in-place updates (layout 1), or one whose
    # in-place updates left many deltas or unserved chunks (update.needs_new_generation).
    log.info("building generation %s", generation)
    chunks_col, docs_col = store.create_generation(generation, stamp)
    docs = with_duplicate_clusters(docs, cache=catalog)
    writer.write_docs(docs_col, docs, store)
    reusable: dict[str, Sequence[float]] = {}
    entries: list[keywords.Entry] = []
    if not reuse:
        unchanged = set()  # --force or a new embedder: everything is chunked and embedded again
    elif active is not None:
        summary.chunks_copied = _copy_chunks(
            [store.collection(n) for n in active.chunk_collections],
            chunks_col,
            {i: new[i].content_hash for i in unchanged},
            set(summary.updated_ids),
            reusable,
            entries,
            progress,
            lease,
        )
    to_chunk = [d for d in docs if d.doc_id not in unchanged]
    fresh = [
        c
        for d in to_chunk
        for c in versioned(chunk_document(d, settings.chunk_size, settings.chunk_overlap), d)
    ]
    summary.chunks_embedded, reused = writer.embed_chunks(
        chunks_col,
        fresh,
        embeddings,
        reusable,
        settings.embedding_batch_size,
        progress,
        lease,
        int(stamp["dimension"]),
    )
    summary.chunks_copied += reused
    expected = summary.chunks_copied + summary.chunks_embedded
    counted_chunks, counted_docs = chunks_col.count(), docs_col.count()
    if counted_chunks != expected or counted_docs != len(docs):
        raise IndexCorrupt(
            f"Generation {generation} is incomplete ({counted_chunks}/{expected} chunks, "
            f"{counted_docs}/{len(docs)} documents); the previous index stays active",
            hint="run `newsdesk index build` again",
        )
    entries += [keywords.Entry(record_id(c), c.doc_id, c.text) for c in fresh]
    keywords.write_base(keywords.keywords_dir(settings, store.base, generation), entries)
    store.write_pointer(
        Pointer(
            generation=generation,
            stamp=stamp,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            documents=len(docs),
            chunks=expected,
            previous=active.generation if active else None,
            layout=LAYOUT,
        )
    )
    summary.generation, summary.chunks, summary.changed = generation, expected, True
    # Keep the previous generation for readers that have not refreshed yet.
    kept = {generation} | ({active.generation} if active else set())
    store.drop_all_generations_except(kept)
    keywords.drop(settings, store.base, kept)
    return _doc_map(new)


def _doc_map(docs: dict[str, Document]) -> dict[str, tuple[str, str]]:
    return {i: (d.content_hash, d.path or "") for i, d in docs.items()}


def _copy_chunks(
    old_cols: list[Collection],
    new_col: Collection,
    unchanged: dict[str, str],
    refresh: set[str],
    reusable: dict[str, Sequence[float]],
    entries: list[keywords.Entry],
    progress: Progress | None,
    lease: Lease,
) -> int:
    """Copy unchanged documents' served chunks (with embeddings, under ids of their version);
    remember embeddings of changed ones. ``unchanged``: doc_id -> content hash."""
    total = sum(c.count() for c in old_cols)
    copied = done = 0
    for old_col, offset in ((c, o) for c in old_cols for o in range(0, c.count(), COPY_PAGE)):
        page = old_col.get(
            limit=COPY_PAGE, offset=offset, include=["embeddings", "documents", "metadatas"]
        )
        ids, embs = page["ids"], page["embeddings"]
        metas, texts = page["metadatas"] or [], page["documents"] or []
        keep = [
            k
            for k, m in enumerate(metas)
            if m
            and m.get("doc_id") in unchanged
            and str(m.get("doc_hash", unchanged[str(m["doc_id"])])) == unchanged[str(m["doc_id"])]
        ]
        for k, m in enumerate(metas):
            if m and m.get("doc_id") in refresh and embs is not None:
                reusable[str(m.get("text_hash"))] = [float(x) for x in embs[k]]
        if keep and embs is not None:
            chunks = [
                chunk_from_record(
                    ids[k], texts[k], {**metas[k], "doc_hash": unchanged[str(metas[k]["doc_id"])]}
                )
                for k in keep
            ]
            new_col.upsert(
                ids=[record_id(c) for c in chunks],
                embeddings=as_vectors(embs[k] for k in keep),
                documents=[c.text for c in chunks],
                metadatas=[dict(c.metadata) for c in chunks],
            )
            entries.extend(keywords.Entry(record_id(c), c.doc_id, c.text) for c in chunks)
            copied += len(keep)
        done += len(ids)
        lease.renew()
        if progress:
            progress("copy", done, total)
    return copied
