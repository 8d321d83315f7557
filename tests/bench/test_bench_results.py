"""Result files: sections merge, markdown renders, percentiles are right."""

from __future__ import annotations

import json
import math

from bench.context import RunContext
from bench.results import Section, percentile, render_markdown, save_section


def test_percentile() -> None:
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 95) == 5.0
    assert percentile(list(map(float, range(101))), 95) == 95.0
    assert math.isnan(percentile([], 50))


def test_sections_merge_and_render(bench_ctx: RunContext) -> None:
    a = bench_ctx.section("latency", "Answer latency")
    a.metric("total p95", "120 ms", "<= 300 ms", True)
    a.table("per stage", ["stage", "p50"], [["retrieve", 12.345]])
    bench_ctx.save(a)
    b = bench_ctx.section("indexing", "Indexing")
    b.metric("ratio", "80%", ">= 90%", False)
    b.notes.append("a note")
    bench_ctx.save(b)
    data = json.loads(bench_ctx.results_json.read_text())
    assert set(data["sections"]) == {"latency", "indexing"}
    assert data["machine"]["cores"] >= 1
    md = bench_ctx.results_md.read_text()
    # Fixed order: indexing before latency, whatever ran first.
    assert md.index("## Indexing") < md.index("## Answer latency")
    assert "| total p95 | 120 ms | <= 300 ms | met |" in md
    assert "**missed**" in md
    assert "| retrieve | 12.3 |" in md
    assert "Reproduce: `python -m bench x`" in md
    assert "a note" in md
    # Re-running one benchmark replaces its section only.
    c = bench_ctx.section("latency", "Answer latency")
    c.metric("total p95", "99 ms")
    bench_ctx.save(c)
    md = bench_ctx.results_md.read_text()
    assert "99 ms" in md and "120 ms" not in md and "## Indexing" in md


def test_render_without_machine() -> None:
    md = render_markdown({"sections": {}})
    assert md.startswith("# newsdesk benchmark results")


def test_save_section_creates_folder(tmp_path) -> None:  # noqa: ANN001
    sec = Section(name="x", title="X", when="now", load_avg=[1.0, 2.0, 3.0], command="c")
    save_section(tmp_path / "d" / "r.json", tmp_path / "d" / "r.md", sec, {"cores": 2})
    assert (
        "load average at start (1/5/15 min) 1.0, 2.0, 3.0" in (tmp_path / "d" / "r.md").read_text()
    )


def test_findings_file_is_shown_above_the_numbers(bench_ctx: RunContext) -> None:
    bench_ctx.results_md.parent.mkdir(parents=True, exist_ok=True)
    (bench_ctx.results_md.parent / "findings.md").write_text("## Findings\n\n1. fast enough\n")
    sec = bench_ctx.section("latency", "Answer latency")
    bench_ctx.save(sec)
    md = bench_ctx.results_md.read_text()
    assert md.index("1. fast enough") < md.index("## Answer latency")
