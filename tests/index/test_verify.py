"""`verify`: passes on a good index, finds tampered chunks, orphans and a dangling pointer."""

from __future__ import annotations

import pytest

from index.build import build_index
from index.pointer import Pointer
from index.records import as_vectors
from index.store import Store
from index.verify import verify_index
from newsdesk.errors import IndexMissing
from tests.index.fakes import CountingEmbeddings


@pytest.fixture
def built(index_settings) -> Store:  # noqa: ANN001
    build_index(index_settings, CountingEmbeddings())
    return Store.open(index_settings, create=False)


def test_good_index_verifies(index_settings, built: Store) -> None:
    report = verify_index(index_settings)
    assert report.ok and report.documents == 5 and report.chunks > 5
    assert report.to_dict()["ok"] is True


def test_tampered_chunk_text_is_found(index_settings, built: Store) -> None:
    pointer = built.read_pointer()
    assert pointer
    col = built.chunks(pointer.generation)
    got = col.get(
        where={"$and": [{"doc_id": "000_d71935d8366a0c7a"}, {"position": 1}]},
        include=["metadatas", "embeddings"],
    )
    assert len(got["ids"]) == 1
    col.update(
        ids=got["ids"],
        embeddings=as_vectors(got["embeddings"]),
        documents=["Totally different text."],
        metadatas=got["metadatas"],
    )
    report = verify_index(index_settings)
    assert not report.ok
    assert any(f"{got['ids'][0]}: text differs" in p for p in report.problems)


def test_orphan_chunk_and_count_mismatch_are_found(index_settings, built: Store) -> None:
    pointer = built.read_pointer()
    assert pointer
    built.chunks(pointer.generation).add(
        ids=["ghost:0"],
        embeddings=as_vectors([[0.1] * 64]),
        documents=["Boo."],
        metadatas=[{"doc_id": "ghost", "position": 0, "start": 0, "end": 4}],
    )
    report = verify_index(index_settings)
    # A chunk no document record serves is never shown, but the counts no longer add up.
    assert report.superseded == 1
    assert any("pointer says" in p for p in report.problems)


def test_pointer_to_a_missing_generation_is_found(index_settings, built: Store) -> None:
    pointer = built.read_pointer()
    assert pointer
    built.write_pointer(
        Pointer("newsdesk__g999999", pointer.stamp, pointer.built_at, 5, pointer.chunks)
    )
    report = verify_index(index_settings)
    assert not report.ok and "does not exist" in report.problems[0]


def test_verify_without_index(index_settings) -> None:
    with pytest.raises(IndexMissing):
        verify_index(index_settings)
