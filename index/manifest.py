"""Which corpus files changed since the last build, without reading the unchanged ones.

Reading and cleaning every article is the one part of an incremental build that grows with the
archive (~10-15 s for 9,600 articles on 2 cores). The catalog (``index.catalog``) remembers, per
file, its size and modification time and the (doc_id, content hash) pairs it produced at the
last successful build; a file whose size and mtime are unchanged (what make and rsync trust by
default) yields *stub* documents (id, hash and path, no text) that are enough to tell it is
unchanged. Any build that needs the text of every document (a new generation) loads the corpus
in full instead; ``--force`` never uses the catalog.
"""

from __future__ import annotations

import logging
from pathlib import Path

from index.catalog import Catalog, Stats, file_key
from index.corpus_files import scan_corpus
from index.loaders import SUFFIXES, LoadResult, add_unique, iter_corpus_files, load_corpus, load_file
from index.models import Document

log = logging.getLogger(__name__)

STUB_TITLE = "\x00stub"  # marks a document loaded from the manifest (no text)


def is_stub(doc: Document) -> bool:
    return doc.title == STUB_TITLE


def corpus_stats(corpus_dir: Path) -> Stats:
    if not Path(corpus_dir).is_dir():
        return {}
    stats = {}
    for path in iter_corpus_files(Path(corpus_dir)):
        stat = path.stat()
        stats[file_key(str(path))] = (stat.st_size, stat.st_mtime_ns)
    return stats


def load_changed(corpus_dir: Path, catalog: Catalog, stats: Stats) -> LoadResult:
    """``load_corpus``, with stub documents for files unchanged since the last successful build."""
    known = catalog.manifest()
    if not known or not Path(corpus_dir).is_dir():
        return load_corpus(corpus_dir)  # (which also reports a missing folder)
    result = LoadResult()
    seen: dict[str, str] = {}
    scan = scan_corpus(Path(corpus_dir), SUFFIXES)  # the corpus gate, with its refusals reported
    for path, reason in scan.refused:
        result.warn(f"Skipped {path}: {reason}")
        result.skipped.append(str(path))
    for path in scan.files:
        key = file_key(str(path))
        entry = known.get(key)
        if entry and entry[:2] == stats.get(key):
            docs = [
                Document(doc_id, STUB_TITLE, "", path=str(path), content_hash=content)
                for doc_id, content in entry[2]
            ]
        else:
            docs = load_file(path, result, Path(corpus_dir))
        add_unique(result, seen, path, docs)
    return result


