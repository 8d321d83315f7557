"""A corrupted or missing data directory: every command a user runs gives a clear error
naming the fix (no traceback), and the named fix (`newsdesk index build [--force]`) recovers.

Commands run through the CLI's real entry point (``newsdesk.cli.main``: exit code, stderr)
in this process, with the real bundled model (loaded once per session); one case also runs
`newsdesk` as a separate process. Chroma caches one client per data directory per process:
after corrupting the files the cache is cleared, as a new process would start.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from index.build import build_index
from index.pointer import POINTER_ID
from index.store import Store
from newsdesk.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.integration]

QUESTION = "Who denied involvement in the attack?"


def _forget_chroma_clients() -> None:
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `newsdesk ARGS`; any escaping exception fails the test."""
    try:
        code = main(list(args))  # returns the code of commands ending in ctx.exit(n)
    except SystemExit as exc:
        code = exc.code
    code = int(code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def _sqlite(settings) -> Path:  # noqa: ANN001
    return Path(settings.data_dir) / "chroma" / "chroma.sqlite3"


def garbage(settings) -> None:  # noqa: ANN001
    path = _sqlite(settings)
    path.write_bytes(random.Random(7).randbytes(path.stat().st_size))


def truncated(settings) -> None:  # noqa: ANN001
    with open(_sqlite(settings), "r+b") as f:
        f.truncate(8192)


def pointer_deleted(settings) -> None:  # noqa: ANN001
    store = Store.open(settings, create=False)
    meta = store.meta(create=False)
    assert meta is not None
    meta.delete(ids=[POINTER_ID])


def pointer_garbage(settings) -> None:  # noqa: ANN001
    store = Store.open(settings, create=False)
    meta = store.meta(create=False)
    assert meta is not None
    meta.upsert(ids=[POINTER_ID], documents=["{not json"], embeddings=[[1.0]])


def generation_deleted(settings) -> None:  # noqa: ANN001
    store = Store.open(settings, create=False)
    pointer = store.read_pointer()
    assert pointer is not None
    store.client.delete_collection(pointer.generation)


def data_dir_missing(settings) -> None:  # noqa: ANN001
    shutil.rmtree(settings.data_dir)


# case -> (corrupt it, words the error must contain, the recovery command)
CASES: dict[str, tuple[Callable[..., None], str, list[str]]] = {
    "garbage-sqlite": (garbage, "cannot be opened", ["index", "build", "--force"]),
    "truncated-sqlite": (truncated, "cannot be opened", ["index", "build", "--force"]),
    "pointer-deleted": (pointer_deleted, "No index", ["index", "build"]),
    "pointer-garbage": (pointer_garbage, "unreadable", ["index", "build", "--force"]),
    "generation-deleted": (generation_deleted, "missing", ["index", "build", "--force"]),
    "data-dir-missing": (data_dir_missing, "No index", ["index", "build"]),
}


@pytest.fixture(scope="module")
def built_template(tmp_path_factory: pytest.TempPathFactory, embeddings) -> Path:  # noqa: ANN001
    """An index of the shipped corpus built once with the real model; tests copy it."""
    from newsdesk.settings import Settings
    from tests.conftest import SHIPPED_CORPUS

    data = tmp_path_factory.mktemp("template") / "data"
    build_index(Settings(data_dir=data, corpus_dir=SHIPPED_CORPUS), embeddings)
    _forget_chroma_clients()
    return data


@pytest.fixture
def indexed(rel_settings, built_template: Path, real_model):  # noqa: ANN001, ANN201
    """rel_settings with a healthy index in its data directory."""
    shutil.copytree(built_template, rel_settings.data_dir, dirs_exist_ok=True)
    return rel_settings


@pytest.mark.parametrize("case", list(CASES))
def test_corruption_is_reported_clearly_and_the_named_fix_recovers(
    case: str,
    indexed,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rel_settings = indexed
    monkeypatch.setenv("NEWSDESK_CORPUS_DIR", str(rel_settings.corpus_dir))
    corrupt, words, fix = CASES[case]
    corrupt(rel_settings)
    _forget_chroma_clients()

    fix_text = "`newsdesk " + " ".join(fix) + "`"
    for command in (["index", "status"], ["ask", QUESTION]):
        code, out, err = run_cli(capsys, *command)
        assert code == 1, (command, out, err)
        assert err.startswith("Error: ") and words in err, (command, err)
        assert "-> run `newsdesk index build" in err, (command, err)
        if fix[-1] == "--force":
            assert fix_text in err, (command, err)
    code, out, err = run_cli(capsys, "index", "verify")
    assert code == 1
    assert words in err or "does not exist" in out, (out, err)
    assert "newsdesk index build" in err

    code, out, err = run_cli(capsys, *fix)
    assert code == 0, (out, err)
    assert "Indexed 5 documents" in out
    code, out, err = run_cli(capsys, "index", "verify")
    assert code == 0 and out.startswith("OK: "), (out, err)
    code, out, err = run_cli(capsys, "ask", "--json", QUESTION)
    assert code == 0, err
    answer = json.loads(out)
    assert not answer["refused"] and answer["citations"]


def test_corrupt_hnsw_files_do_not_stop_answers(
    indexed,  # noqa: ANN001
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Truncated vector-segment files: Chroma (1.5.9) rebuilds them from its log; answers go on."""
    rel_settings = indexed
    files = list((Path(rel_settings.data_dir) / "chroma").glob("*/data_level0.bin"))
    assert files
    for path in files:
        with open(path, "r+b") as f:
            f.truncate(100)
    _forget_chroma_clients()
    code, out, err = run_cli(capsys, "ask", "--json", QUESTION)
    assert code == 0, err
    assert json.loads(out)["citations"]
    code, out, _ = run_cli(capsys, "index", "verify")
    assert code == 0 and out.startswith("OK: ")


def _newsdesk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsdesk", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )


def test_as_separate_processes(indexed) -> None:  # noqa: ANN001
    """As a user sees it: `python -m newsdesk ...` as its own process (exit code, stderr)."""
    rel_settings = indexed
    generation_deleted(rel_settings)
    done = _newsdesk("index", "verify")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "pointer names newsdesk__g000001, which does not exist" in done.stdout
    assert "-> run `newsdesk index build --force`" in done.stderr

    garbage(rel_settings)
    done = _newsdesk("index", "status")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "cannot be opened" in done.stderr
    assert "-> run `newsdesk index build --force`" in done.stderr
