"""Fixtures for the bench tests: small generated corpora, never timed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.context import RunContext


@pytest.fixture
def bench_ctx(tmp_path: Path) -> RunContext:
    return RunContext(
        work_dir=tmp_path / "work",
        results_json=tmp_path / "out" / "results.json",
        results_md=tmp_path / "out" / "results.md",
        seed=7,
        command="python -m bench x",
    )
