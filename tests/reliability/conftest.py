"""Reliability fixtures: a writable corpus copy, settings on it, and a fast fake embedder.

Fault tests run the real index code on a real Chroma (embedded in a temp dir, or a real
`chroma run` server they start and stop themselves); only the embedding model is faked
where its numbers do not matter (the fake implements LangChain's Embeddings interface).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import SHIPPED_CORPUS


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(SHIPPED_CORPUS, target)
    return target


@pytest.fixture
def rel_settings(isolated_env: Path, corpus: Path):  # noqa: ANN201 - Settings imported lazily
    from newsdesk.settings import Settings

    return Settings(data_dir=isolated_env, corpus_dir=corpus)


@pytest.fixture
def fake_emb():  # noqa: ANN201
    from tests.index.fakes import CountingEmbeddings

    return CountingEmbeddings(size=64)
