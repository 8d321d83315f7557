"""Near-duplicates (wire copy) are found at index time and stored with each document."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from index.build import build_index
from index.duplicates import duplicate_clusters
from index.loaders import load_corpus, make_document
from index.reader import open_reader
from newsdesk.settings import Settings
from tests.index.fakes import CountingEmbeddings

WIRE = (
    "A drone struck a grain warehouse at the northern port of Velmora before dawn on Thursday, "
    "setting part of the building on fire, port officials said.\n"
    "Firefighters needed four hours to bring the blaze under control. Two night-shift workers were "
    "treated for smoke inhalation and later released, according to the port authority.\n"
    "The authority said the warehouse held about 12,000 tonnes of wheat awaiting export. It was not "
    "yet clear how much of the grain had been damaged.\n"
    "No group has claimed responsibility for the attack. The regional governor called it a deliberate "
    "attempt to disrupt shipping and said an investigation had begun."
)
OTHER = (
    "Lawmakers approved next year's budget early on Saturday after a session that lasted more than "
    "fourteen hours. The bill passed by 88 votes to 71. Opposition members walked out before the vote."
)


def wire_rows() -> list[dict[str, str]]:
    paras = WIRE.split("\n")
    return [
        {
            "id": "ledger",
            "title": "Port hit",
            "text": WIRE,
            "source": "Harbor Ledger",
            "published": "2024-03-14",
        },
        {
            "id": "courier",
            "title": "Drone hits Velmora port",
            "text": "Valley Courier wire desk\n" + "\n".join(paras[:3]) + "\nFollow us for more news.",
            "source": "Valley Courier",
            "published": "2024-03-14",
        },
        {
            "id": "metro",
            "title": "Warehouse fire after drone strike",
            "text": WIRE + "\nLocal officials said they were following the situation.",
            "source": "Metro Wire",
            "published": "2024-03-15",
        },
        {"id": "budget", "title": "Budget passes", "text": OTHER, "source": "Capital Post"},
    ]


def test_the_shipped_reports_of_one_event_are_not_duplicates(shipped_corpus: Path) -> None:
    docs = load_corpus(shipped_corpus).documents
    assert len(docs) == 5
    assert duplicate_clusters(docs) == {}


def test_wire_copies_cluster_and_other_articles_do_not() -> None:
    docs = [make_document(r["id"], r["title"], r["text"]) for r in wire_rows()]
    assert duplicate_clusters(docs) == {"ledger": "courier", "courier": "courier", "metro": "courier"}


def test_the_cluster_is_stored_with_each_document(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "wire.jsonl").write_text("".join(json.dumps(r) + "\n" for r in wire_rows()), "utf-8")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus)
    embeddings = CountingEmbeddings()
    build_index(settings, embeddings)
    reader = open_reader(settings, embeddings)
    clusters = {d.doc_id: d.duplicate_cluster for d in reader.documents()}
    assert clusters == {"budget": None, "courier": "courier", "ledger": "courier", "metro": "courier"}
    # a new copy joins the cluster in the next (incremental) build
    rows = wire_rows() + [{"id": "post", "title": "Port", "text": WIRE, "source": "Post"}]
    (corpus / "wire.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    summary = build_index(settings, embeddings)
    assert summary.added == 1 and summary.unchanged == 4
    reader.refresh()
    assert reader.document("post").duplicate_cluster == "courier"


def test_signatures_are_cached_by_text_and_a_bad_cache_is_recomputed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datasketch

    from index.catalog import Catalog

    docs = [make_document(r["id"], r["title"], r["text"]) for r in wire_rows()]
    path = tmp_path / "catalog.sqlite3"
    expected = duplicate_clusters(docs)
    with Catalog.open(path) as cache:
        assert duplicate_clusters(docs, cache=cache) == expected and path.exists()
    hashed: list[int] = []
    real = datasketch.MinHash.update_batch
    monkeypatch.setattr(datasketch.MinHash, "update_batch", lambda self, b: hashed.append(1) or real(self, b))
    with Catalog.open(path) as cache:
        assert duplicate_clusters(docs, cache=cache) == expected
    assert hashed == []  # every text came from the cache
    path.write_bytes(b"not a database file" * 100)
    with Catalog.open(path) as cache:
        assert duplicate_clusters(docs, cache=cache) == expected
    assert len(hashed) == len(docs)  # recomputed, and the cache rewritten
    with Catalog.open(path) as cache:
        assert duplicate_clusters(docs, cache=cache) == expected and len(hashed) == len(docs)


def _write(corpus: Path, row: dict[str, str]) -> None:
    (corpus / f"{row['id']}.jsonl").write_text(json.dumps(row) + "\n", "utf-8")


def _clusters(reader: object) -> dict[str, str | None]:
    from index.reader import IndexReader

    assert isinstance(reader, IndexReader)
    reader.refresh()
    return {d.doc_id: d.duplicate_cluster for d in reader.documents()}


def test_an_incremental_build_groups_a_new_copy_with_articles_it_did_not_read(tmp_path: Path) -> None:
    """One file per article: an in-place update reads only the new file, yet the new wire copy
    is compared with every indexed article, and the article it copies gets the group too."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    ledger, courier, metro, budget = wire_rows()
    for row in (ledger, budget):
        _write(corpus, row)
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus)
    embeddings = CountingEmbeddings()
    first = build_index(settings, embeddings)
    reader = open_reader(settings, embeddings)
    assert _clusters(reader) == {"budget": None, "ledger": None}

    _write(corpus, metro)  # a copy of ledger, in a file of its own
    summary = build_index(settings, embeddings)
    assert summary.added == 1 and summary.unchanged == 2
    assert summary.generation == first.generation  # an in-place update, not a rebuild
    assert _clusters(reader) == {"budget": None, "ledger": "ledger", "metro": "ledger"}
    assert [d.doc_id for d in reader.cluster("ledger")] == ["ledger", "metro"]

    # a copy whose id sorts first renames the group: the unchanged members' records follow
    _write(corpus, courier)
    build_index(settings, embeddings)
    assert _clusters(reader) == {"budget": None, "courier": "courier", "ledger": "courier", "metro": "courier"}

    # the MinHash values kept with the index are a cache: without them the stored texts are used
    with closing(sqlite3.connect(tmp_path / "data" / "catalog-newsdesk.sqlite3")) as conn, conn:
        assert conn.execute("DELETE FROM sigs").rowcount == 4
        conn.execute("DELETE FROM bands")
    (corpus / "courier.jsonl").unlink()  # and a removal can leave a group
    summary = build_index(settings, embeddings)
    assert summary.removed == 1 and summary.generation == first.generation
    assert _clusters(reader) == {"budget": None, "ledger": "ledger", "metro": "ledger"}
    (corpus / "metro.jsonl").unlink()
    build_index(settings, embeddings)
    assert _clusters(reader) == {"budget": None, "ledger": None}


def test_an_edit_that_ends_a_copy_dissolves_its_group_on_every_record(tmp_path: Path) -> None:
    """Rewriting the only copy of an article ends their group: neither record keeps the old
    group (Chroma's upsert merges metadata, so a dropped key must be written as None)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    ledger, _, metro, budget = wire_rows()
    for row in (ledger, metro, budget):
        _write(corpus, row)
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus)
    embeddings = CountingEmbeddings()
    first = build_index(settings, embeddings)
    reader = open_reader(settings, embeddings)
    assert _clusters(reader) == {"budget": None, "ledger": "ledger", "metro": "ledger"}
    rewritten = "The council voted on Monday to rename the library after a poet. The vote was unanimous."
    _write(corpus, {**metro, "text": rewritten})
    summary = build_index(settings, embeddings)
    assert summary.updated == 1 and summary.generation == first.generation  # in place
    assert _clusters(reader) == {"budget": None, "ledger": None, "metro": None}
    assert reader.cluster("ledger") == []


def test_comparing_every_pair_finds_the_groups_lsh_finds() -> None:
    """``components``/``near`` (used by in-place updates) agree with the LSH grouping of a full build."""
    from index.duplicates import components, near, signatures

    docs = [make_document(r["id"], r["title"], r["text"]) for r in wire_rows()]
    values = signatures(docs)
    assert components([d.doc_id for d in docs], values) == duplicate_clusters(docs)
    assert near(values, ["metro", "budget"]) == {"metro": {"ledger", "courier"}, "budget": set()}
