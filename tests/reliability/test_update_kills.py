"""SIGKILL at random moments of incremental (in-place) updates, 20+ trials.

Each trial changes the corpus (two articles edited, one added, one removed), starts an
incremental build in a subprocess (tests/reliability/update_worker.py) and SIGKILLs it after a
random delay within the time an update takes. After every kill:

- a reader opened afresh, and the answering service on it, serve only verifiable text: every
  retrieved chunk (vector and keyword) is ``document.text[start:end]`` of its document record
  and every citation's excerpt is verbatim;
- ``index verify`` passes (an interrupted update counts as ``pending``, not as a problem);
- the next build converges: it completes the update, a further build has nothing to do, and
  the served documents are exactly the corpus;
- disk use does not grow across trials (the corpus keeps its size: edits replace a sentence,
  each added article replaces the last one).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from answering.factory import build_answering
from index.build import build_index
from index.loaders import load_corpus
from index.reader import open_reader
from index.store import Store
from index.verify import verify_index
from tests.conftest import PROJECT_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.integration]

WORKER = Path(__file__).with_name("update_worker.py")
TRIALS = 20
QUESTIONS = ("Who denied involvement in the attack?", "Where did the drones come from?")


def _disk(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file())


def _stored(store: Store) -> tuple[int, int]:
    """(chunk records in the served generation's collections, keyword index bytes)."""
    pointer = store.active_pointer()
    records = sum(store.collection(n).count() for n in pointer.chunk_collections)
    keywords = Path(store.settings.data_dir) / "keywords"
    return records, sum(p.stat().st_size for p in keywords.rglob("*") if p.is_file())


def _change_corpus(corpus: Path, trial: int, originals: dict[Path, str]) -> None:
    """Two edits, one article added and the previous trial's one removed (constant size)."""
    for k, (path, text) in enumerate(originals.items()):
        if k in (trial % len(originals), (trial + 2) % len(originals)):
            path.write_text(f"{text}\nUpdate number {trial} of this report arrived.\n", "utf-8")
        else:
            path.write_text(text, "utf-8")
    for old in corpus.glob("extra_*.txt"):
        old.unlink()
    body = " ".join(f"Sentence {i} of late report {trial} about the drone inquiry." for i in range(12))
    (corpus / f"extra_{trial}.txt").write_text(f"Late report {trial}\n\n{body}\n", "utf-8")


def _run_and_kill(marker: Path, delay: float | None) -> bool:
    """Start the worker; SIGKILL it ``delay`` s after it is ready (None: let it finish).
    Returns True if it was killed before finishing."""
    marker.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, str(WORKER), str(marker)], cwd=PROJECT_ROOT, env=os.environ.copy())
    started = time.monotonic()
    try:
        while not marker.exists():
            assert proc.poll() is None, f"update worker exited early ({proc.returncode})"
            assert time.monotonic() - started < 120, "update worker never got ready"
            time.sleep(0.01)
        if delay is None:
            assert proc.wait(timeout=120) == 0
            return False
        time.sleep(delay)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    return proc.returncode == -signal.SIGKILL


def _check_serving(settings, emb) -> None:  # noqa: ANN001
    reader = open_reader(settings, emb)
    service = build_answering(settings, reader, emb, answerer="extractive")
    for question in QUESTIONS:
        retrieved = service.retriever.retrieve(question, 6)
        assert retrieved, question
        for r in retrieved:
            doc = reader.document(r.chunk.doc_id)
            assert doc.text[r.chunk.start : r.chunk.end] == r.chunk.text
        answer = service.answer(question)
        for c in answer.citations:
            assert reader.document(c.doc_id).text[c.start : c.end] == c.excerpt


def test_sigkill_at_random_points_of_incremental_updates(
    rel_settings,  # noqa: ANN001
    corpus: Path,
    fake_emb,  # noqa: ANN001
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSDESK_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("NEWSDESK_EMBEDDING_BATCH_SIZE", "2")
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))
    # Chroma keeps its write-ahead log until a collection's vector index is written to disk
    # (every 1000 records by default): a short period shows the steady state within 20 trials.
    settings = rel_settings.model_copy(update={"hnsw_sync_threshold": 20})
    monkeypatch.setenv("NEWSDESK_HNSW_SYNC_THRESHOLD", "20")
    originals = {p: p.read_text("utf-8") for p in sorted(corpus.glob("*.txt"))}
    assert len(originals) == 5
    build_index(settings, fake_emb)
    marker = tmp_path / "marker"

    # Calibrate: how long one unkilled incremental update takes, ready to finished.
    _change_corpus(corpus, 0, originals)
    started = time.monotonic()
    _run_and_kill(marker, None)
    span = time.monotonic() - started
    assert marker.read_text("utf-8") == "finished"

    rng = random.Random(16)
    sizes: list[int] = []
    interrupted = killed = 0
    generations: set[str] = set()
    stored: list[int] = []
    keyword_sizes: list[int] = []
    store = Store.open(settings, create=False)
    for trial in range(1, TRIALS + 1):
        _change_corpus(corpus, trial, originals)
        killed += _run_and_kill(marker, rng.uniform(0.0, span))
        interrupted += store.read_update_log() is not None

        _check_serving(settings, fake_emb)
        report = verify_index(settings)
        assert report.ok, (trial, report.problems)

        done = build_index(settings, fake_emb)  # completes what the killed build left
        generations.add(str(done.generation))
        assert store.read_update_log() is None
        again = build_index(settings, fake_emb)
        assert not again.changed and again.chunks_embedded == 0, trial
        report = verify_index(settings)
        assert report.ok and not report.pending, (trial, report.problems)
        served = {d.doc_id: d.content_hash for d in open_reader(settings, fake_emb).documents()}
        assert served == {d.doc_id: d.content_hash for d in load_corpus(corpus).documents}
        _check_serving(settings, fake_emb)
        sizes.append(_disk(Path(settings.data_dir)))
        records, keyword_bytes = _stored(store)
        stored.append(records)
        keyword_sizes.append(keyword_bytes)

    print(f"\n{killed}/{TRIALS} killed mid-build, {interrupted} with an update in progress; "
          f"update span {span:.2f}s; {len(generations)} generations; disk by trial {sizes}; "
          f"chunk records {stored}; keyword bytes {keyword_sizes}")
    assert killed >= TRIALS // 2  # the kills landed inside the builds, not after them
    assert interrupted >= 2  # and some inside the in-place update itself (update log written)
    # What newsdesk stores does not grow across trials: replaced versions are dropped with the
    # next generation (this corpus is tiny, so update.MAX_SUPERSEDED is crossed every few
    # trials), and the keyword index keeps live entries only. (Chroma 1.5.9's own files still
    # grow: its full-text index keeps deleted rows, and a deleted collection's folder stays on
    # disk until issue 17's reclaim; the total is printed above.)
    assert len(generations) > 1
    half = TRIALS // 2
    assert max(stored[half:]) <= max(stored[:half]), stored
    assert max(keyword_sizes[half:]) <= max(keyword_sizes[:half]) * 1.1, keyword_sizes
