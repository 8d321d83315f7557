"""Fixtures of the index tests: a writable copy of the corpus and settings pointing at it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import SHIPPED_CORPUS


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A writable copy of the shipped corpus (tests edit, add and delete articles)."""
    target = tmp_path / "corpus"
    shutil.copytree(SHIPPED_CORPUS, target)
    return target


@pytest.fixture
def index_settings(isolated_env: Path, corpus: Path):  # noqa: ANN201
    from newsdesk.settings import Settings

    return Settings(data_dir=isolated_env, corpus_dir=corpus)
