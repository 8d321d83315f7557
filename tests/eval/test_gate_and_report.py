"""The gate, comparisons between runs, and the terminal / Markdown / PNG reports."""

from __future__ import annotations

import copy
from pathlib import Path

from rich.console import Console

from evaluation.gate import check_gate, compare_runs
from evaluation.questions import QuestionSet
from evaluation.report import render_comparison, render_terminal, write_report
from evaluation.run import EvalRun, RunInfo, run_eval
from tests.eval.fakes import FakeService, Scripted, cite, lookup


def _run(small_set: QuestionSet, service: FakeService) -> EvalRun:
    info = RunInfo(
        set_name=small_set.name,
        set_sha256=small_set.sha256,
        set_path=str(small_set.path),
        answerer="fake",
        k=5,
    )
    return run_eval(service, small_set, lookup, info)


def test_gate_passes_and_fails_with_named_metrics() -> None:
    metrics = {
        "accuracy": 0.8,
        "citation_validity": 1.0,
        "refusal_recall": None,
        "latency_p95_ms": 120.0,
    }
    assert check_gate(metrics, {"accuracy": 0.8, "citation_validity": 1.0}) == []
    failures = check_gate(metrics, {"accuracy": 0.81, "refusal_recall": 0.5}, {"latency_p95_ms": 100.0})
    assert [f.metric for f in failures] == ["accuracy", "refusal_recall", "latency_p95_ms"]
    assert "Answer accuracy (answerable) (accuracy) = 0.800, below the minimum 0.810" == (failures[0].message())
    assert "n/a" in failures[1].message() and "above the maximum" in failures[2].message()


def test_compare_finds_flips_and_deltas(small_set: QuestionSet, fake_service: FakeService) -> None:
    old = _run(small_set, fake_service)
    script = copy.copy(fake_service.script)
    # guards now wrong, camp now right
    script["How many guards were injured?"] = Scripted("Nobody knows.", refused=True)
    script["How long did protesters camp?"] = Scripted(
        "For almost a month [1].", (cite(1, "gamma", "almost a month"),)
    )
    new = _run(small_set, FakeService(script))
    cmp = compare_runs(old, new)
    assert cmp.right_to_wrong == ["guards"] and cmp.wrong_to_right == ["camp"]
    assert cmp.same_set and not cmp.only_old and not cmp.only_new
    by_name = {d.metric: d for d in cmp.deltas}
    assert by_name["accuracy"].delta == 0.0 and by_name["accuracy"].verdict == "same"
    assert by_name["false_refusal_rate"].verdict == "worse"  # lower is better
    assert by_name["citation_validity"].verdict == "better"  # the shifted citation is gone
    console = Console(record=True, width=140)
    render_comparison(cmp, console)
    text = console.export_text()
    assert "Right -> wrong (1): guards" in text and "Wrong -> right (1): camp" in text
    assert "+" in text  # signed deltas


def test_terminal_table_lists_metrics_and_failures(small_set: QuestionSet, fake_service: FakeService) -> None:
    run = _run(small_set, fake_service)
    console = Console(record=True, width=160)
    render_terminal(run, console)
    text = console.export_text()
    assert "Answer accuracy (answerable)" in text and "75.0%" in text
    assert "Retrieval hit@5" in text and "Latency p95" in text
    assert "Questions that failed" in text
    assert "camp" in text and "arrests" in text and "answered instead of refusing" in text
    assert "│ guards" not in text.split("Questions that failed")[1]  # passed questions hidden


def test_report_writes_markdown_and_legible_pngs(
    small_set: QuestionSet, fake_service: FakeService, tmp_path: Path
) -> None:
    run = _run(small_set, fake_service)
    cmp = compare_runs(run, run)
    path = write_report(run, tmp_path / "report", cmp)
    md = path.read_text("utf-8")
    assert "![metrics](metrics.png)" in md and "![latency](latency.png)" in md
    assert small_set.sha256 in md and "| Answer accuracy (answerable) | 75.0% |" in md
    assert "| camp | answer lacks every expected phrase |" in md
    assert "Right -> wrong: none" in md
    for name in ("metrics.png", "latency.png"):
        data = (tmp_path / "report" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
