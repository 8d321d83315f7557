"""Incremental, idempotent builds: nothing re-embedded without change, only changed articles
re-embedded, removed articles deleted, --force re-embeds everything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from index.build import build_index, index_status
from index.chunking import chunk_document
from index.loaders import load_corpus
from index.locking import build_lock
from index.reader import open_reader
from index.store import Store
from index.verify import verify_index
from newsdesk.errors import CorpusError, IndexBusy
from tests.index.fakes import CountingEmbeddings

ARTICLE = "002_bf7ea3b3e611832c"


def expected_chunks(corpus: Path, settings) -> dict[str, list[str]]:  # noqa: ANN001
    return {
        d.doc_id: [c.text for c in chunk_document(d, settings.chunk_size, settings.chunk_overlap)]
        for d in load_corpus(corpus).documents
    }


def test_first_build_embeds_every_chunk_and_serves_it(index_settings, corpus: Path) -> None:
    emb = CountingEmbeddings()
    summary = build_index(index_settings, emb)
    chunks = expected_chunks(corpus, index_settings)
    total = sum(len(v) for v in chunks.values())
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (5, 0, 0, 0)
    assert summary.chunks_embedded == total == len(emb.embedded) == summary.chunks
    assert summary.changed and summary.generation
    status = index_status(index_settings)
    assert (status.documents, status.chunks) == (5, total)
    assert status.model == "CountingEmbeddings:64" and status.dimension == 64
    reader = open_reader(index_settings, emb)
    assert [d.doc_id for d in reader.documents()] == sorted(chunks)
    assert len(reader.chunks()) == total
    assert verify_index(index_settings).ok


def test_second_build_embeds_nothing_and_keeps_the_generation(index_settings) -> None:
    emb = CountingEmbeddings()
    first = build_index(index_settings, emb)
    emb.embedded.clear()
    second = build_index(index_settings, emb)
    assert emb.embedded == [] and second.chunks_embedded == 0
    assert not second.changed and second.unchanged == 5
    assert second.generation == first.generation
    assert Store.open(index_settings, create=False).generations() == [first.generation]


def test_touching_one_article_re_embeds_only_its_new_chunks(index_settings, corpus: Path) -> None:
    emb = CountingEmbeddings()
    first = build_index(index_settings, emb)
    path = corpus / f"{ARTICLE}.txt"
    path.write_text(path.read_text("utf-8") + "\nA new closing sentence was added.\n", "utf-8")
    emb.embedded.clear()
    second = build_index(index_settings, emb)
    new_chunks = expected_chunks(corpus, index_settings)
    assert (second.added, second.updated, second.removed, second.unchanged) == (0, 1, 0, 4)
    assert second.updated_ids == [ARTICLE]
    assert 1 <= second.chunks_embedded == len(emb.embedded) <= len(new_chunks[ARTICLE])
    assert set(emb.embedded) <= set(new_chunks[ARTICLE])  # nothing of other articles
    assert any("A new closing sentence" in t for t in emb.embedded)
    # In place: only the article's chunks were written (unchanged passages kept their vectors),
    # in the serving generation, now at its next revision.
    assert second.chunks_copied + second.chunks_embedded == len(new_chunks[ARTICLE])
    assert second.chunks == sum(len(v) for v in new_chunks.values())
    assert second.generation == first.generation
    assert Store.open(index_settings, create=False).generations() == [first.generation]
    reader = open_reader(index_settings, emb)
    assert "A new closing sentence was added." in reader.document(ARTICLE).text
    assert verify_index(index_settings).ok


def test_removed_article_is_deleted_and_added_article_indexed(index_settings, corpus: Path) -> None:
    emb = CountingEmbeddings()
    build_index(index_settings, emb)
    (corpus / f"{ARTICLE}.txt").unlink()
    (corpus / "new_story.md").write_text("# Fresh report\n\nA fresh report arrived today.", "utf-8")
    emb.embedded.clear()
    summary = build_index(index_settings, emb)
    assert (summary.added, summary.removed, summary.unchanged) == (1, 1, 4)
    assert summary.removed_ids == [ARTICLE] and summary.added_ids == ["new_story"]
    assert emb.embedded == ["# Fresh report\n\nA fresh report arrived today."]
    reader = open_reader(index_settings, emb)
    assert ARTICLE not in {c.doc_id for c in reader.chunks()}
    with pytest.raises(KeyError):
        reader.document(ARTICLE)
    hits = reader.vector_search("drone attack residence", k=100)
    assert hits and ARTICLE not in {h.chunk.doc_id for h in hits}
    assert reader.document("new_story").title == "Fresh report"
    assert verify_index(index_settings).ok


def test_force_re_embeds_everything(index_settings) -> None:
    emb = CountingEmbeddings()
    first = build_index(index_settings, emb)
    emb.embedded.clear()
    forced = build_index(index_settings, emb, force=True)
    assert forced.forced and forced.changed
    assert forced.chunks_embedded == len(emb.embedded) == first.chunks
    assert forced.unchanged == 5 and forced.chunks_copied == 0
    assert forced.generation != first.generation


def test_old_generations_are_garbage_collected_keeping_the_previous(index_settings) -> None:
    emb = CountingEmbeddings()
    g1 = build_index(index_settings, emb).generation
    g2 = build_index(index_settings, emb, force=True).generation
    g3 = build_index(index_settings, emb, force=True).generation
    store = Store.open(index_settings, create=False)
    assert store.generations() == [g2, g3]
    assert g1 not in store.collection_names() and f"{g1}__docs" not in store.collection_names()
    pointer = store.read_pointer()
    assert pointer is not None and (pointer.generation, pointer.previous) == (g3, g2)


def test_chunking_change_rebuilds_everything(index_settings) -> None:
    emb = CountingEmbeddings()
    build_index(index_settings, emb)
    smaller = index_settings.model_copy(update={"chunk_size": 300, "chunk_overlap": 50})
    emb.embedded.clear()
    summary = build_index(smaller, emb)
    assert summary.changed and summary.chunks_embedded == summary.chunks == len(emb.embedded)
    assert index_status(smaller).chunk_size == 300
    assert all(len(c.text) <= 300 for c in open_reader(smaller, emb).chunks())


def test_empty_corpus_is_an_error_and_keeps_the_index(index_settings, tmp_path: Path) -> None:
    emb = CountingEmbeddings()
    first = build_index(index_settings, emb)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "bad.txt").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CorpusError) as info:
        build_index(index_settings, emb, corpus_dir=empty)
    assert (
        "No indexable articles" in info.value.message and "1 file(s) skipped" in info.value.message
    )
    with pytest.raises(CorpusError, match="not found"):
        build_index(index_settings, emb, corpus_dir=tmp_path / "missing")
    assert index_status(index_settings).generation == first.generation
    assert index_status(index_settings).documents == 5


def test_bad_file_in_corpus_is_skipped_and_reported(index_settings, corpus: Path) -> None:
    (corpus / "broken.txt").write_bytes("Caf\xe9".encode("latin-1"))
    summary = build_index(index_settings, CountingEmbeddings())
    assert summary.documents == 5
    assert any("broken.txt" in w and "not UTF-8" in w for w in summary.warnings)


def test_a_second_concurrent_build_is_refused(index_settings) -> None:
    emb = CountingEmbeddings()
    build_index(index_settings, emb)
    store = Store.open(index_settings, create=True)
    with build_lock(store), pytest.raises(IndexBusy) as info:
        build_index(index_settings, emb)
    assert "Another build" in info.value.message
    assert build_index(index_settings, emb).unchanged == 5  # lock released


def test_progress_reports_embedding(index_settings) -> None:
    events: list[tuple[str, int, int]] = []
    summary = build_index(
        index_settings, CountingEmbeddings(), progress=lambda *e: events.append(e)
    )
    embeds = [e for e in events if e[0] == "embed"]
    assert embeds[0] == ("embed", 0, summary.chunks)
    assert embeds[-1] == ("embed", summary.chunks, summary.chunks)


def test_incomplete_active_generation_is_rebuilt_fully(index_settings) -> None:
    emb = CountingEmbeddings()
    first = build_index(index_settings, emb)
    Store.open(index_settings, create=False).client.delete_collection(first.generation)
    emb.embedded.clear()
    summary = build_index(index_settings, emb)
    assert summary.changed and summary.chunks_embedded == first.chunks == len(emb.embedded)
    assert verify_index(index_settings).ok


def test_overlap_not_smaller_than_chunk_size_is_a_config_error(index_settings) -> None:
    from newsdesk.errors import ConfigError

    bad = index_settings.model_copy(update={"chunk_size": 200, "chunk_overlap": 200})
    with pytest.raises(ConfigError, match="chunk_overlap"):
        build_index(bad, CountingEmbeddings())


def test_failing_embedder_leaves_the_previous_index_active(index_settings, corpus: Path) -> None:
    from index.build import BuildFailed

    class Broken(CountingEmbeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            raise RuntimeError("model exploded")

    emb = CountingEmbeddings()
    first = build_index(index_settings, emb)
    (corpus / "new.txt").write_text("New\n\nA new article.", "utf-8")
    broken = Broken()
    broken.stamp_model = "CountingEmbeddings:64"  # same stamp: an incremental build
    with pytest.raises(BuildFailed) as info:
        build_index(index_settings, broken)
    assert "model exploded" in info.value.message and "previous index is still active" in (
        info.value.message
    )
    assert index_status(index_settings).generation == first.generation
    report = verify_index(index_settings)
    assert report.ok and report.documents == 5  # the new article was never served
    summary = build_index(index_settings, emb)  # completes the interrupted update, then adds it
    assert summary.added == 1 and summary.chunks_embedded == 1
    assert Store.open(index_settings, create=False).generations() == [first.generation]
    assert summary.generation == first.generation and verify_index(index_settings).ok


def test_an_article_that_became_unreadable_keeps_its_indexed_version(
    index_settings, corpus: Path
) -> None:
    emb = CountingEmbeddings()
    first = build_index(index_settings, emb)
    original = open_reader(index_settings, emb).document(ARTICLE).text
    (corpus / f"{ARTICLE}.txt").write_bytes(b"\xff\xfe broken \x00 bytes")
    emb.embedded.clear()
    summary = build_index(index_settings, emb)
    assert summary.kept_ids == [ARTICLE] and summary.removed == 0
    assert not summary.changed and emb.embedded == []  # nothing else changed: no new generation
    assert any(ARTICLE in w and "binary" in w for w in summary.warnings)
    assert any("Kept the previously indexed version" in w for w in summary.warnings)
    (corpus / "another.txt").write_text("Another\n\nAnother article.", "utf-8")
    summary = build_index(index_settings, emb)
    assert summary.kept_ids == [ARTICLE] and summary.added == 1 and summary.changed
    reader = open_reader(index_settings, emb)
    assert reader.document(ARTICLE).text == original
    assert len(reader.documents()) == 6 and reader.generation == first.generation  # in place
    assert verify_index(index_settings).ok
    (corpus / f"{ARTICLE}.txt").unlink()  # now really gone: removed
    assert build_index(index_settings, emb).removed_ids == [ARTICLE]


def test_new_generation_searches_with_the_configured_hnsw_breadth(index_settings) -> None:
    settings = index_settings.model_copy(update={"hnsw_ef_search": 123})
    summary = build_index(settings, CountingEmbeddings())
    collection = Store.open(settings, create=False).chunks(summary.generation)
    hnsw = collection.configuration["hnsw"]
    assert hnsw["space"] == "cosine" and hnsw["ef_search"] == 123


def test_an_incremental_build_reads_only_the_changed_files(
    index_settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.changes as changes_mod
    import index.manifest as manifest_mod

    emb = CountingEmbeddings()
    build_index(index_settings, emb)
    read: list[str] = []
    real = manifest_mod.load_file

    def counting(path: Path, result: Any, *root: Path) -> Any:
        read.append(path.name)
        return real(path, result, *root)

    # a build that compares everything (index.manifest) and one planned from the catalog
    monkeypatch.setattr(manifest_mod, "load_file", counting)
    monkeypatch.setattr(changes_mod, "load_file", counting)
    path = corpus / f"{ARTICLE}.txt"
    path.write_text(path.read_text("utf-8") + "\nOne more sentence.\n", "utf-8")
    summary = build_index(index_settings, emb)
    assert read == [f"{ARTICLE}.txt"] and summary.updated_ids == [ARTICLE]
    read.clear()
    assert not build_index(index_settings, emb).changed and read == []
    # A new generation needs every text: the unread files are read then.
    forced = build_index(index_settings, emb, force=True)
    assert forced.chunks == summary.chunks and verify_index(index_settings).ok


def test_many_updates_merge_their_deltas_without_copying_the_generation(
    index_settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from index import update

    MAX_DELTAS = 3  # the shipped 8, lowered: the same merge after 4 builds instead of 9
    assert update.MAX_DELTAS > MAX_DELTAS
    monkeypatch.setattr(update, "MAX_DELTAS", MAX_DELTAS)
    emb = CountingEmbeddings()
    first = build_index(index_settings, emb)
    store = Store.open(index_settings, create=False)
    for n in range(MAX_DELTAS + 1):
        (corpus / f"late_{n}.txt").write_text(f"Late {n}\n\nLate report {n} on the zebra inquiry.", "utf-8")
        summary = build_index(index_settings, emb)
        assert summary.added_ids == [f"late_{n}"] and summary.generation == first.generation
    pointer = store.read_pointer()
    assert pointer is not None and len(pointer.deltas) == 2  # the merged one + the last update
    assert store.deltas_of(first.generation) == sorted(pointer.deltas)  # the old ones dropped
    reader = open_reader(index_settings, emb)
    found = {h.chunk.doc_id: h.chunk for h in reader.keyword_search({"zebra": 1.0}, 20)}
    assert set(found) == {f"late_{n}" for n in range(MAX_DELTAS + 1)}
    hits = reader.vector_search(found["late_3"].text, k=3)  # fake vectors: the same text
    assert hits[0].chunk.doc_id == "late_3"
    report = verify_index(index_settings)
    assert report.ok and report.superseded == 0, report.problems
