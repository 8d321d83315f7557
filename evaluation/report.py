"""Showing a run: rich tables in the terminal, a Markdown report with PNG charts on disk."""

from __future__ import annotations

import logging
from pathlib import Path

from rich.console import Console
from rich.table import Table

from evaluation.gate import Comparison
from evaluation.metrics import METRICS, QuestionResult, format_value, verdict
from evaluation.run import EvalRun

log = logging.getLogger(__name__)

# Order of the metrics in tables and charts.
QUALITY = [
    "accuracy",
    "overall_correct",
    "hit_at_k",
    "recall_at_k",
    "mrr",
    "citation_validity",
    "citation_source_precision",
    "answer_support",
    "refusal_precision",
    "refusal_recall",
    "false_refusal_rate",
    "faithfulness",
]
OTHER = [
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_mean_ms",
    "answer_chars_mean",
    "answer_words_mean",
    "citations_per_answer",
    "questions",
    "answerable",
    "unanswerable",
    "errors",
]


def _label(name: str, run: EvalRun) -> str:
    label = METRICS[name][0].replace("@k", f"@{run.info.k}")
    if name == "faithfulness" and run.info.judge_model:
        label += f" (judge: {run.info.judge_model})"
    return label


def _shown(run: EvalRun) -> list[str]:
    names = QUALITY + OTHER
    if run.metrics.get("faithfulness") is None:
        names = [n for n in names if n != "faithfulness"]
    return names


def _title(run: EvalRun) -> str:
    i = run.info
    model = f", model {i.model}" if i.model else ""
    return f"newsdesk eval: {i.set_name} (sha256 {i.set_sha256[:12]}), answerer {i.answerer}{model}, {i.date}"


def failures(run: EvalRun) -> list[QuestionResult]:
    return [r for r in run.results if not r.correct or r.invalid_citations]


def render_terminal(run: EvalRun, console: Console, *, show_all: bool = False) -> None:
    console.print(f"[bold]{_title(run)}[/bold]", soft_wrap=True)
    table = Table()
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name in _shown(run):
        table.add_row(_label(name, run), format_value(name, run.metrics.get(name)))
    console.print(table)
    rows = run.results if show_all else failures(run)
    if not rows:
        console.print("[green]Every question passed.[/green]")
        return
    per_q = Table(title="All questions" if show_all else "Questions that failed", title_justify="left")
    per_q.add_column("id", no_wrap=True)
    per_q.add_column("outcome")
    per_q.add_column("answer", overflow="fold", max_width=70)
    per_q.add_column("ms", justify="right")
    for r in rows:
        outcome = verdict(r)
        style = "green" if outcome == "ok" else "red"
        answer = "(refused) " + r.answer if r.refused else r.answer
        per_q.add_row(r.id, f"[{style}]{outcome}[/{style}]", _short(answer, 160), f"{r.latency_ms:.0f}")
    console.print(per_q)


def render_comparison(cmp: Comparison, console: Console) -> None:
    table = Table(title="Compared with the previous run", title_justify="left")
    table.add_column("metric")
    table.add_column("old", justify="right")
    table.add_column("new", justify="right")
    table.add_column("delta", justify="right")
    for d in cmp.deltas:
        delta = d.delta
        style = {"better": "green", "worse": "red", "same": "dim"}[d.verdict]
        shown = "n/a" if delta is None else _signed(d.metric, delta)
        table.add_row(
            METRICS[d.metric][0],
            format_value(d.metric, d.old),
            format_value(d.metric, d.new),
            f"[{style}]{shown}[/{style}]",
        )
    console.print(table)
    if not cmp.same_set:
        console.print("[yellow]The question sets differ (sha256): deltas compare different sets.[/yellow]")
    console.print(f"Right -> wrong ({len(cmp.right_to_wrong)}): {', '.join(cmp.right_to_wrong) or 'none'}")
    console.print(f"Wrong -> right ({len(cmp.wrong_to_right)}): {', '.join(cmp.wrong_to_right) or 'none'}")
    if cmp.only_old or cmp.only_new:
        console.print(
            f"Only in the old run: {', '.join(cmp.only_old) or 'none'}; "
            f"only in the new run: {', '.join(cmp.only_new) or 'none'}"
        )


def _signed(name: str, delta: float) -> str:
    kind = METRICS[name][1]
    if kind == "rate":
        return f"{delta * 100:+.1f} pts"
    if kind == "ms":
        return f"{delta:+.0f} ms"
    return f"{delta:+.1f}"


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_report(run: EvalRun, out_dir: Path, comparison: Comparison | None = None) -> Path:
    """Write ``report.md``, ``metrics.png`` and ``latency.png`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics_png = out_dir / "metrics.png"
    latency_png = out_dir / "latency.png"
    plot_metrics(run, metrics_png)
    plot_latency(run, latency_png)
    i = run.info
    lines = [
        "# newsdesk eval report",
        "",
        f"- Date: {i.date}",
        f"- Question set: `{i.set_name}` ({len(run.results)} questions), sha256 `{i.set_sha256}`",
        f"- Answerer: `{i.answerer}`" + (f", model `{i.model}`" if i.model else ""),
        f"- Embedding model: `{i.embedding_model or 'n/a'}`",
        f"- Retrieval metrics at k={i.k}, ranking from: {i.ranking}",
    ]
    if i.judge_model:
        lines.append(f"- Faithfulness judged by: `{i.judge_model}`")
    lines += ["", "## Metrics", "", "| metric | value |", "| --- | ---: |"]
    for name in _shown(run):
        lines.append(f"| {_label(name, run)} | {format_value(name, run.metrics.get(name))} |")
    lines += ["", "![metrics](metrics.png)", "", "![latency](latency.png)", ""]
    if comparison is not None:
        lines += [
            "## Compared with the previous run",
            "",
            "| metric | old | new | delta |",
            "| --- | ---: | ---: | ---: |",
        ]
        for d in comparison.deltas:
            delta = "n/a" if d.delta is None else _signed(d.metric, d.delta)
            lines.append(
                f"| {METRICS[d.metric][0]} | {format_value(d.metric, d.old)} | "
                f"{format_value(d.metric, d.new)} | {delta} ({d.verdict}) |"
            )
        lines += [
            "",
            f"Right -> wrong: {', '.join(comparison.right_to_wrong) or 'none'}",
            "",
            f"Wrong -> right: {', '.join(comparison.wrong_to_right) or 'none'}",
            "",
        ]
    lines += [
        "## Questions",
        "",
        "| id | outcome | question | answer | cited | ms |",
        "| --- | --- | --- | --- | --- | ---: |",
    ]
    for r in run.results:
        answer = ("(refused) " if r.refused else "") + r.answer
        cited = ", ".join(sorted({c["doc_id"] for c in r.citations}))
        lines.append(
            f"| {r.id} | {_md_cell(verdict(r))} | {_md_cell(r.question)} | "
            f"{_md_cell(_short(answer, 300))} | {_md_cell(cited)} | {r.latency_ms:.0f} |"
        )
    path = out_dir / "report.md"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def _pyplot():  # noqa: ANN202 - matplotlib has loose types
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    return plt


def plot_metrics(run: EvalRun, path: Path) -> None:
    """Horizontal bars of every 0..1 metric, labelled with their values."""
    plt = _pyplot()
    names = [n for n in _shown(run) if METRICS[n][1] == "rate" and run.metrics.get(n) is not None]
    values = [float(run.metrics[n] or 0.0) for n in names]
    labels = [_label(n, run) for n in names]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(names) + 1.6), dpi=110)
    try:
        colors = ["#2e7d32" if v >= 0.8 else "#f9a825" if v >= 0.5 else "#c62828" for v in values]
        if "false_refusal_rate" in names:  # lower is better: colour it the other way round
            j = names.index("false_refusal_rate")
            v = values[j]
            colors[j] = "#2e7d32" if v <= 0.1 else "#f9a825" if v <= 0.3 else "#c62828"
            labels[j] += " (lower is better)"
        if "citation_validity" in names:  # anything under 100% is a bug
            j = names.index("citation_validity")
            colors[j] = "#2e7d32" if values[j] >= 1.0 - 1e-9 else "#c62828"
        bars = ax.barh(range(len(names)), values, color=colors)
        ax.set_yticks(range(len(names)), labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 1.12)
        ax.set_xlabel("share (0-1)")
        for bar, v in zip(bars, values, strict=True):
            ax.text(
                bar.get_width() + 0.01,
                bar.get_y() + bar.get_height() / 2,
                f"{v * 100:.1f}%",
                va="center",
                fontsize=9,
            )
        ax.set_title(f"{run.info.set_name}: answerer {run.info.answerer} ({run.info.date[:10]})")
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)


def plot_latency(run: EvalRun, path: Path) -> None:
    """Histogram of per-question latency with p50 and p95 marked."""
    plt = _pyplot()
    latencies = [r.latency_ms for r in run.results if r.error is None]
    fig, ax = plt.subplots(figsize=(9, 4), dpi=110)
    try:
        if latencies:
            ax.hist(latencies, bins=min(30, max(5, len(latencies) // 2)), color="#1565c0", alpha=0.85)
            for name, style in (("latency_p50_ms", "--"), ("latency_p95_ms", ":")):
                value = run.metrics.get(name)
                if value is not None:
                    ax.axvline(
                        value,
                        color="#c62828",
                        linestyle=style,
                        label=f"{name[8:11]} {format_value(name, value)}",
                    )
            ax.legend()
        else:
            ax.text(0.5, 0.5, "no successful answers", ha="center", va="center", transform=ax.transAxes)
        ax.set_xlabel("latency per question (ms)")
        ax.set_ylabel("questions")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_title(f"Latency: {len(latencies)} questions, answerer {run.info.answerer}")
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)
