"""The embedding model: offline, normalised, stamped consistently with or without loading it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from index.embeddings import embedding_stamp, load_embeddings, resolve_model_path
from index.lazy import LazyEmbeddings
from newsdesk.errors import ConfigError


def test_missing_model_folder_is_a_config_error(settings, tmp_path: Path) -> None:
    bad = settings.model_copy(update={"embedding_model": str(tmp_path / "no-model")})
    with pytest.raises(ConfigError) as info:
        load_embeddings(bad)
    assert "no-model" in info.value.message and "all-MiniLM-L6-v2" in (info.value.hint or "")


def test_stamp_without_loading_reads_the_bundled_config(settings) -> None:
    stamp = embedding_stamp(settings)
    assert stamp == {
        "model": "all-MiniLM-L6-v2",
        "dimension": 384,
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "cleaning": "1",
    }
    lazy = LazyEmbeddings(settings)
    assert embedding_stamp(settings, lazy) == stamp and not lazy.loaded


@pytest.mark.slow
@pytest.mark.integration
def test_real_model_is_offline_normalised_and_stamped_alike(settings, embeddings) -> None:
    vectors = embeddings.embed_documents(["The drone hit the residence.", "Price condemned it."])
    assert [len(v) for v in vectors] == [384, 384]
    for v in vectors:
        assert math.isclose(math.sqrt(sum(x * x for x in v)), 1.0, abs_tol=1e-4)
    assert embedding_stamp(settings, embeddings) == embedding_stamp(settings)
    folder = settings.model_copy(update={"embedding_model": str(resolve_model_path(settings))})
    assert embedding_stamp(folder)["dimension"] == 384
