"""Bench helpers that need no model: pool vectors for the scale run, stage tables, /proc memory."""

from __future__ import annotations

import numpy as np
from langchain_core.embeddings import DeterministicFakeEmbedding

from bench.latency import stage_rows
from bench.scale import PoolEmbeddings
from bench.worker import proc_status


def _pool() -> PoolEmbeddings:
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(5, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    texts = [f"pool text {i}" for i in range(5)]
    return PoolEmbeddings(DeterministicFakeEmbedding(size=16), texts, vecs, "all-MiniLM-L6-v2")


def test_pool_members_keep_their_real_vector() -> None:
    emb = _pool()
    got = emb.embed_documents(["pool text 3"])[0]
    assert np.allclose(got, emb.pool[3])


def test_other_texts_get_deterministic_unit_vectors_near_the_pool() -> None:
    emb = _pool()
    a = np.array(emb.embed_documents(["some chunk"])[0])
    b = np.array(_pool().embed_documents(["some chunk"])[0])
    c = np.array(emb.embed_documents(["another chunk"])[0])
    assert np.allclose(a, b)  # same text, same vector, across instances
    assert not np.allclose(a, c)
    assert abs(np.linalg.norm(a) - 1.0) < 1e-5
    assert float(np.max(emb.pool @ a)) > 0.8  # dominated by one pool vector


def test_queries_use_the_real_embedder_and_stamp_name_is_kept() -> None:
    emb = _pool()
    assert emb.embed_query("q") == DeterministicFakeEmbedding(size=16).embed_query("q")
    assert emb._newsdesk_model == "all-MiniLM-L6-v2" and emb.size == 16


def test_stage_rows() -> None:
    records = [
        {"kind": "question", "rewrite": 0.0, "retrieve": 10.0, "total": 20.0, "wall_ms": 21.0},
        {"kind": "followup", "rewrite": 4.0, "retrieve": 30.0, "total": 40.0, "wall_ms": 41.0},
    ]
    rows = {r[0]: r for r in stage_rows(records)}
    assert rows["retrieve"][1:4] == [2, 20.0, 29.0]
    assert rows["rewrite (follow-ups only)"][1:3] == [1, 4.0]
    assert rows["total, client wall clock"][4] == 41.0


def test_proc_status_reports_positive_memory() -> None:
    mem = proc_status()
    assert mem["ru_maxrss"] > 0
    if "VmHWM" in mem:
        assert mem["VmHWM"] >= mem["VmRSS"] > 0


def test_timed_embeddings_passes_through_and_adds_up_time() -> None:
    from bench.indexing import TimedEmbeddings

    inner = DeterministicFakeEmbedding(size=8)
    timed = TimedEmbeddings(inner)
    got = timed.embed_documents(["a", "b"])
    assert got == inner.embed_documents(["a", "b"])
    assert timed.embed_query("q") == inner.embed_query("q")
    assert timed.seconds > 0.0
    before = timed.seconds
    timed.embed_query("not counted")
    assert timed.seconds == before  # only document embedding is the build's model time
