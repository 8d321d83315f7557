"""Disk held by the embedded store: measured, and given back after generations are dropped.

Chroma 1.5.9 deletes a collection's rows but leaves its HNSW segment directory
(``<data_dir>/chroma/<segment uuid>/``) on disk (upstream chroma-core/chroma#5259, open: file
removal is left to a garbage collector the single-node server does not run), and SQLite keeps
the freed pages inside ``chroma.sqlite3``. So every changing rebuild left a generation's worth
of files behind. This module owns that gap: it reads which segments exist from Chroma's own
catalogue (``segments`` joined with ``collections`` in ``chroma.sqlite3``, read-only), deletes
segment directories no collection owns, and compacts the database (``VACUUM``) when at least
``VACUUM_MIN_SHARE`` of it is free pages. With a Chroma server the files are the server's:
see docs/reliability.md for what the operator runs (`chroma vacuum` while it is stopped).

Safety: the directory listing is taken *before* the catalogue is read, so a segment created
meanwhile (by another process) is in the catalogue and never taken for an orphan.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SQLITE_NAME = "chroma.sqlite3"
VACUUM_MIN_SHARE = 0.1  # compact when at least this share of the database file is free pages
VACUUM_MIN_BYTES = 256 * 1024  # ... and at least this many bytes would be given back
BUSY_TIMEOUT_S = 5.0
FTS_MAX_BLOAT = 1.5  # merge a full-text index whose segments grew this many times their merged size
FTS_BASELINE_NAME = "newsdesk-fts-merged.json"  # segments/text ratio of each index when last merged
FTS_REMEASURE_GROWTH = 1.1  # measure again once the database file grew this much since last time
FTS_ALWAYS_MEASURE_BYTES = 64 * 1024 * 1024  # ... a smaller database is measured every time (cheap)


@dataclass(slots=True)
class DiskUsage:
    """Bytes of the embedded store, split by what holds them (``index status``/``verify``)."""

    total_bytes: int = 0
    serving_bytes: int = 0  # segment directories of the active generation (+ its documents)
    previous_bytes: int = 0  # the previous generation, kept for readers that did not refresh
    leftover_bytes: int = 0  # other generations (crashed builds), removed by the next build
    orphan_bytes: int = 0  # segment directories of dropped collections
    orphan_dirs: int = 0
    sqlite_bytes: int = 0
    sqlite_free_bytes: int = 0  # free pages inside chroma.sqlite3 (VACUUM gives them back)

    @property
    def not_serving_bytes(self) -> int:
        """Bytes held by anything that does not serve the active generation."""
        return self.previous_bytes + self.leftover_bytes + self.orphan_bytes + self.sqlite_free_bytes

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["not_serving_bytes"] = self.not_serving_bytes
        return data


@dataclass(slots=True)
class Reclaimed:
    removed_dirs: list[str] = field(default_factory=list)
    freed_bytes: int = 0
    vacuumed: bool = False
    vacuum_freed_bytes: int = 0
    fts_merged: list[str] = field(default_factory=list)


def tree_bytes(path: Path) -> int:
    """Bytes allocated on disk under ``path`` (like ``du``)."""
    total = 0
    for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
        try:
            if item.is_file() and not item.is_symlink():
                total += item.stat().st_blocks * 512
        except OSError:  # removed while we looked
            continue
    return total


def _segment_dirs(chroma_dir: Path) -> list[Path]:
    try:
        return [p for p in chroma_dir.iterdir() if p.is_dir() and _UUID_RE.match(p.name)]
    except FileNotFoundError:
        return []


def _connect(db_path: Path, *, write: bool) -> sqlite3.Connection:
    mode = "rw" if write else "ro"
    return sqlite3.connect(f"file:{db_path}?mode={mode}", uri=True, timeout=BUSY_TIMEOUT_S)


def segment_owners(chroma_dir: Path) -> dict[str, str]:
    """Segment id -> name of the collection owning it, from Chroma's catalogue."""
    conn = _connect(chroma_dir / SQLITE_NAME, write=False)
    try:
        rows = conn.execute(
            "SELECT s.id, c.name FROM segments s JOIN collections c ON s.collection = c.id"
        ).fetchall()
    finally:
        conn.close()
    return {str(seg): str(name) for seg, name in rows}


def _free_bytes(conn: sqlite3.Connection) -> int:
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    return int(free) * int(page)


def measure(chroma_dir: Path, active: str | None, previous: str | None, base: str) -> DiskUsage:
    """Where the bytes of ``chroma_dir`` are: serving, previous, leftovers, orphans, free pages."""
    usage = DiskUsage(total_bytes=tree_bytes(chroma_dir))
    db_path = chroma_dir / SQLITE_NAME
    if not db_path.exists():
        return usage
    dirs = _segment_dirs(chroma_dir)
    owners = segment_owners(chroma_dir)
    def of(generation: str | None, owner: str) -> bool:
        """The generation's chunks, documents, or one of its in-place update deltas."""
        if generation is None:
            return False
        delta = re.fullmatch(rf"{re.escape(generation)}__d\d{{6,}}", owner)
        return owner in (generation, f"{generation}__docs") or delta is not None

    for d in dirs:
        size = tree_bytes(d)
        owner = owners.get(d.name)
        if owner is None:
            usage.orphan_bytes += size
            usage.orphan_dirs += 1
        elif of(active, owner):
            usage.serving_bytes += size
        elif of(previous, owner):
            usage.previous_bytes += size
        elif owner.startswith(f"{base}__g"):
            usage.leftover_bytes += size
    usage.sqlite_bytes = tree_bytes(db_path)
    conn = _connect(db_path, write=False)
    try:
        usage.sqlite_free_bytes = _free_bytes(conn)
    finally:
        conn.close()
    return usage


def _truncate_files(directory: Path) -> None:
    """Empty every file first: Chroma's in-process HNSW cache keeps the files of a deleted
    collection open (up to RLIMIT_NOFILE/5 indexes), so unlinking alone would not give the
    space back until the process exits (a bot that runs `/reindex` never does). The files
    are read into memory, not mapped, so emptying them cannot fault a reader."""
    for item in directory.rglob("*"):
        try:
            if item.is_file() and not item.is_symlink():
                os.truncate(item, 0)
        except OSError:
            log.debug("could not empty %s", item, exc_info=True)


def _merge_full_text(conn: sqlite3.Connection, baseline_path: Path, db_bytes: int | None = None) -> list[str]:
    """Merge bloated FTS5 indexes (Chroma's document full-text search).

    Deleting rows from an FTS5 table only adds tombstones; they are dropped when segments
    merge, which FTS5 does lazily. With a generation's rows deleted per rebuild, the index grew
    ~5x its text in a 30-rebuild soak. ``'optimize'`` (FTS5's own maintenance command; the
    content is unchanged) merges everything into one segment. Needs ``dbstat`` to measure.

    Bloat is measured against the index's own size when last merged (kept in
    ``baseline_path``): a merged trigram index is already ~2.4x its text, so a fixed ratio
    would merge it again on every build (~3 s at 100k chunks). Without a record, the first
    build merges once and records it. Measuring reads every page of the index (~0.2 s at 100k
    chunks), so in a database over ``FTS_ALWAYS_MEASURE_BYTES`` it is skipped while the file
    (``db_bytes``) has grown less than ``FTS_REMEASURE_GROWTH`` since it was last measured.
    """
    tables_seen, measured_at = _read_baseline(baseline_path)
    if (
        db_bytes is not None
        and db_bytes > FTS_ALWAYS_MEASURE_BYTES
        and measured_at
        and db_bytes < FTS_REMEASURE_GROWTH * measured_at
    ):
        return []
    tables = [
        str(row[0])
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%USING fts5%'"
        )
    ]
    merged = []
    for table in tables:
        try:
            data, content = _fts_sizes(conn, table)
        except sqlite3.OperationalError:  # SQLite built without dbstat
            log.debug("cannot measure %s (no dbstat)", table)
            continue
        ratio = data / max(content, 1)
        if data > VACUUM_MIN_BYTES and ratio > FTS_MAX_BLOAT * tables_seen.get(table, 1.0):
            quoted = '"' + table.replace('"', '""') + '"'
            with conn:
                conn.execute(f"INSERT INTO {quoted}({quoted}) VALUES('optimize')")
            merged.append(table)
            log.info("merged full-text index %s (%d bytes of segments)", table, data)
            after, content = _fts_sizes(conn, table)
            tables_seen[table] = after / max(content, 1)
    if db_bytes is not None or merged:
        _write_baseline(baseline_path, tables_seen, db_bytes or 0)
    return merged


def _fts_sizes(conn: sqlite3.Connection, table: str) -> tuple[int, int]:
    """Bytes of an FTS5 table's segments and of its text."""
    sizes = dict(
        conn.execute(
            "SELECT name, SUM(pgsize) FROM dbstat WHERE name IN (?, ?) GROUP BY name",
            (f"{table}_data", f"{table}_content"),
        ).fetchall()
    )
    return int(sizes.get(f"{table}_data", 0)), int(sizes.get(f"{table}_content", 0))


def _read_baseline(path: Path) -> tuple[dict[str, float], int]:
    """(segments/text ratio of each full-text index when last merged, database bytes when last
    measured); empty when there is no readable record (then it is measured, and written)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, 0
    if not isinstance(data, dict) or not isinstance(data.get("merged_ratio"), dict):
        return {}, 0
    ratios = {str(k): float(v) for k, v in data["merged_ratio"].items() if isinstance(v, int | float) and v > 0}
    measured = data.get("measured_db_bytes")
    return ratios, int(measured) if isinstance(measured, int) and measured > 0 else 0


def _write_baseline(path: Path, ratios: dict[str, float], db_bytes: int) -> None:
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps({"merged_ratio": ratios, "measured_db_bytes": db_bytes}), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:  # not worth failing a build: the next one measures again
        log.debug("could not record the full-text baseline in %s", path, exc_info=True)


def other_processes_using(path: Path) -> list[int] | None:
    """Pids of other processes that have ``path`` open (Linux ``/proc``); None if unknown."""
    proc = Path("/proc")
    if not (proc / "self" / "fd").is_dir():
        return None
    target = os.path.realpath(path)
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:  # gone, or not ours to look at
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == target:
                    found.append(int(entry.name))
                    break
            except OSError:
                continue
    return found


def reclaim(chroma_dir: Path, *, compact_sqlite: bool) -> Reclaimed:
    """Delete segment directories no collection owns; with ``compact_sqlite``, also merge
    bloated full-text indexes and VACUUM when enough of the file is free.

    Compacting writes to ``chroma.sqlite3`` outside Chroma, and Chroma 1.5.9 fails its own
    writes when it meets the lock (measured: "Error in compaction: Failed to apply logs to the
    metadata segment" with readers in the same process). So callers compact only when no other
    Chroma client uses the database (``Store.reclaim_disk`` checks). Never raises for a busy
    database.
    """
    result = Reclaimed()
    db_path = chroma_dir / SQLITE_NAME
    if not db_path.exists():
        return result
    dirs = _segment_dirs(chroma_dir)  # listed first: see the module docstring
    owners = segment_owners(chroma_dir)
    for d in dirs:
        if d.name in owners:
            continue
        size = tree_bytes(d)
        _truncate_files(d)
        shutil.rmtree(d, ignore_errors=True)
        if not d.exists():
            result.removed_dirs.append(d.name)
            result.freed_bytes += size
    if result.removed_dirs:
        log.info(
            "removed %d orphan segment directories (%d bytes)",
            len(result.removed_dirs),
            result.freed_bytes,
        )
    if not compact_sqlite:
        return result
    try:
        conn = _connect(db_path, write=True)
        try:
            baseline = chroma_dir / FTS_BASELINE_NAME
            before = _read_baseline(baseline)
            result.fts_merged = _merge_full_text(conn, baseline, db_path.stat().st_size)
            free = _free_bytes(conn)
            size = db_path.stat().st_size
            if free >= VACUUM_MIN_BYTES and free >= VACUUM_MIN_SHARE * size:
                conn.execute("VACUUM")
                result.vacuumed = True
                result.vacuum_freed_bytes = max(0, size - db_path.stat().st_size)
                log.info("compacted %s: %d bytes given back", db_path, result.vacuum_freed_bytes)
            ratios, _ = after = _read_baseline(baseline)
            if after != before:  # measured this time: growth is counted from the compacted size
                _write_baseline(baseline, ratios, db_path.stat().st_size)
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:  # locked by a reader: not worth failing a build
        log.warning("could not compact %s (%s); the next build tries again", db_path, exc)
    return result
