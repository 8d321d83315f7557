"""Bench helpers that need no model: pool vectors for the scale run, stage tables, /proc memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from bench.latency import add_latency, stage_rows
from bench.questions import SHIPPED_WARMUP, latency_plan, synthetic_plan
from bench.results import Section
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
    assert emb.stamp_model == "all-MiniLM-L6-v2" and emb.size == 16


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


def test_repeated_questions_are_reported_apart_from_first_time_ones() -> None:
    records = [
        {"kind": "question", "pass": 0, "retrieve": 10.0, "total": 200.0, "wall_ms": 201.0, "refused": False},
        {"kind": "question", "pass": 0, "retrieve": 12.0, "total": 300.0, "wall_ms": 301.0, "refused": False},
        {"kind": "question", "pass": 1, "retrieve": 1.0, "total": 5.0, "wall_ms": 6.0, "refused": False},
    ]
    rows = {r[0]: r for r in stage_rows(records)}
    assert rows["total"][1:3] == [2, 250.0]  # the cache hit is not in the percentiles
    assert rows["total, same question again (cache hit)"][1:3] == [1, 5.0]
    sec = Section("latency", "t", "now", [0.0, 0.0, 0.0], "cmd")
    add_latency(sec, {"records": records, "first_answer_ms": 1.0, "build_service_s": 1.0}, 300.0, 150.0, "x")
    assert sec.data["x"]["n"] == 2 and sec.data["x"]["p50_ms"] == 250.0
    shown = {row[0]: row for row in sec.tables[0]["rows"]}
    assert str(shown["total, same question again (cache hit)"][1]) == "1"  # the table keeps the repeat row


def test_latency_reports_selection_percentiles_apart() -> None:
    records = [
        {"kind": "question", "pass": 0, "select": s, "total": s + 50.0, "refused": False}
        for s in (100.0, 200.0, 300.0)
    ]
    sec = Section("latency", "t", "now", [0.0, 0.0, 0.0], "cmd")
    add_latency(sec, {"records": records, "first_answer_ms": 1.0, "build_service_s": 1.0}, 500.0, None, "x")
    assert sec.data["x"]["select_p50_ms"] == 200.0 and sec.data["x"]["select_p95_ms"] == 290.0
    assert any("select" in row[0] and row[1] == "200 / 290 ms" for row in sec.rows)


def test_latency_plans_ask_each_question_once_and_keep_warm_up_apart() -> None:
    plan = latency_plan()
    questions = plan["questions"]
    assert len(questions) == len(set(questions)) >= 60  # the bench list plus the eval set
    assert not set(SHIPPED_WARMUP) & set(questions)
    assert plan["followups"] and all(len(p) == 2 for p in plan["followups"])
    synth = synthetic_plan(500, seed=3, n_questions=20, n_followups=4)
    assert len(synth["warmup"]) == 3 and len(synth["questions"]) == 20 and len(synth["followups"]) == 4
    asked = synth["warmup"] + synth["questions"] + [p[0] for p in synth["followups"]]
    assert len(asked) == len(set(asked))


def test_chroma_server_serves_a_store_and_reports_its_memory(tmp_path: Path) -> None:
    import chromadb

    from bench.serving import chroma_server, proc_memory

    path = tmp_path / "chroma"
    client = chromadb.PersistentClient(path=str(path))
    client.create_collection("bench_probe").add(ids=["a"], embeddings=[[1.0, 0.0, 0.0]], documents=["x"])
    del client
    chromadb.api.client.SharedSystemClient.clear_system_cache()
    with chroma_server(path, tmp_path / "server.log") as (url, pid):
        mem = proc_memory(pid)
        host, port = url.removeprefix("http://").split(":")
        remote = chromadb.HttpClient(host=host, port=int(port))
        assert remote.get_collection("bench_probe").count() == 1
    assert mem["VmHWM"] >= mem["VmRSS"] > 10
    assert not Path(f"/proc/{pid}").exists()  # stopped and reaped


def test_chroma_server_refuses_a_folder_without_a_store(tmp_path: Path) -> None:
    from bench.serving import chroma_server

    with pytest.raises(FileNotFoundError, match="no Chroma store"):
        with chroma_server(tmp_path, tmp_path / "server.log"):
            pass


def test_hnsw_probe_measures_the_newest_generation_in_a_fresh_process(tmp_path: Path) -> None:
    import chromadb

    from bench.serving import hnsw_probe

    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"))
    rng = np.random.default_rng(1)
    big = client.create_collection("nd__g000002", configuration={"hnsw": {"space": "cosine"}})
    big.add(ids=[f"c{i}" for i in range(300)], embeddings=rng.normal(size=(300, 8)).tolist())
    client.create_collection("nd__g000001").add(ids=["old"], embeddings=[[1.0, 0.0]])
    client.create_collection("nd__meta").add(ids=["d"], embeddings=[[1.0, 0.0]])
    del client, big
    chromadb.api.client.SharedSystemClient.clear_system_cache()
    got = hnsw_probe(tmp_path)
    assert (got["served"], got["count"], got["dim"]) == ("nd__g000002", 300, 8)
    assert got["hnsw"]["space"] == "cosine"
    assert got["steps"]["30 queries"]["VmHWM"] >= got["steps"]["imports"]["VmRSS"] > 10


def test_serving_memory_is_read_before_the_workers_embedding_probe() -> None:
    from bench.latency import answered_memory, memory_rows

    new = {"memory_after_build_mib": {"VmRSS": 500.0}, "memory_answered_mib": {"VmHWM": 700.0}}
    new["memory_end_mib"] = {"VmHWM": 800.0, "VmRSS": 790.0}  # after the probe's second model load
    assert answered_memory(new)["VmHWM"] == 700.0
    assert dict((r[0], r[1]) for r in memory_rows(new))["peak RSS (VmHWM)"] == 700.0
    old = {"memory_end_mib": {"VmHWM": 800.0}}  # results of workers that did not record it
    assert answered_memory(old)["VmHWM"] == 800.0
