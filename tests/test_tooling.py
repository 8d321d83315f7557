"""The set-up and CI commands do what the README says (checked with `make -n`: nothing runs)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _dry_run(*args: str, venv: Path) -> list[str]:
    result = subprocess.run(
        ["make", "-n", "-C", str(PROJECT_ROOT), f"VENV={venv}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert lines, result.stderr
    return lines


def _torch_line(lines: list[str]) -> str:
    found = [line for line in lines if "pip install" in line and "torch==" in line]
    assert len(found) == 1, lines
    return found[0]


def test_torch_index_is_overridable(tmp_path: Path) -> None:
    cuda = "https://download.pytorch.org/whl/cu126"
    line = _torch_line(_dry_run("install", f"TORCH_INDEX_URL={cuda}", venv=tmp_path / "v1"))
    assert f"--index-url {cuda} torch==2.13.0" in line
    plain = _torch_line(_dry_run("install", "TORCH_INDEX_URL=", venv=tmp_path / "v2"))
    assert "--index-url" not in plain and "torch==2.13.0" in plain


def test_torch_cpu_build_is_chosen_when_installing_not_when_make_reads_the_makefile(tmp_path: Path) -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text("utf-8")
    assert "$(shell" not in makefile  # nothing (no index probe) runs on every `make` call
    line = _torch_line(_dry_run("install", venv=tmp_path / "v"))
    assert "pip index versions torch" in line  # asks pip's configured index first
    assert "torch==2.13.0+cpu" in line
    assert "--index-url https://download.pytorch.org/whl/cpu torch==2.13.0" in line  # else
    installed = tmp_path / "installed"
    installed.mkdir()
    (installed / ".installed").touch()  # newer than pyproject.toml: nothing to install
    lint = _dry_run("lint", venv=installed)
    assert any("ruff check" in step for step in lint)
    assert not any("pip " in step for step in lint)  # no install, no index probe


def test_torch_pin_matches_pyproject(tmp_path: Path) -> None:
    pyproject = (PROJECT_ROOT / "pyproject.toml").read_text("utf-8")
    line = _torch_line(_dry_run("install", "TORCH_INDEX_URL=", venv=tmp_path / "v"))
    pin = line.split("torch==", 1)[1].split()[0]
    assert f'"torch=={pin}"' in pyproject


def test_fast_tier_deselects_slow_tests_and_ci_runs_lint_then_tests() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text("utf-8")
    assert '$(BIN)/pytest -m "not slow"' in makefile
    ci = (PROJECT_ROOT / ".ci" / "run").read_text("utf-8").splitlines()
    steps = [line.strip() for line in ci if line.strip().startswith("make ")]
    assert steps == ["make lint", "make test"]
