"""`python -m bench`: help with examples, corpus subcommand, import-time parsing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import main
from bench.coldstart import parse_importtime
from bench.context import REPO


def test_help_has_examples() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    ).stdout
    assert "examples:" in out and "scale --chunks 100000" in out


def test_corpus_subcommand_writes_requested_articles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "corpus"
    rc = main(
        [
            "--work-dir",
            str(tmp_path / "w"),
            "--results",
            str(tmp_path / "r.md"),
            "corpus",
            "--articles",
            "4",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    lines = (out / "part-000.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == 4 and json.loads(lines[0])["id"] == "syn-000000"
    assert "wrote 4 articles" in capsys.readouterr().out


def test_corpus_size_is_sized_for_chunks(tmp_path: Path) -> None:
    from bench.chunks import chunk_articles
    from bench.context import RunContext
    from bench.corpus import generate_articles
    from bench.indexing import write_sized_corpus

    ctx = RunContext(work_dir=tmp_path, results_json=tmp_path / "r.json", results_md=tmp_path / "r.md", seed=3)
    n, files = write_sized_corpus(ctx, tmp_path / "c", None, target_chunks=300)
    chunks = chunk_articles(generate_articles(n, 3), ctx.settings("t"))
    assert 250 <= len(chunks) <= 360  # sized from a sample's chunks per article
    # Second call reuses the written corpus.
    assert write_sized_corpus(ctx, tmp_path / "c", None, target_chunks=300) == (n, files)


def test_parse_importtime() -> None:
    err = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:       100 |        100 |   torch._C",
            "import time:      2000 |       2100 | torch",
            "import time:       500 |        500 | chromadb",
            "some other line",
        ]
    )
    per_pkg, total = parse_importtime(err)
    assert per_pkg == {"torch": 2.1, "chromadb": 0.5}
    assert total == pytest.approx(2.6)
