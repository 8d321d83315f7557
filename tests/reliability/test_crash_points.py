"""A rebuild SIGKILLed at each point of a build leaves the previous index answering and
consistent (`newsdesk index verify` passes); the next build cleans up and completes.

The build runs in a subprocess (tests/reliability/crash_worker.py) that stops at a named
point and writes a marker; the test then SIGKILLs it (for ``mid-upsert``: while a large
Chroma write is in progress) and checks the store from this process and through the CLI.
"""

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

pytestmark = [pytest.mark.slow, pytest.mark.integration]

WORKER = Path(__file__).with_name("crash_worker.py")
NEWSDESK = [sys.executable, "-m", "newsdesk"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NEWSDESK, *args], capture_output=True, text=True, timeout=300, env=os.environ.copy()
    )


def _run_until(point: str, marker: Path) -> float:
    """Start the worker, wait for it to reach ``point``, SIGKILL it; returns seconds waited."""
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), str(marker), point],
        cwd=PROJECT_ROOT,
        env=os.environ.copy(),
    )
    started = time.monotonic()
    try:
        while not marker.exists():
            assert proc.poll() is None, f"crash worker exited early ({proc.returncode})"
            assert time.monotonic() - started < 180, f"worker never reached {point}"
            time.sleep(0.05)
        assert marker.read_text("utf-8") == point
        if point == "mid-upsert":
            time.sleep(1.0)  # into the multi-second write
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    if point == "mid-upsert":
        assert not Path(str(marker) + ".done").exists(), "the write finished before the kill"
    return time.monotonic() - started


@pytest.mark.parametrize("point", ["embed", "docs", "mid-upsert", "switch", "after-switch"])
def test_killed_rebuild_keeps_a_consistent_serving_index(
    point: str,
    rel_settings,  # noqa: ANN001
    corpus: Path,
    fake_emb,  # noqa: ANN001
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = build_index(rel_settings, fake_emb)
    reader = open_reader(rel_settings, fake_emb)  # a running bot's reader
    before = [h.chunk.chunk_id for h in reader.vector_search("drone attack", k=5)]
    assert before

    monkeypatch.setenv("NEWSDESK_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("NEWSDESK_EMBEDDING_BATCH_SIZE", "8")
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))
    _run_until(point, tmp_path / "marker")

    switched = point == "after-switch"
    # The running reader keeps answering, from the old generation or (after the switch,
    # once refreshed) from the new, complete one.
    assert reader.refresh() is switched
    hits = reader.vector_search("drone attack", k=5)
    assert [h.chunk.chunk_id for h in hits] == before  # same corpus, same fake vectors
    fresh = open_reader(rel_settings, fake_emb)
    assert fresh.generation == reader.generation
    assert (fresh.generation == first.generation) is not switched
    assert len(fresh.documents()) == 5 and len(fresh.chunks()) == first.chunks

    # `newsdesk index verify` (a separate process, as an operator would run it) passes.
    verified = _cli("index", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith("OK: ")
    assert "Traceback" not in verified.stderr

    # The next build completes and cleans up what the killed one left.
    again = build_index(rel_settings, fake_emb, force=True)
    assert again.changed and again.chunks == first.chunks and again.documents == 5
    report = verify_index(rel_settings)
    assert report.ok, report.problems
    assert report.leftovers == []
    store = Store.open(rel_settings, create=False)
    assert store.generations()[-1] == again.generation and len(store.generations()) == 2
    assert reader.refresh() is True and reader.generation == again.generation


@pytest.mark.parametrize("point", ["embed", "switch"])
def test_killed_rebuild_against_a_chroma_server(
    point: str,
    chroma_server: str,
    rel_settings,  # noqa: ANN001
    corpus: Path,
    fake_emb,  # noqa: ANN001
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same with a real `chroma run` server: the build lease of the killed process
    (a dead pid on this host) does not block the next build."""
    collection = f"crash-{point}-{tmp_path.name[-12:]}".replace("_", "-").strip("-")
    settings = rel_settings.model_copy(update={"chroma_url": chroma_server, "collection": collection})
    first = build_index(settings, fake_emb)
    reader = open_reader(settings, fake_emb)
    before = [h.chunk.chunk_id for h in reader.vector_search("drone attack", k=5)]

    monkeypatch.setenv("NEWSDESK_CHROMA_URL", chroma_server)
    monkeypatch.setenv("NEWSDESK_COLLECTION", collection)
    monkeypatch.setenv("NEWSDESK_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("NEWSDESK_EMBEDDING_BATCH_SIZE", "8")
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))
    _run_until(point, tmp_path / "marker")

    assert reader.refresh() is False and reader.generation == first.generation
    assert [h.chunk.chunk_id for h in reader.vector_search("drone attack", k=5)] == before
    verified = _cli("index", "verify")
    assert verified.returncode == 0 and verified.stdout.startswith("OK: "), verified.stderr

    again = build_index(settings, fake_emb, force=True)  # no IndexBusy from the dead build
    assert again.changed and again.chunks == first.chunks
    report = verify_index(settings)
    assert report.ok and report.leftovers == []
