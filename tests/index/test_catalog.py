"""Builds planned from the catalog (index/catalog.py, index/changes.py): an in-place update that
neither lists every article nor reads every document record, with the same result as a build
that compares the whole corpus, and the cases it leaves to that comparison."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import index.build as build_mod
from index.build import build_index
from index.catalog import Catalog, catalog_path
from index.reader import open_reader, read_all
from index.store import Store
from index.verify import verify_index
from tests.index.fakes import CountingEmbeddings

ARTICLE = "002_bf7ea3b3e611832c"


def _full_comparisons(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the builds that compared the whole corpus (``index.manifest.load_changed``)."""
    calls: list[int] = []
    real = build_mod.load_changed

    def counting(*args: Any) -> Any:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(build_mod, "load_changed", counting)
    return calls


def _stored(settings: Any) -> dict[str, tuple[str, str]]:
    store = Store.open(settings, create=False)
    pointer = store.active_pointer()
    ids, _, metas = read_all(store.docs(pointer.generation), ["metadatas"])
    return {i: (str(m["content_hash"]), str(m["path"])) for i, m in zip(ids, metas, strict=True) if m}


def _catalog(settings: Any) -> dict[str, tuple[str, str]] | None:
    pointer = Store.open(settings, create=False).active_pointer()
    with Catalog.open(catalog_path(Path(settings.data_dir), "newsdesk")) as catalog:
        return catalog.doc_map(pointer)


def test_adding_changing_and_removing_articles_never_compares_the_whole_corpus(
    index_settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emb = CountingEmbeddings()
    first = build_index(index_settings, emb)
    full = _full_comparisons(monkeypatch)
    (corpus / "late.txt").write_text("Late report\n\nThe harbour reopened on Friday after repairs.", "utf-8")
    added = build_index(index_settings, emb)
    assert added.added_ids == ["late"] and added.unchanged == 5 and added.documents == 6
    (corpus / "late.txt").unlink()
    removed = build_index(index_settings, emb)
    assert removed.removed_ids == ["late"] and removed.documents == 5
    path = corpus / f"{ARTICLE}.txt"
    stat = path.stat()  # touched, same bytes: read once, then recorded
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert not build_index(index_settings, emb).changed
    path.write_text(path.read_text("utf-8") + "\nOne more sentence.\n", "utf-8")
    updated = build_index(index_settings, emb)
    assert updated.updated_ids == [ARTICLE] and updated.unchanged == 4
    assert full == []  # every build above was planned from the catalog
    assert updated.generation == first.generation  # in place
    assert _catalog(index_settings) == _stored(index_settings)  # the same map a full read gives
    assert verify_index(index_settings).ok


def test_the_whole_corpus_is_compared_when_the_catalog_cannot_decide(
    index_settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emb = CountingEmbeddings()
    build_index(index_settings, emb)
    full = _full_comparisons(monkeypatch)
    # an id also held by an unchanged file: the full comparison warns and keeps the first one
    row = {"id": ARTICLE, "title": "T", "text": "Copy."}
    (corpus / "zz.jsonl").write_text(json.dumps(row) + "\n", "utf-8")
    summary = build_index(index_settings, emb)
    assert len(full) == 1 and any("Duplicate document id" in w for w in summary.warnings)
    assert not summary.changed
    (corpus / "zz.jsonl").unlink()
    # a catalog that is gone (or describes another revision: a killed build, another host)
    catalog_path(Path(index_settings.data_dir), "newsdesk").unlink()
    (corpus / "late.txt").write_text("Late report\n\nThe harbour reopened on Friday after repairs.", "utf-8")
    assert build_index(index_settings, emb).added_ids == ["late"] and len(full) == 2
    assert _catalog(index_settings) == _stored(index_settings)
    (corpus / "later.txt").write_text("Later report\n\nThe ferry resumed its schedule.", "utf-8")
    assert build_index(index_settings, emb).added_ids == ["later"] and len(full) == 2  # planned again


def test_a_planned_update_groups_a_new_wire_copy_with_an_article_it_did_not_read(
    index_settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emb = CountingEmbeddings()
    build_index(index_settings, emb)
    full = _full_comparisons(monkeypatch)
    original = (corpus / f"{ARTICLE}.txt").read_text("utf-8")
    (corpus / "copy.txt").write_text(original, "utf-8")  # found by its LSH band in the catalog
    assert build_index(index_settings, emb).added_ids == ["copy"] and full == []
    reader = open_reader(index_settings, emb)
    assert reader.document("copy").duplicate_cluster == ARTICLE
    assert reader.document(ARTICLE).duplicate_cluster == ARTICLE
    (corpus / "copy.txt").unlink()
    assert build_index(index_settings, emb).removed_ids == ["copy"] and full == []


def test_named_files_are_checked_like_the_scan_lists_them(tmp_path: Path) -> None:
    from index.corpus_files import Refused, check_file, scan_corpus
    from index.loaders import SUFFIXES

    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / ".hidden").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    for path in (corpus / "a.txt", corpus / "sub" / "b.jsonl", corpus / ".hidden" / "c.txt", outside / "d.txt"):
        path.write_text("Title\n\nText.", "utf-8")
    (corpus / "notes.bin").write_text("x", "utf-8")
    (corpus / "link").symlink_to(outside, target_is_directory=True)
    (corpus / "e.txt").symlink_to(outside / "d.txt")
    os.mkfifo(corpus / "f.txt")
    listed = set(scan_corpus(corpus, SUFFIXES).files)
    assert listed == {corpus / "a.txt", corpus / "sub" / "b.jsonl"}
    names = ["a.txt", "sub/b.jsonl", ".hidden/c.txt", "notes.bin", "link/d.txt", "e.txt", "f.txt"]
    for name in [*names, "../outside/d.txt"]:
        try:
            path, info = check_file(corpus, corpus / name, SUFFIXES)
        except Refused:
            assert corpus / name not in listed, name
        else:
            assert path in listed and info is not None, name
    assert check_file(corpus, corpus / "gone.txt", SUFFIXES) == (corpus / "gone.txt", None)


def test_a_caller_that_names_the_changed_files_spares_the_folder_listing(
    index_settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.changes as changes_mod

    emb = CountingEmbeddings()
    build_index(index_settings, emb)
    full = _full_comparisons(monkeypatch)
    listings: list[int] = []
    real_scan = changes_mod.scan_corpus
    monkeypatch.setattr(changes_mod, "scan_corpus", lambda *a: listings.append(1) or real_scan(*a))
    late = corpus / "late.txt"
    late.write_text("Late report\n\nThe harbour reopened on Friday after repairs.", "utf-8")
    (corpus / "unnamed.txt").write_text("Unnamed\n\nA ferry left on time.", "utf-8")
    named = build_index(index_settings, emb, changed_files=[late])
    assert named.added_ids == ["late"] and listings == [] and full == []  # only the named file
    plain = build_index(index_settings, emb)  # a plain build still finds what was not named
    assert plain.added_ids == ["unnamed"] and listings == [1] and full == []
    late.unlink()
    assert build_index(index_settings, emb, changed_files=[late]).removed_ids == ["late"]
    # a named file the scan would not list: the whole corpus is compared
    hidden = corpus / ".draft.txt"
    hidden.write_text("Draft\n\nNot for the index.", "utf-8")
    assert not build_index(index_settings, emb, changed_files=[hidden]).changed and len(full) == 1
    assert _catalog(index_settings) == _stored(index_settings)
    assert verify_index(index_settings).ok


def test_merging_deltas_keeps_the_stored_count_without_counting_the_generation(
    index_settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from index import update

    monkeypatch.setattr(update, "MAX_DELTAS", 2)  # the shipped 8, lowered: a merge on the third update
    emb = CountingEmbeddings()
    first = build_index(index_settings, emb)
    late = corpus / "late.txt"
    late.write_text("Late\n\nFirst version of the zebra report.", "utf-8")
    build_index(index_settings, emb)
    late.write_text("Late\n\nSecond version of the zebra report.", "utf-8")  # the first is superseded
    build_index(index_settings, emb)
    store = Store.open(index_settings, create=False)
    before = store.active_pointer()
    assert len(before.deltas) == 2 and before.superseded == 1
    (corpus / "later.txt").write_text("Later\n\nThe ferry resumed its schedule.", "utf-8")
    merged = build_index(index_settings, emb)
    assert merged.generation == first.generation
    pointer = store.active_pointer()
    assert len(pointer.deltas) == 2 and pointer.superseded == 0  # the superseded record went with its delta
    stored = sum(store.collection(n).count() for n in pointer.chunk_collections)
    assert stored == pointer.chunks + pointer.superseded
    assert verify_index(index_settings).ok
