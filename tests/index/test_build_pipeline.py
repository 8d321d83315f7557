"""The build's throughput changes keep its guarantees.

Chunks are embedded longest first (batches of similar length) with ids, texts and metadata
still aligned to their vectors, and Chroma writes one batch while the next one embeds
(``index.writer.BackgroundUpserts``): a failing write fails the build with the typed error and
leaves the previous index serving, and nothing is still writing once ``build_index`` returns.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from chromadb.api.models.Collection import Collection

import index.writer as writer_mod
from index.build import BuildFailed, build_index, index_status
from index.loaders import load_corpus
from index.store import Store
from index.verify import verify_index
from newsdesk.errors import StoreUnavailable
from tests.index.fakes import CountingEmbeddings

CHUNKS_COLLECTION = re.compile(r"__g\d+$")  # a generation's chunks (not __docs, not __meta)


class BatchLog(CountingEmbeddings):
    """Records each embed_documents call's texts and can run a hook before embedding."""

    def __init__(self, before: Callable[[int], None] | None = None) -> None:
        super().__init__(size=64)
        self.stamp_model = "CountingEmbeddings:64"
        self.calls: list[list[str]] = []
        self.before = before

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.before is not None:
            self.before(len(self.calls) + 1)
        self.calls.append(list(texts))
        return super().embed_documents(texts)


def _patch_chunk_upserts(
    monkeypatch: pytest.MonkeyPatch, hook: Callable[[int, Collection], None]
) -> None:
    """Run ``hook(n, collection)`` before the n-th upsert into a generation's chunks."""
    real = Collection.upsert
    count = {"n": 0}

    def upsert(self: Collection, *args: Any, **kwargs: Any) -> Any:
        if CHUNKS_COLLECTION.search(self.name):
            count["n"] += 1
            hook(count["n"], self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "upsert", upsert)


def _no_writer_threads() -> bool:
    return not any(t.name.startswith("newsdesk-upsert") for t in threading.enumerate())


def test_chunks_are_embedded_longest_first_and_stored_aligned(index_settings) -> None:
    settings = index_settings.model_copy(update={"embedding_batch_size": 8})
    emb = BatchLog()
    summary = build_index(settings, emb)
    embedded = [t for call in emb.calls for t in call]
    lengths = [len(t) for t in embedded]
    assert lengths == sorted(lengths, reverse=True)
    assert len(embedded) == summary.chunks_embedded == summary.chunks
    assert [len(c) for c in emb.calls[:-1]] == [8] * (len(emb.calls) - 1)
    # Every stored record still has its own text, offsets and vector after the reordering.
    store = Store.open(settings, create=False)
    got = store.chunks(summary.generation or "").get(
        include=["documents", "metadatas", "embeddings"]
    )
    docs = {d.doc_id: d.text for d in load_corpus(Path(settings.corpus_dir)).documents}
    assert len(got["ids"]) == summary.chunks
    for cid, text, meta, vec in zip(
        got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
    ):
        assert cid == f"{meta['doc_id']}:{meta['position']}@{str(meta['doc_hash'])[:12]}"
        assert docs[str(meta["doc_id"])][int(meta["start"]) : int(meta["end"])] == text
        assert np.allclose(vec, emb._inner.embed_documents([text])[0], atol=1e-6)
    assert verify_index(settings).ok


def test_chroma_writes_a_batch_while_the_next_one_embeds(
    index_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first batch's upsert waits until the second batch is being embedded: an inline
    write would never see that (the wait times out and the test fails, it does not hang)."""
    monkeypatch.setattr(writer_mod, "UPSERT_GROUP", 1)  # one write per embedding batch
    settings = index_settings.model_copy(update={"embedding_batch_size": 8})
    second_embed_started = threading.Event()
    seen: dict[str, bool] = {}

    def before_embed(n: int) -> None:
        if n == 2:
            second_embed_started.set()

    def before_upsert(n: int, _col: Collection) -> None:
        if n == 1:
            seen["overlapped"] = second_embed_started.wait(timeout=20)
            seen["off_main_thread"] = threading.current_thread() is not threading.main_thread()

    _patch_chunk_upserts(monkeypatch, before_upsert)
    summary = build_index(settings, BatchLog(before_embed))
    assert seen == {"overlapped": True, "off_main_thread": True}
    assert summary.changed and verify_index(settings).ok
    assert _no_writer_threads()


def test_a_failing_chunk_write_fails_the_build_and_keeps_the_index(
    index_settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emb = CountingEmbeddings()
    first = build_index(index_settings, emb)

    def fail_second(n: int, _col: Collection) -> None:
        if n == 2:
            raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        _patch_chunk_upserts(patch, fail_second)
        patch.setattr(writer_mod, "UPSERT_GROUP", 1)
        small = index_settings.model_copy(update={"embedding_batch_size": 4})
        broken = BatchLog()
        with pytest.raises(BuildFailed) as info:
            build_index(small, broken, force=True)
    assert "RuntimeError: disk full" in info.value.message
    assert "previous index is still active" in info.value.message
    # The failure stopped the build within a batch or two, not after embedding everything.
    assert len(broken.calls) <= 4 < first.chunks // 4
    assert _no_writer_threads()
    assert index_status(index_settings).generation == first.generation
    assert verify_index(index_settings).ok
    again = build_index(index_settings, emb, force=True)  # cleans up the failed generation
    assert again.changed and again.chunks == first.chunks
    report = verify_index(index_settings)
    assert report.ok and report.leftovers == []


def test_an_embedder_failure_waits_for_the_write_in_flight(
    index_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedder fails while batch 1 is being written: the build raises only after that
    write ended, so no thread writes into the store after build_index returned."""
    monkeypatch.setattr(writer_mod, "UPSERT_GROUP", 1)
    settings = index_settings.model_copy(update={"embedding_batch_size": 8})
    writing = threading.Event()
    finished = threading.Event()

    def slow_first(n: int, _col: Collection) -> None:
        if n == 1:
            writing.set()
            threading.Event().wait(0.5)
            finished.set()

    def fail_second(n: int) -> None:
        if n == 2:
            assert writing.wait(timeout=20)
            raise RuntimeError("model exploded")

    _patch_chunk_upserts(monkeypatch, slow_first)
    with pytest.raises(BuildFailed, match="model exploded"):
        build_index(settings, BatchLog(fail_second))
    assert finished.is_set() and _no_writer_threads()
    with pytest.raises(Exception, match="No index"):
        index_status(settings)  # the first build failed: nothing became active


@pytest.mark.slow
@pytest.mark.integration
def test_a_lost_chroma_server_mid_build_is_store_unavailable(
    chroma_server: str, index_settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Against a real `chroma run`: a connection error in a background write is translated
    to StoreUnavailable exactly as an inline one was."""
    collection = f"pipe-{tmp_path.name[-12:]}".replace("_", "-").strip("-")
    settings = index_settings.model_copy(
        update={"chroma_url": chroma_server, "collection": collection, "embedding_batch_size": 8}
    )
    first = build_index(settings, CountingEmbeddings())

    def drop_connection(n: int, _col: Collection) -> None:
        if n == 2:
            raise httpx.ConnectError("All connection attempts failed")

    with monkeypatch.context() as patch:
        _patch_chunk_upserts(patch, drop_connection)
        patch.setattr(writer_mod, "UPSERT_GROUP", 1)
        with pytest.raises(StoreUnavailable) as info:
            build_index(settings, BatchLog(), force=True)
    assert chroma_server in info.value.message and "chroma run" in (info.value.hint or "")
    assert _no_writer_threads()
    assert index_status(settings).generation == first.generation
    again = build_index(settings, CountingEmbeddings(), force=True)
    assert again.changed and verify_index(settings).ok


@pytest.mark.parametrize("group", [16, 512])
def test_chunk_writes_gather_several_embedding_batches(
    index_settings, monkeypatch: pytest.MonkeyPatch, group: int
) -> None:
    monkeypatch.setattr(writer_mod, "UPSERT_GROUP", group)
    sizes: list[int] = []
    real = Collection.upsert

    def upsert(self: Collection, *args: Any, **kwargs: Any) -> Any:
        if CHUNKS_COLLECTION.search(self.name):
            sizes.append(len(kwargs["ids"]))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "upsert", upsert)
    settings = index_settings.model_copy(update={"embedding_batch_size": 8})
    summary = build_index(settings, CountingEmbeddings())
    n = summary.chunks_embedded
    last = n % 8 or 8
    assert n > 32 and sum(sizes) == n  # the shipped corpus: several groups of 16 chunks
    # Whatever is gathered is sent before the last batch embeds; the last batch goes alone.
    assert sizes[-1] == last
    if group == 16:
        assert all(s >= 16 for s in sizes[:-2]) and len(sizes) <= n // 16 + 2
    else:
        assert sizes == [n - last, last]
    assert verify_index(settings).ok


def test_progress_counts_up_to_every_embedded_chunk(index_settings) -> None:
    settings = index_settings.model_copy(update={"embedding_batch_size": 8})
    events: list[tuple[str, int, int]] = []
    summary = build_index(settings, CountingEmbeddings(), progress=lambda *e: events.append(e))
    done = [d for stage, d, _ in events if stage == "embed"]
    assert done[0] == 0 and done[-1] == summary.chunks_embedded
    assert done == sorted(done) and len(done) == len(set(done))
    assert {t for stage, _, t in events if stage == "embed"} == {summary.chunks_embedded}
