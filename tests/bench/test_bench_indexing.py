"""The indexing bench's interleaved measurement, run end to end with a fake model on a few
chunks (numbers are not checked, only that each ratio uses the raw encodes around its build)."""

from __future__ import annotations

import json
import statistics
from typing import Any

import numpy as np
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from bench.context import RunContext
from bench.indexing import round_ratios, run, sentence_transformer


class FakeModel:
    """SentenceTransformer.encode's signature; records the size of every call."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def encode(self, texts: list[str], batch_size: int = 32, **_: Any) -> np.ndarray:
        self.calls.append(len(texts))
        return np.ones((len(texts), 16), dtype=np.float32) / 4.0


class FakeEmbeddings(DeterministicFakeEmbedding):
    """The build's embedder: deterministic vectors, the fake model as ``sentence_transformer``."""

    sentence_transformer: Any = None
    stamp_model: str = "fake-bench-model"


def test_round_ratios_use_the_raw_encodes_around_each_build() -> None:
    assert round_ratios([10.0, 30.0, 20.0], [18.0, 25.0]) == [0.9, 1.0]
    with pytest.raises(ValueError, match="one more raw encode"):
        round_ratios([10.0, 20.0], [18.0, 25.0])


def test_sentence_transformer_is_the_embedders_client() -> None:
    emb = FakeEmbeddings(size=16)
    emb.sentence_transformer = FakeModel()
    assert sentence_transformer(emb) is emb.sentence_transformer
    with pytest.raises(RuntimeError, match="no SentenceTransformer"):
        sentence_transformer(DeterministicFakeEmbedding(size=16))


def test_interleaved_run_writes_ratios_and_no_change_numbers(bench_ctx: RunContext) -> None:
    model = FakeModel()
    emb = FakeEmbeddings(size=16)
    emb.sentence_transformer = model
    data = run(bench_ctx, ["1k"], profile=True, rounds=2, embeddings=emb, target_chunks=60)["1k"]

    chunks = data["chunks"]
    assert 30 <= chunks <= 120
    # warm-up, then raw, build, raw, build, raw: three full raw encodes of the build's chunks
    assert model.calls[1:] == [chunks] * 3
    assert len(data["raw_chunks_per_s"]) == 3 and len(data["builds"]) == 2
    rates = [b["chunks_per_s"] for b in data["builds"]]
    assert data["ratios"] == pytest.approx(round_ratios(data["raw_chunks_per_s"], rates))
    assert data["ratio"] == pytest.approx(statistics.median(data["ratios"]))
    assert all(0.0 < b["embed_share"] < 1.0 for b in data["builds"])
    assert len(data["noop_s"]) == 3
    assert data["noop_fraction"] == pytest.approx(statistics.median(data["noop_s"]) / data["build_s"])
    # Each build went into its own fresh store.
    assert sorted(p.name for p in bench_ctx.work_dir.glob("data-index-1k-*")) == [
        "data-index-1k-profile",
        "data-index-1k-r0",
        "data-index-1k-r1",
    ]

    saved = json.loads(bench_ctx.results_json.read_text("utf-8"))["sections"]["indexing"]
    assert saved["rows"][0][0] == "1k: pipeline / raw encode (median of 2 interleaved rounds)"
    assert saved["rows"][0][1] == f"{data['ratio']:.1%}"
    md = bench_ctx.results_md.read_text("utf-8")
    assert "## Indexing throughput and no-change rebuild" in md
    rounds_table = md.split("**1k: interleaved rounds", 1)[1].split("\n\n", 2)[1].splitlines()
    assert len(rounds_table) == 2 + 2  # header, separator, one row per build
    assert "where a forced build spends its time" in md


def test_fewer_than_two_rounds_is_refused(bench_ctx: RunContext) -> None:
    with pytest.raises(ValueError, match="at least 2"):
        run(bench_ctx, ["1k"], rounds=1, embeddings=FakeEmbeddings(size=16))
