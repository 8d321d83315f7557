"""The embeddings and cold-start benches' bookkeeping: rounds, ratios, agreement, verdicts, tables.

Nothing here is timed: clocks are scripted and encoders are small deterministic functions.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.coldstart import BOT_SCRIPT, QUESTION, _import_tables, commands, medians
from bench.embeddings_bench import Agreement, agreement, ratio_summary, time_round, verdict
from bench.results import Section


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_time_round_alternates_order_and_measures_each_backend() -> None:
    ticks = itertools.count()
    order: list[str] = []

    def backend(name: str, cost: int) -> Any:
        def encode(xs: list[str]) -> None:
            order.append(name)
            for _ in range(cost - 1):
                next(ticks)  # the scripted clock advances `cost` ticks during the call

        return encode

    backends = {"torch": backend("torch", 4), "onnx": backend("onnx", 2)}
    texts = ["a"] * 8
    first = time_round(backends, texts, clock=lambda: float(next(ticks)))
    second = time_round(backends, texts, reverse=True, clock=lambda: float(next(ticks)))
    assert order == ["torch", "onnx", "onnx", "torch"]
    assert first == {"torch": 2.0, "onnx": 4.0} == second  # 8 texts / ticks spent
    assert list(second) == ["torch", "onnx"]  # reported in the backends' order


def test_ratio_summary_is_per_round_with_median_and_worst() -> None:
    rounds = [
        {"torch": 10.0, "onnx": 15.0},
        {"torch": 5.0, "onnx": 4.0},
        {"torch": 20.0, "onnx": 30.0},
    ]
    s = ratio_summary(rounds)
    assert s["torch"]["ratios"] == [1.0, 1.0, 1.0]
    assert s["onnx"]["ratios"] == [1.5, 0.8, 1.5]
    assert s["onnx"]["median_ratio"] == 1.5 and s["onnx"]["worst_ratio"] == 0.8
    assert s["onnx"]["median_rate"] == 15.0


def test_agreement_is_perfect_for_the_same_vectors_and_drops_when_they_move() -> None:
    rng = np.random.default_rng(3)
    docs, queries = _unit(rng.normal(size=(30, 8))), _unit(rng.normal(size=(12, 8)))
    same = agreement(docs, queries, docs, queries, k=5)
    assert same == Agreement(
        cos_mean=pytest.approx(1.0), cos_min=pytest.approx(1.0), overlap=1.0, top1=1.0, identical=1.0
    )
    noisy = agreement(_unit(docs + rng.normal(scale=0.5, size=docs.shape)), queries, docs, queries, k=5)
    assert noisy.cos_min < 0.99 and noisy.overlap < 1.0 and noisy.identical < 1.0


def _speed(median: float, worst: float) -> dict[str, float]:
    return {"median_ratio": median, "worst_ratio": worst}


def test_verdict_needs_reliable_speed_and_the_same_retrieval() -> None:
    exact = [Agreement(1.0, 1.0, 1.0, 1.0, 1.0)] * 2
    assert verdict("onnx-fp32", _speed(1.5, 1.1), exact) == "onnx-fp32: adopt"
    assert "not reliably faster" in verdict("onnx-fp32", _speed(1.5, 0.96), exact)
    assert "not reliably faster" in verdict("onnx-fp32", _speed(1.2, 1.1), exact)
    moved = [exact[0], Agreement(0.99, 0.98, 0.9, 0.85, 0.3)]
    assert "retrieval changes" in verdict("onnx-int8", _speed(3.0, 2.5), moved)


def test_cold_start_commands_and_medians(tmp_path: Path) -> None:
    cmds = commands(tmp_path)
    assert cmds["ask"][-3:] == ["ask", "--json", QUESTION] and cmds["bot"][-1] == QUESTION
    assert "build_bot_deps" in BOT_SCRIPT and "os._exit" in BOT_SCRIPT
    compile(BOT_SCRIPT, "<bot>", "exec")
    records = [{"tree": "baseline", "path": "ask", "s": s} for s in (20.0, 12.0, 14.0)] + [
        {"tree": "current", "path": "ask", "s": s} for s in (11.0, 9.0)
    ]
    assert medians(records) == {("baseline", "ask"): 14.0, ("current", "ask"): 10.0}


def test_import_tables_compare_trees_and_flag_watched_packages() -> None:
    sec = Section(name="coldstart", title="t", when="now", load_avg=[], command="")
    profiles = {
        ("baseline", "ask"): ({"torch": 300.0, "langchain_huggingface": 50.0, "langsmith": 40.0}, 400.0),
        ("current", "ask"): ({"torch": 290.0, "langsmith": 40.0}, 340.0),
        ("baseline", "bot"): ({"torch": 300.0}, 300.0),
        ("current", "bot"): ({"torch": 280.0}, 280.0),
    }
    _import_tables(sec, profiles, ["baseline", "current"])
    ask = sec.tables[0]
    assert ask["headers"] == ["package", "baseline ms", "current ms", "current % of imports"]
    rows = {r[0]: r for r in ask["rows"]}
    assert rows["langchain_huggingface"][1:3] == ["50.0", "0.00"]  # gone from the current tree
    assert rows["**all imports**"][1:3] == ["400.0", "340.0"]
    watched = {r[0]: r[1] for r in sec.rows}
    assert "langchain_huggingface" in watched["`ask`: watched packages not imported"]
    assert "langsmith" not in watched["`ask`: watched packages not imported"]
