"""What the last successful build left, stored by key, so that a build which changes a few
articles reads and writes only their rows.

One SQLite file per index beside the store (``<data_dir>/catalog-<base>.sqlite3``):

- ``files``: each corpus file's size and mtime as the last successful build saw them (before
  reading it): a file whose size and mtime are unchanged is not read again (``index.manifest``);
- ``docs``: each served document's content hash, source path and the file it came from. As a
  *document map* (what the active generation serves) it is trusted only while ``meta`` names
  the pointer's generation and ``revision`` (any build since, here or on another host, changed
  the revision); as the manifest's record of what each file produced it is always used;
- ``sigs`` and ``bands``: MinHash values (``index.duplicates``) by document, keyed by content and
  text hash, and their LSH band keys, so the near-duplicate candidates of an added article are
  a lookup, not a comparison with every article.

Every build's changes are one transaction. A build killed before it commits leaves ``meta``
on the previous pointer revision, so the next build compares the whole corpus and rewrites the
catalog. Nothing here is needed to serve or verify the index: without the file a build reads
every file and every document record once.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import numpy as np

from index.pointer import Pointer

log = logging.getLogger(__name__)

SCHEMA = "1"
T = TypeVar("T")
_BATCH = 500  # keys per IN (...) query, well under SQLite's variable limit

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (path BLOB PRIMARY KEY, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS docs (doc_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL,
    path BLOB NOT NULL, file BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS docs_file ON docs (file);
CREATE TABLE IF NOT EXISTS sigs (doc_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL,
    text_key TEXT NOT NULL, vals BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS sigs_text ON sigs (text_key);
CREATE TABLE IF NOT EXISTS bands (band INTEGER NOT NULL, key BLOB NOT NULL, doc_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS bands_key ON bands (band, key);
CREATE INDEX IF NOT EXISTS bands_doc ON bands (doc_id);
"""

Stats = dict[str, tuple[int, int]]  # file key -> (size, mtime_ns), taken before reading
UNREAD = (-1, -1)  # the stats of a file to read again whatever it holds (no file has them)
DocRow = tuple[str, str, str]  # (doc_id, content hash, source path)
SigRow = tuple[str, str, np.ndarray]  # (content hash, text key, values)


def catalog_path(data_dir: Path, base: str) -> Path:
    return Path(data_dir) / f"catalog-{base}.sqlite3"


def file_key(path: str) -> str:
    """A file's key: absolute, so a build from another working folder matches."""
    return os.path.abspath(path)


def _enc(path: str) -> bytes:
    """A path as stored: its bytes (a name may hold undecodable bytes, kept as surrogates)."""
    return os.fsencode(path)


def _dec(raw: bytes) -> str:
    return os.fsdecode(raw)


def _ids(doc_ids: Iterable[str]) -> list[str]:
    """The ids that can be recorded (a refused file's name may not be UTF-8: never an id)."""
    out = []
    for i in doc_ids:
        try:
            i.encode("utf-8")
        except UnicodeEncodeError:
            continue
        out.append(i)
    return out


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _describes(pointer: Pointer) -> str:
    return f"{pointer.generation}:{pointer.revision}"


class Catalog:
    """The catalog of one index; ``open`` never raises for a missing or unreadable file (it is
    rebuilt: nothing in it is needed to serve)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @classmethod
    def open(cls, path: Path) -> Catalog:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return cls._connect(path)
        except sqlite3.DatabaseError as exc:  # not a database, or an old schema: start over
            log.warning("rebuilding the unreadable index catalog %s (%s)", path, exc)
            for name in (path, path.with_name(path.name + "-journal")):
                name.unlink(missing_ok=True)
            return cls._connect(path)

    @classmethod
    def _connect(cls, path: Path) -> Catalog:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        try:
            conn.executescript(_TABLES)
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None:
                conn.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA,))
            elif row[0] != SCHEMA:
                raise sqlite3.DatabaseError(f"schema {row[0]}, expected {SCHEMA}")
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return cls(conn)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All writes of one build: committed together or not at all."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # --- the pointer it describes ----------------------------------------------------------
    def describes(self, pointer: Pointer) -> bool:
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'pointer'").fetchone()
        return row is not None and row[0] == _describes(pointer)

    # --- files and documents ---------------------------------------------------------------
    def files(self) -> Stats:
        return {_dec(p): (s, m) for p, s, m in self._conn.execute("SELECT path, size, mtime_ns FROM files")}

    def stats_of(self, keys: Sequence[str]) -> Stats:
        """The recorded stats of the files ``keys`` (those recorded)."""
        out: Stats = {}
        for part in _chunks([_enc(k) for k in keys]):
            query = f"SELECT path, size, mtime_ns FROM files WHERE path IN ({_marks(len(part))})"
            out.update((_dec(p), (s, m)) for p, s, m in self._conn.execute(query, part))
        return out

    def manifest(self) -> dict[str, tuple[int, int, list[tuple[str, str]]]]:
        """file key -> (size, mtime_ns, [(doc_id, content hash)]) of every recorded file."""
        out: dict[str, tuple[int, int, list[tuple[str, str]]]] = {
            _dec(p): (s, m, []) for p, s, m in self._conn.execute("SELECT path, size, mtime_ns FROM files")
        }
        for doc_id, content, key in self._conn.execute(
            "SELECT doc_id, content_hash, file FROM docs ORDER BY rowid"
        ):
            if _dec(key) in out:
                out[_dec(key)][2].append((doc_id, content))
        return out

    def doc_map(self, pointer: Pointer) -> dict[str, tuple[str, str]] | None:
        """doc_id -> (content hash, path) of every served document, if the catalog describes
        exactly ``pointer``."""
        if not self.describes(pointer):
            return None
        rows = self._conn.execute("SELECT doc_id, content_hash, path FROM docs")
        return {i: (c, _dec(p)) for i, c, p in rows}

    def docs_of_files(self, keys: Sequence[str]) -> list[DocRow]:
        """The documents recorded for the files ``keys``."""
        out: list[DocRow] = []
        for part in _chunks([_enc(k) for k in keys]):
            query = f"SELECT doc_id, content_hash, path FROM docs WHERE file IN ({_marks(len(part))})"
            out += [(i, c, _dec(p)) for i, c, p in self._conn.execute(query, part)]
        return out

    def hashes(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """doc_id -> content hash, for those of ``doc_ids`` that are recorded."""
        out: dict[str, str] = {}
        for part in _chunks(_ids(doc_ids)):
            out.update(
                self._conn.execute(
                    f"SELECT doc_id, content_hash FROM docs WHERE doc_id IN ({_marks(len(part))})", part
                ).fetchall()
            )
        return out

    def files_of_docs(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """doc_id -> file key, for those of ``doc_ids`` that are recorded."""
        out: dict[str, str] = {}
        for part in _chunks(_ids(doc_ids)):
            query = f"SELECT doc_id, file FROM docs WHERE doc_id IN ({_marks(len(part))})"
            out.update((i, _dec(f)) for i, f in self._conn.execute(query, part))
        return out

    def known_paths(self, paths: Iterable[str]) -> bool:
        """Whether any document was recorded from one of ``paths`` (as given or as file keys)."""
        keys = sorted({_enc(k) for p in paths for k in (p, file_key(p))})
        for part in _chunks(keys):
            marks = _marks(len(part))
            query = f"SELECT 1 FROM docs WHERE file IN ({marks}) OR path IN ({marks}) LIMIT 1"
            if self._conn.execute(query, [*part, *part]).fetchone():
                return True
        return False

    def replace(self, pointer: Pointer | None, served: dict[str, tuple[str, str]], files: Stats) -> None:
        """After a build that compared everything: the served documents (doc_id -> (content
        hash, path)), the files read with their stats, and the pointer (None: describes
        nothing). MinHash rows of documents no longer served are dropped."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM files")
            rows = ((_enc(k), *v) for k, v in sorted(files.items()))
            conn.executemany("INSERT INTO files VALUES (?, ?, ?)", rows)
            conn.execute("DELETE FROM docs")
            conn.executemany(
                "INSERT INTO docs VALUES (?, ?, ?, ?)",
                ((i, c, _enc(p), _enc(file_key(p) if p else "")) for i, (c, p) in served.items()),
            )
            conn.execute("DELETE FROM sigs WHERE doc_id NOT IN (SELECT doc_id FROM docs)")
            conn.execute("DELETE FROM bands WHERE doc_id NOT IN (SELECT doc_id FROM docs)")
            self._set_pointer(conn, pointer)

    def apply(
        self,
        pointer: Pointer,
        *,
        files: Stats,
        gone_files: Sequence[str],
        docs: Sequence[DocRow],
        removed: Sequence[str],
    ) -> None:
        """After an update of a few articles: their rows only."""
        with self.transaction() as conn:
            conn.executemany("DELETE FROM files WHERE path = ?", ((_enc(k),) for k in gone_files))
            rows = ((_enc(k), *v) for k, v in files.items())
            conn.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?)", rows)
            for table in ("docs", "sigs", "bands"):
                conn.executemany(f"DELETE FROM {table} WHERE doc_id = ?", ((i,) for i in removed))
            conn.executemany(
                "INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?)",
                ((i, c, _enc(p), _enc(file_key(p) if p else "")) for i, c, p in docs),
            )
            self._set_pointer(conn, pointer)

    @staticmethod
    def _set_pointer(conn: sqlite3.Connection, pointer: Pointer | None) -> None:
        if pointer is None:
            conn.execute("DELETE FROM meta WHERE key = 'pointer'")
        else:
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('pointer', ?)", (_describes(pointer),))

    # --- MinHash values (index.duplicates) -----------------------------------------------
    def signature_tag(self, tag: str) -> None:
        """Drop the MinHash rows if they were made with other parameters than ``tag``."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'minhash'").fetchone()
        if row is not None and row[0] == tag:
            return
        with self.transaction() as conn:
            conn.execute("DELETE FROM sigs")
            conn.execute("DELETE FROM bands")
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('minhash', ?)", (tag,))

    def signatures(
        self, doc_ids: Sequence[str] | None = None, text_keys: Sequence[str] = ()
    ) -> tuple[dict[str, SigRow], dict[str, np.ndarray]]:
        """(doc_id -> row, text key -> values) for ``doc_ids`` (None: every row) and the rows
        whose text key is one of ``text_keys``."""
        query = "SELECT doc_id, content_hash, text_key, vals FROM sigs"
        rows: list[tuple[str, str, str, bytes]] = []
        if doc_ids is None:
            rows = self._conn.execute(query).fetchall()
        else:
            for part in _chunks(list(doc_ids)):
                rows += self._conn.execute(f"{query} WHERE doc_id IN ({_marks(len(part))})", part).fetchall()
        for part in _chunks(sorted(set(text_keys))):
            rows += self._conn.execute(f"{query} WHERE text_key IN ({_marks(len(part))})", part).fetchall()
        by_doc: dict[str, SigRow] = {}
        by_key: dict[str, np.ndarray] = {}
        for doc_id, content, key, vals in rows:
            values = by_key.get(key)
            if values is None:
                values = by_key[key] = np.frombuffer(vals, dtype=np.uint32)
            by_doc[doc_id] = (content, key, values)
        return by_doc, by_key

    def put_signatures(self, rows: dict[str, SigRow], bands: Sequence[tuple[int, int]]) -> None:
        """Store (replace) the rows of these documents, with their band keys (``bands``: the
        (start, end) of each LSH band)."""
        if not rows:
            return
        with self.transaction() as conn:
            ids = [(i,) for i in rows]
            conn.executemany("DELETE FROM bands WHERE doc_id = ?", ids)
            conn.executemany(
                "INSERT OR REPLACE INTO sigs VALUES (?, ?, ?, ?)",
                ((i, c, k, v.astype(np.uint32).tobytes()) for i, (c, k, v) in rows.items()),
            )
            conn.executemany(
                "INSERT INTO bands VALUES (?, ?, ?)",
                (
                    (b, v[start:end].astype(np.uint32).tobytes(), i)
                    for i, (_, _, v) in rows.items()
                    for b, (start, end) in enumerate(bands)
                ),
            )

    def band_candidates(
        self, values: np.ndarray, bands: Sequence[tuple[int, int]]
    ) -> dict[str, np.ndarray]:
        """Served documents (per ``docs``, in their served version) that share an LSH band with
        ``values``: doc_id -> their values."""
        query = (
            "SELECT s.doc_id, s.vals FROM bands b JOIN docs d ON d.doc_id = b.doc_id "
            "JOIN sigs s ON s.doc_id = b.doc_id AND s.content_hash = d.content_hash "
            "WHERE b.band = ? AND b.key = ?"
        )
        out: dict[str, np.ndarray] = {}
        for b, (start, end) in enumerate(bands):
            key = values[start:end].astype(np.uint32).tobytes()
            for doc_id, vals in self._conn.execute(query, (b, key)):
                out.setdefault(doc_id, np.frombuffer(vals, dtype=np.uint32))
        return out
