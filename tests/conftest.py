"""Shared fixtures. Every test runs with an isolated environment and data directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CORPUS = PROJECT_ROOT / "corpus"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No test sees the developer's NEWSDESK_* variables, .env or data directory."""
    for key in list(os.environ):
        if key.startswith("NEWSDESK_"):
            monkeypatch.delenv(key)
    data_dir = tmp_path / "newsdesk-data"
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    # Run from a temp folder so a developer's ./.env is never read.
    monkeypatch.chdir(tmp_path)
    yield data_dir


@pytest.fixture
def settings(isolated_env: Path):  # noqa: ANN201 - Settings imported lazily
    from newsdesk.settings import Settings

    return Settings(data_dir=isolated_env, corpus_dir=SHIPPED_CORPUS)


@pytest.fixture(scope="session")
def shipped_corpus() -> Path:
    return SHIPPED_CORPUS
