"""A rebuild SIGKILLed midway: the old index keeps answering, verify passes, the next build
cleans up and completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.build import build_index
from index.reader import open_reader
from index.store import Store
from index.verify import verify_index
from tests.conftest import PROJECT_ROOT
from tests.index.fakes import CountingEmbeddings

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.mark.parametrize("block_at_batch", [1, 4])
def test_killed_rebuild_leaves_the_old_index_serving(
    index_settings, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_at_batch
) -> None:
    emb = CountingEmbeddings()
    first = build_index(index_settings, emb)
    reader = open_reader(index_settings, emb)  # like a running bot
    before = [h.chunk.chunk_id for h in reader.vector_search("drone attack", k=5)]

    monkeypatch.setenv("NEWSDESK_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("NEWSDESK_EMBEDDING_BATCH_SIZE", "8")  # 44 chunks -> 6 batches
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))
    marker = tmp_path / "blocked"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("crash_build.py")),
            str(marker),
            str(block_at_batch),
        ],
        cwd=PROJECT_ROOT,
        env=os.environ.copy(),
    )
    try:
        deadline = time.monotonic() + 180
        while not marker.exists():
            assert proc.poll() is None, f"build subprocess exited early ({proc.returncode})"
            assert time.monotonic() < deadline, "build subprocess never reached the kill point"
            time.sleep(0.1)
        assert marker.read_text("utf-8") != "finished"
        # The crashed build has created its generation: it must be invisible to readers.
        store = Store.open(index_settings, create=False)
        assert len(store.generations()) == 2
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    # The running reader and a freshly opened one still serve the old, complete generation.
    assert [h.chunk.chunk_id for h in reader.vector_search("drone attack", k=5)] == before
    assert reader.refresh() is False and reader.generation == first.generation
    fresh = open_reader(index_settings, emb)
    assert fresh.generation == first.generation
    assert len(fresh.chunks()) == first.chunks and len(fresh.documents()) == 5
    report = verify_index(index_settings)
    assert report.ok, report.problems
    assert len(report.leftovers) == 1  # the crashed generation, not yet cleaned

    # The next build removes the leftovers and completes.
    again = build_index(index_settings, emb, force=True)
    assert again.changed and again.chunks == first.chunks
    store = Store.open(index_settings, create=False)
    assert store.generations() == [first.generation, again.generation]
    report = verify_index(index_settings)
    assert report.ok and report.leftovers == []
    assert reader.refresh() is True and reader.generation == again.generation


def test_a_build_by_another_process_is_picked_up_by_refresh(
    index_settings, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emb = CountingEmbeddings()
    first = build_index(index_settings, emb)
    reader = open_reader(index_settings, emb)
    assert len(reader.chunks()) == first.chunks
    (corpus / "late_news.txt").write_text("Late news\n\nA late report came in.", "utf-8")
    monkeypatch.setenv("NEWSDESK_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))
    marker = tmp_path / "done"
    subprocess.run(
        [sys.executable, str(Path(__file__).with_name("crash_build.py")), str(marker), "0"],
        cwd=PROJECT_ROOT,
        env=os.environ.copy(),
        check=True,
        timeout=300,
    )
    assert marker.read_text("utf-8") == "finished"
    assert reader.refresh() is True
    assert len(reader.documents()) == 6
    everything = reader.vector_search("late report", k=1000)
    assert len(everything) == len(reader.chunks()) == first.chunks + 1
    late = reader.vector_search("Late news\n\nA late report came in.", k=1)[0]
    assert late.chunk.doc_id == "late_news" and late.score == pytest.approx(1.0, abs=1e-4)
