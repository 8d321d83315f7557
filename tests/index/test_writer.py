"""BackgroundUpserts on its own: order, bounded backlog, errors raised in the caller."""

from __future__ import annotations

import threading
from concurrent import futures
from typing import Any

import pytest

from index.models import Chunk
from index.writer import BackgroundUpserts, longest_first


class RecordingCollection:
    """The one Collection method the writer uses; can block or fail a chosen write."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.writes: list[list[str]] = []
        self.fail_at = fail_at
        self.release = threading.Event()
        self.release.set()
        self.started = threading.Semaphore(0)

    def upsert(self, *, ids: list[str], embeddings: Any, documents: Any, metadatas: Any) -> None:
        self.started.release()
        self.release.wait(timeout=20)
        if self.fail_at is not None and len(self.writes) + 1 == self.fail_at:
            raise RuntimeError(f"write {self.fail_at} failed")
        assert len(ids) == len(embeddings) == len(documents) == len(metadatas)
        self.writes.append(list(ids))


def _chunks(start: int, n: int) -> list[Chunk]:
    return [
        Chunk(f"d:{i}", "d", i, "x" * (i + 1), 0, i + 1, {"doc_id": "d", "position": i, "doc_hash": "v"})
        for i in range(start, start + n)
    ]


def _vectors(n: int) -> list[list[float]]:
    return [[1.0, 0.0]] * n


def test_writes_keep_their_order_and_wait_returns_the_count() -> None:
    col = RecordingCollection()
    with BackgroundUpserts(col) as writer:  # type: ignore[arg-type]
        for b in range(5):
            writer.submit(_chunks(3 * b, 3), _vectors(3))
        assert writer.wait() == 15
    assert col.writes == [[f"d:{i}@v" for i in range(3 * b, 3 * b + 3)] for b in range(5)]


def test_submit_blocks_while_depth_batches_wait() -> None:
    col = RecordingCollection()
    col.release.clear()  # the first write hangs until released
    blocked = threading.Event()
    with BackgroundUpserts(col, depth=1) as writer:  # type: ignore[arg-type]
        writer.submit(_chunks(0, 1), _vectors(1))
        assert col.started.acquire(timeout=20)

        def second() -> None:
            writer.submit(_chunks(1, 1), _vectors(1))
            blocked.set()

        thread = threading.Thread(target=second)
        thread.start()
        assert not blocked.wait(0.3)  # one batch in flight: the next submit waits for it
        col.release.set()
        thread.join(timeout=20)
        assert blocked.is_set()
        writer.wait()
    assert col.writes == [["d:0@v"], ["d:1@v"]]


def test_a_failed_write_is_raised_at_the_next_submit_and_stops_writing() -> None:
    col = RecordingCollection(fail_at=2)
    with pytest.raises(RuntimeError, match="write 2 failed"), BackgroundUpserts(col) as writer:  # type: ignore[arg-type]
        for b in range(10):
            writer.submit(_chunks(b, 1), _vectors(1))
    assert col.writes == [["d:0@v"]]  # nothing after the failure was written


def test_a_failed_last_write_is_raised_by_wait() -> None:
    col = RecordingCollection(fail_at=1)
    with BackgroundUpserts(col) as writer:  # type: ignore[arg-type]
        writer.submit(_chunks(0, 1), _vectors(1))
        with pytest.raises(RuntimeError, match="write 1 failed"):
            writer.wait()


def test_leaving_on_an_error_drops_queued_writes() -> None:
    col = RecordingCollection()
    col.release.clear()
    with pytest.raises(KeyError), BackgroundUpserts(col, depth=3) as writer:  # type: ignore[arg-type]
        for b in range(3):
            writer.submit(_chunks(b, 1), _vectors(1))
        assert col.started.acquire(timeout=20)
        threading.Timer(0.3, col.release.set).start()  # lets the write in progress finish
        raise KeyError("build stopped")
    # Leaving waited for the write in progress and cancelled the two queued ones.
    assert col.writes == [["d:0@v"]]


def test_batches_are_gathered_into_writes_of_at_least_group_chunks() -> None:
    col = RecordingCollection()
    with BackgroundUpserts(col, group=5) as writer:  # type: ignore[arg-type]
        for b in range(5):
            writer.submit(_chunks(3 * b, 3), _vectors(3))
        assert writer.wait() == 15
    assert [len(w) for w in col.writes] == [6, 6, 3]
    assert [i for w in col.writes for i in w] == [f"d:{i}@v" for i in range(15)]


def test_flush_sends_a_partial_group() -> None:
    col = RecordingCollection()
    with BackgroundUpserts(col, group=100) as writer:  # type: ignore[arg-type]
        writer.submit(_chunks(0, 3), _vectors(3))
        writer.flush()
        writer.flush()  # nothing gathered: no empty write
        writer.submit(_chunks(3, 2), _vectors(2))
        assert writer.wait() == 5
    assert [len(w) for w in col.writes] == [3, 2]


def test_a_failed_write_is_raised_at_the_next_submit_even_mid_group() -> None:
    col = RecordingCollection(fail_at=1)
    with BackgroundUpserts(col, group=2) as writer:  # type: ignore[arg-type]
        writer.submit(_chunks(0, 2), _vectors(2))  # a full group: sent, and it fails
        futures.wait(list(writer._pending), timeout=20)  # let the failure happen
        with pytest.raises(RuntimeError, match="write 1 failed"):
            writer.submit(_chunks(2, 1), _vectors(1))  # half a group: raised all the same


def test_longest_first_is_stable() -> None:
    chunks = [
        Chunk("a:0", "a", 0, "bb", 0, 2),
        Chunk("a:1", "a", 1, "cccc", 2, 6),
        Chunk("a:2", "a", 2, "dd", 6, 8),
        Chunk("a:3", "a", 3, "e", 8, 9),
    ]
    assert [c.chunk_id for c in longest_first(chunks)] == ["a:1", "a:0", "a:2", "a:3"]


def test_depth_and_group_must_be_positive() -> None:
    with pytest.raises(ValueError):
        BackgroundUpserts(RecordingCollection(), depth=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        BackgroundUpserts(RecordingCollection(), group=0)  # type: ignore[arg-type]
