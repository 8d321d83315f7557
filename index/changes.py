"""What changed in the corpus since the last successful build, found from the catalog
(``index.catalog``) at the cost of the change: the folder is listed and each file's size and
mtime compared with the catalog's; only the changed files are read, and only their documents'
rows are looked up. Unchanged articles are never loaded, not even as stubs.

Whatever the catalog cannot decide alone returns None, and the build compares the whole corpus
as before (``index.manifest``): a file that is now refused or unreadable and had indexed
articles (their old version is kept), a document id read twice or also held by an unchanged
file (the full comparison warns and keeps one), a corpus left with no article.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from index.catalog import Catalog, DocRow, Stats, file_key
from index.corpus_files import Refused, check_file, scan_corpus
from index.loaders import SUFFIXES, LoadResult, load_file
from index.models import Document


@dataclass(slots=True)
class Changes:
    changed: list[Document] = field(default_factory=list)  # added or updated, read
    added_ids: list[str] = field(default_factory=list)
    updated_ids: list[str] = field(default_factory=list)
    removed_ids: list[str] = field(default_factory=list)
    rows: list[DocRow] = field(default_factory=list)  # every document read, for the catalog
    files: Stats = field(default_factory=dict)  # files read that produced documents
    gone_files: list[str] = field(default_factory=list)  # recorded files to forget
    warnings: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.added_ids or self.updated_ids or self.removed_ids)

    @property
    def recorded(self) -> bool:
        """Whether the catalog needs a write (documents or file stats changed)."""
        return bool(self.any or self.rows or self.files or self.gone_files)


def find_changes(
    corpus_dir: Path, catalog: Catalog, named: Sequence[Path] | None = None
) -> Changes | None:
    """The change since the build the catalog describes; None where only a comparison of the
    whole corpus can tell (see the module docstring).

    ``named``: the only files that may have changed (written or deleted by the caller, e.g.
    ``newsdesk ingest``), so the folder is not listed; each must be one the scan would list
    (``index.corpus_files.check_file``), else the whole corpus is compared."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        return None
    if named is not None:
        return _named_changes(corpus_dir, catalog, named)
    scan = scan_corpus(corpus_dir, SUFFIXES)
    result = LoadResult()
    if scan.refused:
        paths = [str(p) for p, _ in scan.refused]
        stems = [p.stem for p, _ in scan.refused if p.suffix.lower() != ".jsonl"]
        if catalog.known_paths(paths) or catalog.files_of_docs(stems):
            return None  # an indexed article's file is refused now: its old version is kept
        for path, reason in scan.refused:
            result.warn(f"Skipped {path}: {reason}")
    known = catalog.files()
    present: set[str] = set()
    to_read: list[tuple[Path, str, tuple[int, int]]] = []
    for path, info in zip(scan.files, scan.stats, strict=True):
        key = file_key(str(path))
        present.add(key)
        stat = (info.st_size, info.st_mtime_ns)
        if known.get(key) != stat:
            to_read.append((path, key, stat))
    gone = sorted(k for k in known if k not in present)
    return _read_changes(corpus_dir, catalog, to_read, gone, result)


def _named_changes(corpus_dir: Path, catalog: Catalog, named: Sequence[Path]) -> Changes | None:
    to_read: list[tuple[Path, str, tuple[int, int]]] = []
    gone: list[str] = []
    for given in named:
        try:
            path, info = check_file(corpus_dir, Path(given), SUFFIXES)
        except Refused:
            return None
        key = file_key(str(path))
        if info is None:
            gone.append(key)
        else:
            to_read.append((path, key, (info.st_size, info.st_mtime_ns)))
    known = catalog.stats_of([k for _, k, _ in to_read])
    to_read = [(p, k, s) for p, k, s in to_read if known.get(k) != s]
    return _read_changes(corpus_dir, catalog, to_read, sorted(set(gone)), LoadResult())


def _read_changes(
    corpus_dir: Path,
    catalog: Catalog,
    to_read: list[tuple[Path, str, tuple[int, int]]],
    gone: list[str],
    result: LoadResult,
) -> Changes | None:
    changes = Changes(gone_files=gone)
    if not to_read and not changes.gone_files:
        changes.warnings = result.warnings
        return changes
    old = {i: c for i, c, _ in catalog.docs_of_files([k for _, k, _ in to_read] + changes.gone_files)}
    new: dict[str, Document] = {}
    counts: Counter[str] = Counter()
    for path, key, stat in to_read:
        docs = load_file(path, result, corpus_dir)
        if result.skipped:
            return None  # unreadable: an indexed version, if any, is kept by the full comparison
        if docs:
            changes.files[key] = stat
        else:
            changes.gone_files.append(key)  # nothing from it any more (a row, if any, goes)
        counts.update(d.doc_id for d in docs)
        new.update((d.doc_id, d) for d in docs)
    if any(n > 1 for n in counts.values()) or catalog.files_of_docs(sorted(new.keys() - old.keys())):
        return None  # an id twice: the full comparison warns and keeps the first
    changes.added_ids = sorted(new.keys() - old.keys())
    changes.removed_ids = sorted(old.keys() - new.keys())
    changes.updated_ids = sorted(i for i in new.keys() & old.keys() if old[i] != new[i].content_hash)
    changes.changed = [new[i] for i in (*changes.added_ids, *changes.updated_ids)]
    changes.rows = [(d.doc_id, d.content_hash, d.path or "") for d in new.values()]
    changes.warnings = result.warnings
    return changes
