"""Warm answer latency per stage, and peak memory, of a fresh serving process (bench.worker)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.context import REPO, SHIPPED_CORPUS, RunContext
from bench.questions import latency_plan
from bench.results import Section, percentile

log = logging.getLogger(__name__)

STAGES = ("rewrite", "retrieve", "select", "compose", "total", "wall_ms")
P50_TARGET, P95_TARGET = 150.0, 300.0
SERVED = "served default (1 torch thread)"
COMPARED = "torch's default thread count (2 here), for comparison"


def run_worker(
    data_dir: Path,
    corpus_dir: Path,
    *,
    plan: dict[str, Any] | None = None,
    repeats: int = 3,
    build_only: bool = False,
    timeout: float = 3600,
    torch_threads: int = 0,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run bench.worker in a fresh interpreter and return its JSON result.

    The worker sees no ``NEWSDESK_*`` variable of the caller's environment, only those in ``env``
    (e.g. ``NEWSDESK_CHROMA_URL`` to serve from a Chroma server).
    """
    cmd = [
        sys.executable,
        "-m",
        "bench.worker",
        "--data-dir",
        str(data_dir),
        "--corpus-dir",
        str(corpus_dir),
        "--repeats",
        str(repeats),
    ]
    if build_only:
        cmd.append("--build-only")
    if torch_threads:
        cmd += ["--torch-threads", str(torch_threads)]
    if plan is not None:
        plan_path = data_dir.parent / f"{data_dir.name}-questions.json"
        plan_path.parent.mkdir(parents=True, exist_ok=True)
        plan_path.write_text(json.dumps(plan), encoding="utf-8")
        cmd += ["--questions", str(plan_path)]
    child_env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    child_env = {k: v for k, v in child_env.items() if not k.startswith("NEWSDESK_")} | (env or {})
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=child_env, cwd=REPO, check=False
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("BENCH-RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("BENCH-RESULT "))
            return result
    raise RuntimeError(f"bench.worker failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")


def shipped_plan() -> dict[str, Any]:
    return latency_plan()


def ensure_shipped_index(ctx: RunContext) -> Path:
    """Build (incrementally; a no-op when current) the shipped corpus' index for the bench."""
    data_dir = ctx.work_dir / "data-shipped"
    run_worker(data_dir, SHIPPED_CORPUS, build_only=True)
    return data_dir


def first_pass(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answers to questions asked for the first time (later passes hit the caches)."""
    return [r for r in records if int(r.get("pass", 0)) == 0]


def stage_rows(records: list[dict[str, Any]]) -> list[list[Any]]:
    """Per-stage latency of first-time questions, plus one row for repeated ones if any."""
    rows = []
    repeated = [float(r["total"]) for r in records if int(r.get("pass", 0)) > 0]
    records = first_pass(records)
    for stage in STAGES:
        for kind in ("all", "followup") if stage == "rewrite" else ("all",):
            vals = [float(r[stage]) for r in records if stage in r and (kind == "all" or r["kind"] == kind)]
            if not vals:
                continue
            label = stage if kind == "all" else "rewrite (follow-ups only)"
            label = "total, client wall clock" if stage == "wall_ms" else label
            rows.append(
                [
                    label,
                    len(vals),
                    percentile(vals, 50),
                    percentile(vals, 95),
                    max(vals),
                    sum(vals) / len(vals),
                ]
            )
    if repeated:
        rows.append(
            [
                "total, same question again (cache hit)",
                len(repeated),
                percentile(repeated, 50),
                percentile(repeated, 95),
                max(repeated),
                sum(repeated) / len(repeated),
            ]
        )
    return rows


def add_latency(
    sec: Section, result: dict[str, Any], p95_target: float | None, p50_target: float | None, label: str
) -> None:
    """Latency rows and table; no target (None) for comparison runs of a non-default setup."""
    records = first_pass(result["records"])
    totals = [float(r["total"]) for r in records]
    p50, p95 = percentile(totals, 50), percentile(totals, 95)
    if p50_target is not None:
        sec.metric(f"{label}: total p50", f"{p50:.0f} ms", f"<= {p50_target:.0f} ms", p50 <= p50_target)
    if p95_target is not None:
        shown = f"{p95:.0f} ms" if p50_target is not None else f"{p95:.0f} ms (p50 {p50:.0f} ms)"
        sec.metric(f"{label}: total p95", shown, f"<= {p95_target:.0f} ms", p95 <= p95_target)
    else:
        sec.metric(f"{label}: total p50 / p95", f"{p50:.0f} / {p95:.0f} ms")
    selects = [float(r["select"]) for r in records if "select" in r]
    sel50, sel95 = percentile(selects, 50), percentile(selects, 95)
    if selects:
        sec.metric(f"{label}: select (sentence selection) p50 / p95", f"{sel50:.0f} / {sel95:.0f} ms")
    sec.table(
        f"{label}: per-stage latency in ms ({len(records)} distinct questions, warm process, "
        "default extractive answerer)",
        ["stage", "n", "p50", "p95", "max", "mean"],
        stage_rows(result["records"]),
    )
    sec.data[label] = {
        "p50_ms": p50,
        "p95_ms": p95,
        "select_p50_ms": sel50,
        "select_p95_ms": sel95,
        "n": len(records),
        "first_answer_ms": result["first_answer_ms"],
        "build_service_s": result["build_service_s"],
        "refused": sum(1 for r in records if r["refused"]),
    }


def run_shipped(ctx: RunContext, repeats: int = 2) -> dict[str, Any]:
    data_dir = ensure_shipped_index(ctx)
    sec = ctx.section("latency", "Answer latency on the shipped corpus (5 articles)")
    # The served default first (NEWSDESK_SERVE_TORCH_THREADS=1), then torch's own default.
    result = run_worker(data_dir, SHIPPED_CORPUS, plan=shipped_plan(), repeats=repeats, torch_threads=1)
    add_latency(sec, result, P95_TARGET, P50_TARGET, SERVED)
    sec.metric("first answer after build_service (cold caches)", f"{result['first_answer_ms']:.0f} ms")
    sec.metric("build_service (model load + open index)", f"{result['build_service_s']:.1f} s")
    other = run_worker(data_dir, SHIPPED_CORPUS, plan=shipped_plan(), repeats=repeats)
    add_latency(sec, other, None, None, COMPARED)
    probe = other.get("embed_query_ms", {})  # probed in the process that kept torch's default
    sec.table(
        "One query embedding (`embed_query`), p50 ms, by torch thread count",
        ["threads", "p50 ms"],
        [[k, v] for k, v in probe.items()],
    )
    sec.data["embed_query_ms"] = probe
    plan = shipped_plan()
    sec.notes.append(
        f"{len(plan['questions'])} distinct questions (the bench's list in `bench/questions.py` and "
        f"the eval set's, some the articles cannot answer) and {len(plan['followups'])} follow-ups "
        "with a one-turn history, each measured the first time it is asked, in a fresh "
        "`python -m bench.worker` process after 3 unmeasured warm-up questions. A second pass "
        "asks them again: those answers hit the query and sentence caches and are shown in their "
        "own row, not in the percentiles. Stage times are the service's own `Answer.timings_ms`; "
        "`total` includes question cleaning and citation checks; the wall clock row is measured "
        "around `answer()` by the caller. The first run is what `ask`, `chat` and the bot do "
        "(`NEWSDESK_SERVE_TORCH_THREADS=1`: `torch.set_num_threads(1)` after start-up); the "
        "second, for comparison, keeps torch's default thread count (one per core)."
    )
    ctx.save(sec)
    return sec.data


def answered_memory(result: dict[str, Any]) -> dict[str, float]:
    """Memory once the last question is answered, before the worker's embedding probe (which loads
    a second copy of the model: not serving); results of older workers have only the end."""
    mem: dict[str, float] = result.get("memory_answered_mib") or result["memory_end_mib"]
    return mem


def memory_rows(result: dict[str, Any]) -> list[list[Any]]:
    built, end = result["memory_after_build_mib"], answered_memory(result)
    return [
        ["RSS after build_service", built.get("VmRSS", float("nan"))],
        ["RSS after the answers", end.get("VmRSS", float("nan"))],
        ["peak RSS (VmHWM)", end.get("VmHWM", float("nan"))],
        # ru_maxrss is not reset by exec on Linux: in a child of the bench driver it reports the
        # driver's peak (1.1 GiB with a model loaded), so it is shown only where /proc is absent.
        *([["ru_maxrss", end["ru_maxrss"]]] if "VmHWM" not in end and "ru_maxrss" in end else []),
    ]


def run_memory(ctx: RunContext) -> dict[str, Any]:
    data_dir = ensure_shipped_index(ctx)
    sec = ctx.section("memory", "Memory of the serving process")
    result = run_worker(data_dir, SHIPPED_CORPUS, plan=shipped_plan(), repeats=1)
    sec.table("shipped corpus (5 articles): MiB", ["measure", "MiB"], memory_rows(result))
    peak = answered_memory(result).get("VmHWM", float("nan"))
    sec.metric("shipped corpus: peak RSS", f"{peak:.0f} MiB")
    sec.data["shipped"] = answered_memory(result) | {"after_build": result["memory_after_build_mib"]}
    sec.notes.append(
        "Measured in a fresh `python -m bench.worker` process that does what the bot process "
        "does: `build_service(settings)` then answers (all shipped questions and follow-ups). "
        "The bot adds discord.py (~20-30 MiB) on top. The 100k-chunk figure is in the scale "
        "section (`python -m bench scale`)."
    )
    ctx.save(sec)
    return sec.data
