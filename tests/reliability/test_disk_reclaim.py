"""Disk is given back: a soak of changing rebuilds stays bounded, killed builds leave nothing
behind once the next build ran, and `index status`/`verify` say what is not serving.

Real Chroma (embedded, in a temp dir), real builds; a small corpus keeps the soak short. Sizes
are measured like `du` (allocated blocks) plus the blocks of deleted files this process still
holds open (Chroma caches HNSW files of deleted collections), so space "freed" only on paper
does not count as freed.
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

from index.build import build_index
from index.chroma_client import chroma_path
from index.disk import segment_owners, tree_bytes
from index.status import index_status
from index.verify import verify_index
from tests.conftest import PROJECT_ROOT

pytestmark = [pytest.mark.slow]

REBUILDS = 32
MEASURED: dict[str, object] = {}


def _article(i: int, edit: int = 0) -> str:
    sentences = " ".join(
        f"Sentence {j} of report {i} covers the harbour council vote and the ferry timetable."
        for j in range(24)
    )
    return f"Harbour report {i}\n{sentences} Revision {edit}.\n"


def _held_open_deleted_bytes() -> int:
    total = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if "(deleted)" in os.readlink(f"/proc/self/fd/{fd}"):
                total += os.fstat(int(fd)).st_blocks * 512
        except OSError:
            continue
    return total


def _orphan_dirs(settings) -> int:  # noqa: ANN001
    path = chroma_path(settings)
    owners = segment_owners(path)
    return sum(1 for d in path.iterdir() if d.is_dir() and d.name not in owners)


def test_thirty_changing_rebuilds_stay_within_about_two_generations(
    rel_settings,  # noqa: ANN001
    tmp_path: Path,
    fake_emb,  # noqa: ANN001
) -> None:
    corpus = tmp_path / "soak"
    corpus.mkdir()
    for i in range(20):
        (corpus / f"report{i:02d}.txt").write_text(_article(i), "utf-8")
    settings = rel_settings.model_copy(update={"corpus_dir": corpus})
    build_index(settings, fake_emb)
    one_generation = tree_bytes(chroma_path(settings))
    sizes = []
    rng = random.Random(17)
    for k in range(1, REBUILDS + 1):
        i = rng.randrange(20)
        (corpus / f"report{i:02d}.txt").write_text(_article(i, k), "utf-8")
        if k % 8 == 0:  # also add and remove articles now and then
            (corpus / f"extra{k}.txt").write_text(_article(100 + k), "utf-8")
            for old in sorted(corpus.glob("extra*.txt"))[:-1]:
                old.unlink()
        summary = build_index(settings, fake_emb)
        assert summary.changed
        sizes.append(tree_bytes(chroma_path(settings)) + _held_open_deleted_bytes())
        assert _orphan_dirs(settings) == 0, f"rebuild {k} left segment directories behind"
        if k % 8 == 0:
            report = verify_index(settings)
            assert report.ok and report.leftovers == [], report.problems
    status = index_status(settings)
    assert status.disk is not None and status.disk["orphan_dirs"] == 0
    assert status.disk["leftover_bytes"] == 0
    # What is not serving is the previous generation (kept for readers) and free pages.
    assert status.disk["not_serving_bytes"] == (
        status.disk["previous_bytes"] + status.disk["sqlite_free_bytes"]
    )
    MEASURED.update(one_generation=one_generation, max=max(sizes), last=sizes[-1])
    print(
        f"\nsoak: one generation {one_generation / 1e6:.2f} MB; after {REBUILDS} changing rebuilds "
        f"max {max(sizes) / 1e6:.2f} MB ({max(sizes) / one_generation:.2f}x), last "
        f"{sizes[-1] / 1e6:.2f} MB; status not serving {status.disk['not_serving_bytes'] / 1e6:.2f} MB"
    )
    # Two generations are kept by design (active + previous); SQLite free pages up to the
    # compaction threshold come on top.
    assert max(sizes) <= 2.5 * one_generation, [round(s / one_generation, 2) for s in sizes]
    assert sizes[-1] <= 2.5 * one_generation


def test_status_and_verify_report_bytes_not_serving(
    rel_settings,  # noqa: ANN001
    corpus: Path,
    fake_emb,  # noqa: ANN001
) -> None:
    """Orphan segment directories (as Chroma 1.5.9 leaves them) are reported, then reclaimed."""
    import shutil

    build_index(rel_settings, fake_emb)
    path = chroma_path(rel_settings)
    owned = next(d for d in path.iterdir() if d.is_dir())
    fake_orphan = path / "00000000-0000-4000-8000-000000000000"
    shutil.copytree(owned, fake_orphan)  # what a dropped collection's directory looks like
    status = index_status(rel_settings)
    assert status.disk is not None
    assert status.disk["orphan_dirs"] == 1 and status.disk["orphan_bytes"] > 0
    assert status.disk["not_serving_bytes"] >= status.disk["orphan_bytes"]
    report = verify_index(rel_settings)
    assert report.ok and report.disk is not None and report.disk["orphan_dirs"] == 1
    (rel_settings.corpus_dir / "new.txt").write_text(_article(1), "utf-8")
    build_index(rel_settings, fake_emb)
    assert not fake_orphan.exists()
    assert index_status(rel_settings).disk["orphan_dirs"] == 0  # type: ignore[index]


WORKER = """
import sys, time
from index.build import build_index
from newsdesk.settings import Settings
from tests.index.fakes import CountingEmbeddings
print("ready", flush=True)
started = time.monotonic()
build_index(Settings(), CountingEmbeddings(size=64), force=True)
print("finished", time.monotonic() - started, flush=True)
"""


def _start_worker() -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_random_sigkills_leave_a_verified_index_and_no_lasting_leftovers(
    rel_settings,  # noqa: ANN001
    corpus: Path,
    fake_emb,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """20 rebuilds SIGKILLed at random moments of the build: after each, `verify` passes
    (old or new generation); after the next completed build nothing of them is left on disk."""
    first = build_index(rel_settings, fake_emb)
    one_generation = tree_bytes(chroma_path(rel_settings))
    monkeypatch.setenv("NEWSDESK_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(rel_settings.data_dir))
    monkeypatch.setenv("NEWSDESK_EMBEDDING_BATCH_SIZE", "4")
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))
    calibration = _start_worker()  # how long a build takes once imports are done
    out, _ = calibration.communicate(timeout=300)
    build_s = float(out.split()[-1])
    rng = random.Random(20)
    kills, finished, peak = 0, 0, 0
    while kills < 20:
        proc = _start_worker()
        time.sleep(rng.uniform(0.0, build_s))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=60)
        if "finished" in out:
            finished += 1
        else:
            kills += 1
        peak = max(peak, tree_bytes(chroma_path(rel_settings)))
        report = verify_index(rel_settings)
        assert report.ok, report.problems
    sizes_before = tree_bytes(chroma_path(rel_settings))
    again = build_index(rel_settings, fake_emb, force=True)
    assert again.chunks == first.chunks
    report = verify_index(rel_settings)
    assert report.ok and report.leftovers == []
    assert report.disk is not None and report.disk["orphan_dirs"] == 0
    after = tree_bytes(chroma_path(rel_settings))
    MEASURED.update(kills=kills, finished=finished, before=sizes_before, after=after)
    print(
        f"\n{kills} SIGKILLs mid-build ({finished} builds finished first; a build takes "
        f"{build_s:.2f} s); disk peak {peak / one_generation:.2f}x one generation, before the "
        f"clean build {sizes_before / 1e6:.2f} MB, after {after / 1e6:.2f} MB "
        f"({after / one_generation:.2f}x)"
    )
    assert after <= 2.5 * one_generation
    assert peak <= 3.5 * one_generation  # a killed build's partial generation on top of two


def test_builds_beside_a_reader_leave_compaction_to_the_compact_command(
    rel_settings,  # noqa: ANN001
    tmp_path: Path,
    fake_emb,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a reader open (the bot), builds never write to chroma.sqlite3 behind Chroma's back
    (it fails its own writes on the lock); `newsdesk index compact` gives the space back, and
    refuses while another process has the database open."""
    from click.testing import CliRunner

    from index.reader import open_reader
    from newsdesk.cli import cli

    corpus = tmp_path / "soak"
    corpus.mkdir()
    for i in range(20):
        (corpus / f"report{i:02d}.txt").write_text(_article(i), "utf-8")
    settings = rel_settings.model_copy(update={"corpus_dir": corpus})
    build_index(settings, fake_emb)
    one_generation = tree_bytes(chroma_path(settings))
    reader = open_reader(settings, fake_emb)
    for k in range(1, 13):
        (corpus / f"report{k:02d}.txt").write_text(_article(k, k), "utf-8")
        build_index(settings, fake_emb)
        assert reader.refresh() and reader.vector_search("harbour ferry", k=3)
        assert _orphan_dirs(settings) == 0  # segment folders go at once, reader or not
    grown = tree_bytes(chroma_path(settings))
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(settings.data_dir))

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); "
         "print('open', flush=True); time.sleep(60)", str(chroma_path(settings) / "chroma.sqlite3")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        refused = CliRunner().invoke(cli, ["index", "compact"])
        assert refused.exit_code == 1 and f"pids {holder.pid}" in str(refused.exception)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    done = CliRunner().invoke(cli, ["index", "compact"])
    assert done.exit_code == 0, done.output
    compacted = tree_bytes(chroma_path(settings))
    assert reader.vector_search("harbour ferry", k=3)  # the reader still works afterwards
    assert verify_index(settings).ok
    print(
        f"\nbeside a reader: 12 rebuilds grew the store to {grown / one_generation:.2f}x one "
        f"generation; `index compact` brought it to {compacted / one_generation:.2f}x"
    )
    assert compacted < grown and compacted <= 2.5 * one_generation


@pytest.mark.integration
def test_a_stopped_servers_folder_is_compacted_by_the_operator_command(
    rel_settings,  # noqa: ANN001
    corpus: Path,
    fake_emb,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    """A Chroma server leaves dropped collections' folders too; with it stopped,
    `newsdesk index compact --path DIR` removes them and the index still verifies after."""
    from click.testing import CliRunner

    from newsdesk.cli import cli
    from tests.conftest import start_chroma_server, stop_chroma_server

    data = tmp_path / "server"
    url, proc = start_chroma_server(data)
    settings = rel_settings.model_copy(update={"chroma_url": url})
    try:
        for k in range(4):
            (corpus / "extra.txt").write_text(_article(k, k), "utf-8")
            # a new generation each time (changes alone are in-place updates): old ones are dropped
            build_index(settings, fake_emb, force=True)
        refused = CliRunner().invoke(cli, ["index", "compact", "--path", str(data / "db")])
        assert refused.exit_code == 1 and "stop the Chroma server" in (refused.exception.hint or "")  # type: ignore[union-attr]
    finally:
        stop_chroma_server(proc)
    owners = segment_owners(data / "db")
    orphans = [d for d in (data / "db").iterdir() if d.is_dir() and d.name not in owners]
    assert len(orphans) >= 4, "Chroma's server no longer leaves folders behind: revisit index.disk"
    before = tree_bytes(data / "db")
    done = CliRunner().invoke(cli, ["index", "compact", "--path", str(data / "db")])
    assert done.exit_code == 0, done.output
    assert not any(d.exists() for d in orphans)
    after = tree_bytes(data / "db")
    url, proc = start_chroma_server(data)
    try:
        report = verify_index(settings.model_copy(update={"chroma_url": url}))
    finally:
        stop_chroma_server(proc)
    assert report.ok, report.problems
    print(f"\nserver folder: {len(orphans)} orphan folders, {before / 1e6:.2f} -> {after / 1e6:.2f} MB")
