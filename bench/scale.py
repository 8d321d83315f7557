"""The 100k-chunk scale run: latency, HNSW recall vs exact search, and memory on a big store.

Embedding 100k real chunks takes ~40 min on 2 cores, so this run does NOT embed every chunk. It
embeds a pool of a few thousand distinct chunks for real (cached), then fills the store through
the index's own ``build_index`` with ``PoolEmbeddings``: a chunk in the pool gets its real vector,
every other chunk a deterministic mix of two pool vectors plus small Gaussian noise, renormalised.
Texts, metadata, BM25 and the store layout are all real; queries are embedded by the real model.
"""

from __future__ import annotations

import hashlib
import logging
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from bench.context import RunContext
from bench.indexing import _exact_chunks, write_sized_corpus
from bench.latency import COMPARED, SERVED, add_latency, answered_memory, memory_rows, run_worker
from bench.questions import shipped_questions, synthetic_plan
from bench.results import percentile

log = logging.getLogger(__name__)

P95_TARGET_100K = 500.0
NOISE_SIGMA = 0.02  # per dimension; with 384 dims the noise vector has norm ~0.4
MIX_WEIGHT = 0.35


class PoolEmbeddings(Embeddings):
    """Documents get pool-derived vectors (see module docstring); queries the real model."""

    def __init__(self, real: Embeddings, pool_texts: list[str], pool_vecs: np.ndarray, stamp_name: str) -> None:
        self.real = real
        self.pool = pool_vecs.astype(np.float32)
        self.index = {t: i for i, t in enumerate(pool_texts)}
        self.stamp_model = stamp_name  # same stamp as the real embedder: readers accept it
        self.size = int(pool_vecs.shape[1])

    def vector(self, text: str) -> list[float]:
        i = self.index.get(text)
        if i is not None:
            return [float(x) for x in self.pool[i]]
        h = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")
        rng = np.random.default_rng(h)
        a, b = rng.integers(0, len(self.pool), size=2)
        v = self.pool[a] + MIX_WEIGHT * self.pool[b] + rng.normal(0, NOISE_SIGMA, self.size)
        return [float(x) for x in v / np.linalg.norm(v)]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.real.embed_query(text)


def pool_vectors(ctx: RunContext, real: Embeddings, texts: list[str]) -> np.ndarray:
    """Real embeddings of the pool texts, cached by content."""
    key = hashlib.sha256("\n\x00".join(texts).encode("utf-8")).hexdigest()[:16]
    path = ctx.work_dir / f"pool-{len(texts)}-{key}.npy"
    if path.exists():
        return np.load(path)
    t0 = time.perf_counter()
    vecs = np.asarray(real.embed_documents(texts), dtype=np.float32)
    log.info("embedded pool of %d chunks in %.0f s", len(texts), time.perf_counter() - t0)
    np.save(path, vecs)
    return vecs


def _all_vectors(col: Any) -> tuple[list[str], np.ndarray]:
    ids: list[str] = []
    vecs: list[np.ndarray] = []
    total, page = col.count(), 5000
    for offset in range(0, total, page):
        got = col.get(limit=page, offset=offset, include=["embeddings"])
        ids += got["ids"]
        vecs.append(np.asarray(got["embeddings"], dtype=np.float32))
    return ids, np.concatenate(vecs)


def _open_collection(settings: Any) -> tuple[Any, Any]:
    """A fresh client (HNSW config changes apply on reopen) and the active chunks collection."""
    from chromadb.api.client import SharedSystemClient

    from index.store import Store

    SharedSystemClient.clear_system_cache()
    store = Store.open(settings, create=False)
    pointer = store.read_pointer()
    assert pointer is not None, "no active index"
    return store, store.chunks(pointer.generation)


def recall_check(
    settings: Any, queries: np.ndarray, k: int = 10, ef_values: tuple[int, ...] = (100, 200, 400, 800)
) -> list[list[Any]]:
    """Recall@k of Chroma's HNSW against exact (brute-force) cosine search, per ef_search."""
    _store, col = _open_collection(settings)
    ids, mat = _all_vectors(col)
    sims = queries @ mat.T
    exact = np.argsort(-sims, axis=1)[:, :k]
    exact_sum = np.take_along_axis(sims, exact, axis=1).sum(axis=1)
    exact_ids = [[ids[j] for j in row] for row in exact]
    original = (col.configuration_json or {}).get("hnsw", {}) if hasattr(col, "configuration_json") else {}
    rows = []
    for ef in ef_values:
        _store, col = _open_collection(settings)
        col.modify(configuration={"hnsw": {"ef_search": ef}})
        _store, col = _open_collection(settings)
        col.query(query_embeddings=queries[:1].tolist(), n_results=k, include=["distances"])
        times, recalls, top1, score_ratio = [], [], [], []
        for n, (q, truth) in enumerate(zip(queries, exact_ids, strict=True)):
            t0 = time.perf_counter()
            got = col.query(query_embeddings=[q.tolist()], n_results=k, include=["distances"])
            times.append((time.perf_counter() - t0) * 1000)
            found = got["ids"][0]
            recalls.append(len(set(found) & set(truth)) / k)
            top1.append(found[:1] == truth[:1])
            got_sims = 1.0 - np.asarray(got["distances"][0], dtype=np.float64)
            score_ratio.append(float(got_sims.sum() / exact_sum[n]))
        rows.append(
            [
                ef,
                float(np.mean(recalls)),
                float(np.mean(top1)),
                float(np.mean(score_ratio)),
                percentile(times, 50),
                percentile(times, 95),
            ]
        )
    _store, col = _open_collection(settings)
    col.modify(configuration={"hnsw": {"ef_search": int(original.get("ef_search", 100))}})
    return rows


@dataclass
class ScaleStore:
    """A pool-embedded store of ``n_chunks`` chunks under the bench work dir, ready to serve."""

    label: str
    settings: Any
    corpus: Path
    n_articles: int
    texts: list[str]
    pool_texts: list[str]
    real: Embeddings
    fake: PoolEmbeddings
    fill_s: float | None  # None when an existing store was reused


def scale_label(n_chunks: int) -> str:
    return f"{n_chunks // 1000}k" if n_chunks >= 1000 else str(n_chunks)


def ensure_store(ctx: RunContext, n_chunks: int, pool: int, rebuild: bool = False) -> ScaleStore:
    """Write the corpus and fill the store through ``build_index`` (reused when it is current).

    An existing store is reused when its pointer counts every chunk and has the current layout;
    otherwise (or with ``rebuild``) it is deleted and filled again. A reused store still goes
    through ``build_index``, which completes anything a killed run left.
    """
    from index.build import build_index
    from index.embeddings import load_embeddings, model_name
    from index.store import Store

    label = scale_label(n_chunks)
    corpus = ctx.work_dir / f"corpus-scale-{label}"
    n_articles, _ = write_sized_corpus(ctx, corpus, None, target_chunks=n_chunks)
    settings = ctx.settings(f"scale-{label}", corpus)
    real = load_embeddings(settings)
    texts = _exact_chunks(settings, corpus)
    pool_texts = list(dict.fromkeys(texts))[:pool]
    fake = PoolEmbeddings(real, pool_texts, pool_vectors(ctx, real, pool_texts), model_name(settings))
    have = False
    if not rebuild:
        try:
            pointer = Store.open(settings, create=False).read_pointer()
            have = pointer is not None and pointer.chunks == len(texts) and pointer.layout >= 2
        except Exception:  # noqa: BLE001 - any unreadable store is simply rebuilt
            have = False
    fill_s: float | None = None
    if not have:
        shutil.rmtree(settings.data_dir, ignore_errors=True)
        summary = build_index(settings, fake, corpus_dir=corpus)
        fill_s = summary.seconds
        log.info("filled %s store: %d chunks in %.0f s", label, summary.chunks_embedded, fill_s)
    else:
        build_index(settings, fake, corpus_dir=corpus)
    return ScaleStore(label, settings, corpus, n_articles, texts, pool_texts, real, fake, fill_s)


def run(
    ctx: RunContext,
    n_chunks: int = 100_000,
    pool: int = 3000,
    repeats: int = 2,
    rebuild: bool = False,
    latency_only: bool = False,
) -> dict[str, Any]:
    st = ensure_store(ctx, n_chunks, pool, rebuild)
    label, settings, corpus, n_articles = st.label, st.settings, st.corpus, st.n_articles
    texts, pool_texts, real = st.texts, st.pool_texts, st.real
    sec = (
        ctx.section(f"scale-latency-{label}", f"Answer latency at {label} chunks (pool-embedded store)")
        if latency_only  # its own section: a quick latency run keeps the full run's recall table
        else ctx.section("scale", f"Scale: {label} chunks (pool-embedded store)")
    )
    if st.fill_s is not None:
        sec.metric(
            "store fill through build_index (pool vectors, no model)",
            f"{st.fill_s:.0f} s ({len(texts) / st.fill_s:.0f} chunks/s)",
        )
        sec.data["fill_s"] = st.fill_s
    sec.data.update({"articles": n_articles, "chunks": len(texts), "pool": len(pool_texts)})

    plan = synthetic_plan(n_articles, ctx.seed)
    questions: list[str] = plan["questions"]
    result = run_worker(settings.data_dir, corpus, plan=plan, repeats=repeats, torch_threads=1)
    add_latency(sec, result, P95_TARGET_100K, None, f"{label} chunks, {SERVED}")
    sec.metric(f"{label}: first answer after build_service", f"{result['first_answer_ms']:.0f} ms")
    sec.metric(f"{label}: build_service", f"{result['build_service_s']:.1f} s")
    sec.table(
        f"{label} chunks: memory of the serving process, MiB",
        ["measure", "MiB"],
        memory_rows(result),
    )
    sec.data["memory_mib"] = answered_memory(result)
    if latency_only:
        sec.notes.append(
            "`--latency-only` run: the 2-thread comparison and the HNSW recall check were skipped."
        )
        ctx.save(sec)
        return sec.data
    other = run_worker(settings.data_dir, corpus, plan=plan, repeats=repeats)
    add_latency(sec, other, None, None, f"{label} chunks, {COMPARED}")

    qv = np.asarray(real.embed_documents(questions + shipped_questions()), dtype=np.float32)
    rows = recall_check(settings, qv)
    sec.table(
        f"HNSW (Chroma, cosine, M=16, ef_construction=100) vs exact search over all "
        f"{len(texts)} stored vectors, {len(qv)} real query embeddings",
        ["ef_search", "recall@10", "top-1 same", "similarity kept", "query p50 ms", "query p95 ms"],
        rows,
    )
    sec.data["recall"] = rows
    sec.notes.append(
        f"**How this store was filled.** {n_articles} synthetic articles ({len(texts)} chunks, "
        "seeded `bench/corpus.py`) were loaded, cleaned and chunked by the index's own code and "
        "written by `build_index`, but only a pool of "
        f"{len(pool_texts)} distinct chunks was embedded by the real model. Pool chunks keep "
        "their real vectors; every other chunk gets `normalise(pool[a] + "
        f"{MIX_WEIGHT}*pool[b] + N(0, {NOISE_SIGMA}^2 I))` with a, b and the noise seeded by a "
        "hash of its text. Vectors therefore follow the real model's distribution (clusters, "
        "near-duplicates), which is what HNSW recall and query time depend on, while a chunk's "
        "vector is not the embedding of its own text: answer *quality* at this scale is not "
        "measured here, only speed, memory and search fidelity. Queries use the real model."
    )
    sec.notes.append(
        "Chroma's default `ef_search` is 100. `collection.modify(configuration={'hnsw': "
        "{'ef_search': N}})` applies after the client is reopened; the bench restores it. "
        "'similarity kept' = sum of the cosine similarities HNSW returned / sum of the exact "
        "top-10 similarities: close to 1.0 means the missed neighbours are near-ties (this store "
        "has many near-duplicate vectors by construction, which makes recall by id strict)."
    )
    if math.isnan(rows[0][1]):
        sec.notes.append("Recall could not be computed.")
    ctx.save(sec)
    return sec.data
