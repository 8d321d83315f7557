"""Fixtures of the answering tests: an in-memory reader (fast) and the real index (slow)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.answering.fakes import FakeReader, load_corpus
from tests.conftest import SHIPPED_CORPUS


@pytest.fixture(scope="session")
def corpus_docs() -> list[Any]:
    return load_corpus(SHIPPED_CORPUS)


@pytest.fixture
def fake_reader(corpus_docs: list[Any], fake_embeddings: Any) -> FakeReader:
    return FakeReader(corpus_docs, fake_embeddings)


@pytest.fixture
def fake_service(settings: Any, fake_reader: FakeReader, fake_embeddings: Any) -> Any:
    """The real answering core over the in-memory reader with fake (hash) embeddings."""
    from answering.factory import build_answering

    return build_answering(settings, fake_reader, fake_embeddings)


@pytest.fixture(scope="session")
def shipped_index(tmp_path_factory: pytest.TempPathFactory, embeddings: Any) -> Path:
    """A real Chroma index of the shipped corpus, built once per session; yields its data dir."""
    from index.build import build_index
    from newsdesk.settings import Settings

    data_dir = tmp_path_factory.mktemp("answering-index")
    settings = Settings.model_validate({"data_dir": data_dir, "corpus_dir": SHIPPED_CORPUS})
    build_index(settings, embeddings)
    return data_dir


@pytest.fixture(scope="session")
def real_service(shipped_index: Path, embeddings: Any) -> Iterator[Any]:
    """The extractive service over the real index and the real model (shared, warm)."""
    from answering.factory import build_answering
    from index.reader import open_reader
    from newsdesk.settings import Settings

    settings = Settings.model_validate({"data_dir": shipped_index, "corpus_dir": SHIPPED_CORPUS})
    reader = open_reader(settings, embeddings)
    yield build_answering(settings, reader, embeddings)
