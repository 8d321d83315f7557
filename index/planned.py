"""A build planned from the index catalog (issue 16): when the catalog describes the served
generation, only the changed files are read, only their rows and near-duplicate candidates are
looked up (by LSH band), and the change is applied in place (``index.update``) at the cost of the
change. Anything the catalog cannot decide is left to the full build (``index.build``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index import update
from index.catalog import Catalog
from index.changes import Changes, find_changes
from index.chroma_client import chroma_path
from index.disk import SQLITE_NAME
from index.duplicates import band_ranges, near, signatures, similar
from index.embeddings import stamp_differences
from index.housekeeping import drop_leftovers, read_pointer
from index.locking import Lease, build_lock
from index.manifest import STUB_TITLE
from index.models import Document
from index.pointer import LAYOUT, Pointer
from index.store import Store
from index.summary import BuildSummary
from index.writer import Progress
from newsdesk.errors import IndexCorrupt

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from newsdesk.settings import Settings


def planned_build(
    settings: Settings,
    catalog: Catalog,
    corpus: Path,
    stamp: dict[str, Any],
    embeddings: Embeddings,
    progress: Progress | None,
    changed_files: Sequence[Path] | None = None,
) -> BuildSummary | None:
    """An in-place update found and applied at the cost of the change (``index.changes``);
    None when the build must compare the whole corpus: no index yet, a pointer the catalog does
    not describe (a killed build, another host's build, a first build after an upgrade), an
    update to complete, a new generation due, or a change the catalog cannot decide."""
    if not settings.chroma_url and not (chroma_path(settings) / SQLITE_NAME).exists():
        return None
    try:
        store = Store.open(settings, create=True)
    except IndexCorrupt:
        return None
    with build_lock(store) as lease, store.errors("building", corrupt=False):
        active = read_pointer(store, force=True)
        if (
            active is None
            or active.layout < LAYOUT
            or stamp_differences(active.stamp, stamp)
            or update.needs_new_generation(active)
            or store.read_update_log() is not None
            or not catalog.describes(active)
            or not _complete(store, active)
        ):
            return None
        changes = find_changes(corpus, catalog, changed_files)
        if changes is None or active.documents + len(changes.added_ids) - len(changes.removed_ids) < 1:
            return None
        drop_leftovers(store, settings, active)
        update.drop_unpublished_deltas(store, active)
        return _apply_changes(store, settings, catalog, active, changes, embeddings, progress, lease)


def _apply_changes(
    store: Store,
    settings: Settings,
    catalog: Catalog,
    active: Pointer,
    changes: Changes,
    embeddings: Embeddings,
    progress: Progress | None,
    lease: Lease,
) -> BuildSummary:
    summary = BuildSummary(warnings=list(changes.warnings), location=store.location)
    summary.added_ids, summary.updated_ids = changes.added_ids, changes.updated_ids
    summary.removed_ids = changes.removed_ids
    summary.added, summary.updated = len(changes.added_ids), len(changes.updated_ids)
    summary.removed = len(changes.removed_ids)
    pointer = active
    if not changes.any:
        update.keyword_index(store, settings, active)  # written if missing
    else:
        if len(active.deltas) >= update.MAX_DELTAS:
            active = update.merge_deltas(store, settings, active)
        values = signatures(changes.changed, cache=catalog)  # stored with their band keys
        nearby = _nearby(catalog, values, changes)
        stubs = catalog.hashes  # the served version of an unchanged article, to read its values

        def values_of(ids: Sequence[str]) -> dict[str, np.ndarray]:
            rest = [i for i in ids if i not in values]
            docs = [Document(i, STUB_TITLE, "", content_hash=h) for i, h in stubs(rest).items()]
            read = signatures(docs, cache=catalog, read_texts=partial(update.stored_texts, store, active))
            return {**read, **{i: values[i] for i in ids if i in values}}

        changed, regroup = update.regroup(
            store, active, nearby, values_of, changes.changed, changes.removed_ids, set(changes.added_ids)
        )
        pointer, summary.chunks_embedded = update.apply_update(
            store, settings, active, changed, changes.removed_ids, embeddings, progress, lease, regroup
        )
        summary.changed = True
    if changes.recorded or pointer.revision != active.revision:
        catalog.apply(
            pointer,
            files=changes.files,
            gone_files=changes.gone_files,
            docs=changes.rows,
            removed=changes.removed_ids,
        )
    summary.generation, summary.chunks = pointer.generation, pointer.chunks
    summary.documents = pointer.documents
    summary.unchanged = pointer.documents - summary.added - summary.updated
    return summary


def _complete(store: Store, pointer: Pointer) -> bool:
    """Whether every collection the pointer names exists (else the build rebuilds fully)."""
    from chromadb.errors import NotFoundError

    try:
        for name in pointer.chunk_collections:
            store.collection(name)
        store.docs(pointer.generation)
    except NotFoundError:
        return False
    return True


def _nearby(catalog: Catalog, values: dict[str, np.ndarray], changes: Changes) -> dict[str, set[str]]:
    """Each changed article -> the served articles it is near: the unchanged ones looked up by
    LSH band in the catalog, the other changed ones compared in memory (``index.duplicates``)."""
    bands = band_ranges()
    skip = {*changes.removed_ids, *(d.doc_id for d in changes.changed)}
    out = near(values, list(values))
    for doc_id, row in values.items():
        found = {i: v for i, v in catalog.band_candidates(row, bands).items() if i not in skip}
        if found:
            ids = list(found)
            hits = similar(np.stack([found[i] for i in ids]), row)
            out[doc_id] |= {ids[k] for k in np.nonzero(hits)[0]}
    return out
