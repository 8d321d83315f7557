"""The CLI as a new user meets it: help with examples, absolute paths and hints that lead
somewhere when run from a subfolder, each build warning once, line editing with history in chat.

The subprocess tests run the real `newsdesk` entry point (real stderr, real logging set-up) on
commands that load no model.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from newsdesk.cli import _COMMANDS, cli, nearby_hint
from newsdesk.errors import ConfigError, CorpusError, IndexMissing
from tests.conftest import PROJECT_ROOT, SHIPPED_CORPUS


def _all_commands() -> list[list[str]]:
    paths = [[name] for name in sorted(_COMMANDS)]
    paths += [["index", sub] for sub in ("build", "status", "verify")]
    return paths


@pytest.mark.parametrize("argv", _all_commands(), ids=" ".join)
def test_every_command_help_has_an_example(argv: list[str]) -> None:
    result = CliRunner().invoke(cli, [*argv, "--help"])
    assert result.exit_code == 0, result.output
    assert "Examples:" in result.output
    assert f"newsdesk {' '.join(argv)}" in result.output or f"newsdesk {argv[0]}" in result.output


def test_root_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert _COMMANDS
    for name in _COMMANDS:
        assert name in result.output


def test_nearby_hint_points_at_the_parent_that_has_the_folders(tmp_path: Path) -> None:
    (tmp_path / ".newsdesk").mkdir()
    (tmp_path / "corpus").mkdir()
    sub = tmp_path / "docs" / "deeper"
    sub.mkdir(parents=True)
    missing = IndexMissing(f"No index at {sub / '.newsdesk' / 'chroma'}")
    assert nearby_hint(missing, sub) == (
        f"found {tmp_path / '.newsdesk'}: cd {tmp_path} (or set NEWSDESK_DATA_DIR={tmp_path / '.newsdesk'})"
    )
    corpus = CorpusError(f"Corpus folder not found: {sub / 'corpus'}")
    assert nearby_hint(corpus, sub) == (
        f"found {tmp_path / 'corpus'}: cd {tmp_path} (or pass --corpus {tmp_path / 'corpus'})"
    )
    assert nearby_hint(IndexMissing("No index at http://127.0.0.1:8000 (collection x)"), sub) is None
    assert nearby_hint(ConfigError("bad setting"), sub) is None
    # from the folder itself there is nothing better to suggest
    assert nearby_hint(IndexMissing(f"No index at {tmp_path / '.newsdesk' / 'chroma'}"), tmp_path) is None


def _newsdesk(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    base["PYTHONPATH"] = str(PROJECT_ROOT)
    return subprocess.run(
        [sys.executable, "-m", "newsdesk", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_errors_from_a_subfolder_name_absolute_paths_and_a_reachable_fix(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / ".newsdesk").mkdir(parents=True)
    (project / "corpus").mkdir()
    sub = project / "docs"
    sub.mkdir()

    status = _newsdesk(sub, "index", "status")
    assert status.returncode != 0
    assert f"No index at {sub / '.newsdesk'}" in status.stderr  # absolute, not ".newsdesk/chroma"
    assert f"found {project / '.newsdesk'}: cd {project}" in status.stderr

    build = _newsdesk(sub, "index", "build", "--corpus", "articles")
    assert build.returncode != 0
    assert str(sub / "articles") in build.stderr
    assert f"found {project / 'corpus'}: cd {project}" in build.stderr


@pytest.fixture
def fake_model_index(isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """An index of the shipped corpus built in-process with a fake 384-dimension embedder
    under the real model's stamp, so a no-change build in a subprocess needs no model."""
    from newsdesk.app import build_index_now
    from newsdesk.settings import Settings
    from tests.index.fakes import CountingEmbeddings

    monkeypatch.setattr("index.lazy.load_embeddings", lambda settings: CountingEmbeddings(size=384))
    corpus = tmp_path / "corpus"
    shutil.copytree(SHIPPED_CORPUS, corpus)
    build_index_now(Settings(data_dir=isolated_env, corpus_dir=corpus))
    return {"NEWSDESK_DATA_DIR": str(isolated_env), "NEWSDESK_CORPUS_DIR": str(corpus), "corpus": corpus}


def test_each_build_warning_is_printed_once(fake_model_index: dict[str, Any], tmp_path: Path) -> None:
    corpus: Path = fake_model_index.pop("corpus")
    (corpus / "broken.txt").write_bytes(b"\x00\x01\x02 not text \xff\xfe")
    result = _newsdesk(tmp_path, "index", "build", env=fake_model_index)
    assert result.returncode == 0, result.stderr
    assert "Index is up to date" in result.stdout
    lines = [line for line in result.stderr.splitlines() if "broken.txt" in line]
    assert len(lines) == 1, result.stderr


def test_chat_line_editing_keeps_history_across_sessions(tmp_path: Path) -> None:
    readline = pytest.importorskip("readline")
    from newsdesk.cli.ask_cmd import line_editing

    history = tmp_path / "data" / "chat_history"
    readline.clear_history()
    with line_editing(history):
        readline.add_history("Who denied involvement in the attack?")
        readline.add_history("What did their spokesman claim?")
    assert history.is_file()
    readline.clear_history()
    assert readline.get_current_history_length() == 0
    with line_editing(history):
        recalled = [readline.get_history_item(i) for i in range(1, readline.get_current_history_length() + 1)]
    assert recalled == ["Who denied involvement in the attack?", "What did their spokesman claim?"]
    readline.clear_history()
