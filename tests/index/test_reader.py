"""IndexReader: errors with hints, the embedding stamp, refresh, thread safety."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from index.build import build_index
from index.reader import open_reader
from newsdesk.errors import EmbedderMismatch, IndexCorrupt, IndexMissing, StoreUnavailable
from tests.index.fakes import CountingEmbeddings


def test_no_index_is_index_missing_and_creates_nothing(index_settings) -> None:
    with pytest.raises(IndexMissing) as info:
        open_reader(index_settings, CountingEmbeddings())
    assert str(Path(index_settings.data_dir) / "chroma") in info.value.message
    assert info.value.hint == "run `newsdesk index build`"
    assert not (Path(index_settings.data_dir) / "chroma").exists()


def test_other_embedder_is_refused_with_rebuild_hint(index_settings) -> None:
    build_index(index_settings, CountingEmbeddings(size=64))
    with pytest.raises(EmbedderMismatch) as info:
        open_reader(index_settings, CountingEmbeddings(size=32))
    assert "dimension" in info.value.message and "64" in info.value.message
    assert info.value.hint == "run `newsdesk index build --force`"
    other_chunking = index_settings.model_copy(update={"chunk_size": 800})
    with pytest.raises(EmbedderMismatch, match="chunk_size"):
        open_reader(other_chunking, CountingEmbeddings(size=64))


def test_real_model_is_refused_on_a_fake_built_index(index_settings) -> None:
    from index.lazy import LazyEmbeddings

    build_index(index_settings, CountingEmbeddings(size=384))
    real = LazyEmbeddings(index_settings)  # the real model's stamp, without loading it (fast tier)
    with pytest.raises(EmbedderMismatch, match="all-MiniLM-L6-v2"):
        open_reader(index_settings, real)
    assert not real.loaded, "the check compares stamps: no model load needed"


def test_corrupt_data_dir_is_index_corrupt(index_settings) -> None:
    path = Path(index_settings.data_dir) / "chroma"
    path.mkdir(parents=True)
    (path / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(IndexCorrupt) as info:
        open_reader(index_settings, CountingEmbeddings())
    assert "--force" in (info.value.hint or "")


def test_force_build_moves_a_corrupt_data_dir_aside(index_settings) -> None:
    path = Path(index_settings.data_dir) / "chroma"
    path.mkdir(parents=True)
    (path / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(IndexCorrupt):
        build_index(index_settings, CountingEmbeddings())
    summary = build_index(index_settings, CountingEmbeddings(), force=True)
    assert summary.documents == 5 and any("moved it to" in w for w in summary.warnings)
    aside = [p for p in Path(index_settings.data_dir).iterdir() if p.name.startswith("chroma.")]
    assert aside and (aside[0] / "chroma.sqlite3").exists()  # nothing thrown away
    assert len(open_reader(index_settings, CountingEmbeddings()).documents()) == 5


def test_unreachable_server_names_the_url(index_settings) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    remote = index_settings.model_copy(update={"chroma_url": url})
    with pytest.raises(StoreUnavailable) as info:
        open_reader(remote, CountingEmbeddings())
    assert url in info.value.message
    assert "NEWSDESK_CHROMA_URL" in (info.value.hint or "")


def test_vector_search_scores_and_offsets(index_settings) -> None:
    emb = CountingEmbeddings()
    build_index(index_settings, emb)
    reader = open_reader(index_settings, emb)
    target = reader.chunks()[7]
    hits = reader.vector_search(target.text, k=3)  # fake vectors: identical text = identical vector
    assert len(hits) == 3
    assert hits[0].chunk.chunk_id == target.chunk_id
    assert hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert hits[0].score >= hits[1].score >= hits[2].score
    for hit in hits:
        doc = reader.document(hit.chunk.doc_id)
        assert doc.text[hit.chunk.start : hit.chunk.end] == hit.chunk.text
    assert len(reader.vector_search("anything", k=10_000)) == len(reader.chunks())
    assert reader.vector_search("anything", k=0) == []


def test_refresh_follows_a_rebuild_and_survives_garbage_collection(
    index_settings, corpus: Path
) -> None:
    emb = CountingEmbeddings()
    build_index(index_settings, emb)
    reader = open_reader(index_settings, emb)
    old = reader.generation
    assert reader.refresh() is False
    path = corpus / "001_c873e584d55569f3.txt"
    path.write_text(path.read_text("utf-8") + "\nAppended fact one.", "utf-8")
    build_index(index_settings, emb, force=True)  # a new generation
    # Not refreshed yet: still serving the old generation, which is kept as "previous".
    assert reader.generation == old and reader.vector_search("drone", k=2)
    path.write_text(path.read_text("utf-8") + "\nAppended fact two.", "utf-8")
    newest = build_index(index_settings, emb, force=True).generation
    # The reader's generation is now deleted: a search notices, refreshes and retries.
    assert reader.vector_search("drone", k=2)
    assert reader.generation == newest
    assert "Appended fact two." in reader.document("001_c873e584d55569f3").text
    assert reader.refresh() is False


def test_an_in_place_update_is_served_whole_after_refresh(index_settings, corpus: Path) -> None:
    emb = CountingEmbeddings()
    build_index(index_settings, emb)
    reader = open_reader(index_settings, emb)
    doc_id = "001_c873e584d55569f3"
    before = reader.document(doc_id)  # cached: the served version until the next refresh
    path = corpus / f"{doc_id}.txt"
    path.write_text(path.read_text("utf-8") + "\nAppended zebra fact.", "utf-8")
    summary = build_index(index_settings, emb)
    assert summary.generation == reader.generation and summary.updated_ids == [doc_id]
    # Until it refreshes, the reader serves the version it cached, whole: the old chunks are
    # still stored (superseded), the new ones are in a delta it does not search yet.
    assert reader.document(doc_id) == before
    mine = [h.chunk for h in reader.vector_search("Appended zebra fact.", k=100) if h.chunk.doc_id == doc_id]
    assert mine and all(before.text[c.start : c.end] == c.text for c in mine)
    assert not reader.keyword_search({"zebra": 1.0}, 3)  # its keyword index revision is older
    assert reader.refresh() is True and reader.pointer.revision == 2  # delta published, then done
    assert len(reader.pointer.deltas) == 1 and reader.pointer.superseded > 0
    assert "Appended zebra fact." in reader.document(doc_id).text
    top = reader.keyword_search({"zebra": 1.0}, 3)
    assert [h.chunk.doc_id for h in top] == [doc_id] and "zebra" in top[0].chunk.text
    assert reader.next_chunk(reader.keyword_search({"zebra": 1.0}, 1)[0].chunk) is None  # the last
    assert reader.max_idf() > reader.idf("zebra") > reader.idf("drone") > 0.0 == reader.idf("qwxz")


def test_concurrent_reads_during_a_rebuild(index_settings, corpus: Path) -> None:
    emb = CountingEmbeddings()
    build_index(index_settings, emb)
    reader = open_reader(index_settings, emb)
    errors: list[BaseException] = []
    results: list[int] = []
    stop = threading.Event()

    def work() -> None:
        try:
            while not stop.is_set():
                results.append(len(reader.vector_search("security forces", k=4)))
                assert reader.chunks() and reader.documents()
                reader.refresh()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for i in range(3):
            (corpus / f"extra_{i}.txt").write_text(f"Extra {i}\n\nExtra report {i}.", "utf-8")
            build_index(index_settings, emb)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert errors == []
    assert results and all(n == 4 for n in results)
    reader.refresh()
    assert len(reader.documents()) == 8


def test_no_chroma_default_embedding_function_is_attached(index_settings) -> None:
    emb = CountingEmbeddings()
    build_index(index_settings, emb)
    reader = open_reader(index_settings, emb)
    gen = reader._current()
    assert gen.chunk_cols[0]._embedding_function is None and gen.docs_col._embedding_function is None
    reader.vector_search("drone", k=1)
    assert emb.queries[-1] == "drone"  # the query went through our embedder


def test_a_hung_server_fails_fast_instead_of_hanging(index_settings) -> None:
    import socket
    import time

    with socket.socket() as sock:  # accepts connections (backlog) but never answers
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match=url):
            settings = index_settings.model_copy(update={"chroma_url": url, "chroma_timeout_s": 1.0})
            open_reader(settings, CountingEmbeddings())
        assert time.monotonic() - started < 30


def test_answering_never_reads_the_whole_corpus(
    index_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Serving memory must not grow with the archive: no full read of chunks or documents."""
    from answering.factory import build_answering
    from index.reader import IndexReader

    emb = CountingEmbeddings()
    build_index(index_settings, emb)
    reader = open_reader(index_settings, emb)

    def forbidden(self: IndexReader) -> list[Any]:
        raise AssertionError("a full read on the answer path")

    monkeypatch.setattr(IndexReader, "chunks", forbidden)
    monkeypatch.setattr(IndexReader, "documents", forbidden)
    service = build_answering(index_settings, reader, emb, answerer="extractive")
    service.warm()
    answer = service.answer("Who denied involvement in the attack?")
    assert answer.citations
    for c in answer.citations:
        assert reader.document(c.doc_id).text[c.start : c.end] == c.excerpt
