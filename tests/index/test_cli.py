"""The must-show scenario through the real CLI with the real model:
build -> status shows 5 documents; a second build embeds 0; touching one article re-embeds
only that article; verify passes; errors are clear with a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from index.chunking import chunk_document
from index.loaders import load_corpus
from newsdesk.cli import cli, main

pytestmark = [pytest.mark.slow, pytest.mark.integration]

ARTICLE = "003_b00093124b2ec61b"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str) -> dict:
    code, out, err = run(*args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, corpus: Path, real_model: object) -> Path:
    """The corpus, and the session's loaded model for every in-process `newsdesk index`."""
    monkeypatch.setenv("NEWSDESK_CORPUS_DIR", str(corpus))
    return corpus


def test_build_status_rebuild_touch_verify(cli_env: Path) -> None:
    code, out, err = run("index", "build")
    assert code == 0, err
    assert "Indexed 5 documents: 5 added, 0 updated, 0 removed, 0 unchanged." in out

    status = run_json("index", "status")
    assert status["documents"] == 5
    assert status["model"] == "all-MiniLM-L6-v2" and status["dimension"] == 384
    assert status["stale"] == []
    code, out, _ = run("index", "status")
    assert code == 0 and "Documents   5" in out and "all-MiniLM-L6-v2 (384 dimensions)" in out

    again = run_json("index", "build")
    assert again["chunks_embedded"] == 0 and again["changed"] is False
    assert again["unchanged"] == 5

    path = cli_env / f"{ARTICLE}.txt"
    path.write_text(
        path.read_text("utf-8").replace("Real Time Analytics", "Live analytics"), "utf-8"
    )
    touched = run_json("index", "build")
    doc = next(d for d in load_corpus(cli_env).documents if d.doc_id == ARTICLE)
    assert touched["updated_ids"] == [ARTICLE] and touched["unchanged"] == 4
    assert 1 <= touched["chunks_embedded"] <= len(chunk_document(doc, 500, 100))
    # In place: only the article's chunks are written (its unchanged passages keep their vectors)
    assert touched["chunks_copied"] + touched["chunks_embedded"] == len(chunk_document(doc, 500, 100))
    assert touched["generation"] == again["generation"]

    code, out, _ = run("index", "verify")
    assert code == 0 and out.startswith("OK:")
    assert run_json("index", "verify")["ok"] is True


def test_real_model_retrieves_the_denial(cli_env: Path, index_settings, embeddings) -> None:
    from index.build import build_index
    from index.reader import open_reader

    build_index(index_settings, embeddings)
    # A no-change build with the lazy embedder (what the CLI uses) never loads the model.
    from index.lazy import LazyEmbeddings

    lazy = LazyEmbeddings(index_settings)
    assert build_index(index_settings, lazy).changed is False
    assert not lazy.loaded
    reader = open_reader(index_settings, embeddings)
    hits = reader.vector_search("Kata'ib Hezbollah rejected involvement", k=5)
    assert "rejected any relevance" in hits[0].chunk.text
    assert hits[0].score > hits[1].score + 0.1  # clearly the best match
    assert all(-1.0 <= h.score <= 1.0 for h in hits)


def test_missing_index_and_missing_corpus_are_clear_errors(
    cli_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["index", "status"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "No index at" in err and "run `newsdesk index build`" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["index", "build", "--corpus", str(tmp_path / "nowhere")])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "Corpus folder not found" in err and "nowhere" in err and "Traceback" not in err


def test_help_has_examples() -> None:
    for args in (["index", "--help"], ["index", "build", "--help"], ["index", "verify", "--help"]):
        code, out, _ = run(*args)
        assert code == 0 and "Examples:" in out


def test_console_script_error_exit(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("newsdesk")
    proc = subprocess.run(
        [str(exe), "index", "status"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NEWSDESK_DATA_DIR": str(tmp_path / "none")},
    )
    assert proc.returncode == 1
    assert "Error: No index at" in proc.stderr and "newsdesk index build" in proc.stderr
    assert "Traceback" not in proc.stderr
