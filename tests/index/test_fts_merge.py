"""Full-text index merging: only when its segments grew, not on every build (issue 16)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from index.disk import FTS_BASELINE_NAME, SQLITE_NAME, _merge_full_text


def _store(tmp_path: Path) -> Path:
    chroma = tmp_path / "chroma"
    chroma.mkdir()
    conn = sqlite3.connect(chroma / SQLITE_NAME)
    try:
        conn.execute("SELECT 1 FROM dbstat LIMIT 1")
    except sqlite3.OperationalError:
        pytest.skip("this SQLite has no dbstat")
    # a trigram index, as Chroma 1.5.9 creates it: merged, it is already ~2-3x its text
    conn.execute("CREATE VIRTUAL TABLE fts USING fts5(string_value, tokenize='trigram')")
    with conn:
        conn.executemany(
            "INSERT INTO fts(string_value) VALUES (?)",
            [
                (f"report {i} on the levee breach at Calder Point, {i * 7} residents evacuated",)
                for i in range(4000)
            ],
        )
    conn.close()
    return chroma


def _churn(chroma: Path) -> None:
    """Delete and re-add every row, as a rebuild replacing a generation does: tombstones."""
    conn = sqlite3.connect(chroma / SQLITE_NAME)
    with conn:
        rows = conn.execute("SELECT string_value FROM fts").fetchall()
        conn.execute("DELETE FROM fts")
        conn.executemany("INSERT INTO fts(string_value) VALUES (?)", rows)
    conn.close()


def _merge(chroma: Path) -> list[str]:
    conn = sqlite3.connect(chroma / SQLITE_NAME)
    try:
        return _merge_full_text(conn, chroma / FTS_BASELINE_NAME)
    finally:
        conn.close()


def test_a_merged_index_is_not_merged_again_until_it_grows(tmp_path: Path) -> None:
    chroma = _store(tmp_path)
    assert _merge(chroma) == ["fts"]  # no record yet: merged once, and recorded
    assert (chroma / FTS_BASELINE_NAME).is_file()
    assert _merge(chroma) == []  # nothing grew (a fixed ratio merged a trigram index every time)
    for _ in range(3):
        _churn(chroma)
    assert _merge(chroma) == ["fts"]  # tombstones piled up


def test_an_unreadable_record_means_one_more_merge(tmp_path: Path) -> None:
    chroma = _store(tmp_path)
    (chroma / FTS_BASELINE_NAME).write_text("not json", encoding="utf-8")
    assert _merge(chroma) == ["fts"]
    assert _merge(chroma) == []


def test_measuring_waits_until_the_database_grew(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Measuring reads every page of the index: in a large database, skipped while the file
    has not grown (this one counts as large)."""
    monkeypatch.setattr("index.disk.FTS_ALWAYS_MEASURE_BYTES", 0)
    chroma = _store(tmp_path)
    db = chroma / SQLITE_NAME

    def merge_at(size: int) -> list[str]:
        conn = sqlite3.connect(db)
        try:
            return _merge_full_text(conn, chroma / FTS_BASELINE_NAME, size)
        finally:
            conn.close()

    assert merge_at(db.stat().st_size) == ["fts"]
    recorded = db.stat().st_size
    for _ in range(3):
        _churn(chroma)
    grown = db.stat().st_size
    assert grown > 1.1 * recorded  # the tombstones grew the file
    assert merge_at(recorded) == []  # as if it had not grown: not even measured
    assert merge_at(grown) == ["fts"]


def test_a_small_database_is_measured_every_time(tmp_path: Path) -> None:
    chroma = _store(tmp_path)
    db = chroma / SQLITE_NAME
    conn = sqlite3.connect(db)
    try:
        assert _merge_full_text(conn, chroma / FTS_BASELINE_NAME, db.stat().st_size) == ["fts"]
        recorded = db.stat().st_size
        conn.close()
        for _ in range(3):
            _churn(chroma)
        conn = sqlite3.connect(db)
        # reported as not grown, but small enough to measure: the tombstones are found
        assert _merge_full_text(conn, chroma / FTS_BASELINE_NAME, recorded) == ["fts"]
    finally:
        conn.close()
