"""`newsdesk eval`: score the answering core on a question set, report, compare and gate."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import click

from newsdesk.app import EvalTarget, build_eval_target, judge_model
from newsdesk.errors import ConfigError, NewsdeskError
from newsdesk.settings import AnswererName, Settings

if TYPE_CHECKING:
    from rich.console import Console

    from evaluation.metrics import QuestionResult
    from evaluation.questions import QuestionSet
    from evaluation.run import EvalRun, Judge, RunInfo

log = logging.getLogger(__name__)

# option name -> metric it gates (minimums)
_MINIMUMS: dict[str, str] = {
    "min_accuracy": "accuracy",
    "min_citation_validity": "citation_validity",
    "min_refusal_recall": "refusal_recall",
    "min_refusal_precision": "refusal_precision",
    "min_hit_rate": "hit_at_k",
    "min_recall": "recall_at_k",
    "min_mrr": "mrr",
    "min_answer_support": "answer_support",
    "min_faithfulness": "faithfulness",
}


class GateFailed(NewsdeskError):
    """The run scored below a --min-* threshold (or above --max-p95-ms)."""


# Built in the composition root; named here so tests can swap them for fakes.
build_target = build_eval_target
build_chat_model = judge_model
__all__ = ["EvalTarget", "GateFailed", "build_chat_model", "build_target", "eval_command"]


def _ratio(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise click.BadParameter("must be a share between 0 and 1, e.g. 0.8")
    return value


def _gate_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(list(_MINIMUMS)):
        flag = "--" + option.replace("_", "-")
        func = click.option(
            flag,
            option,
            type=float,
            default=None,
            callback=_ratio,
            metavar="X",
            help=f"Exit non-zero if {_MINIMUMS[option]} < X (0-1).",
        )(func)
    return func


@click.command(
    "eval",
    epilog="""\b
Examples:
  newsdesk eval                                   # shipped set, configured answerer
  newsdesk eval --json results.json --report eval-report/
  newsdesk eval --compare results.json            # deltas and right->wrong questions
  newsdesk eval --min-accuracy 0.7 --min-citation-validity 1  # CI gate
  newsdesk eval --questions my-set.jsonl --answerer ollama --judge

\b
Question files are JSONL, one object a line:
  {"id": "q1", "question": "Who denied involvement?", "expected": ["Kata'ib Hezbollah"],
   "sources": ["001_c873e584d55569f3"], "answerable": true,
   "history": [{"question": "...", "answer": "..."}]}
An answer is correct when it contains an expected phrase (case, punctuation and
apostrophes ignored); unanswerable questions (answerable: false) should be refused.""",
)
@click.option(
    "--questions",
    "questions_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Question set (JSONL). Default: the shipped evaluation/questions.jsonl.",
)
@click.option(
    "--answerer",
    type=click.Choice(get_args(AnswererName)),
    default=None,
    help="Answerer to score (default: NEWSDESK_ANSWERER; extractive unless set).",
)
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write per-question results and the summary as JSON.",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write report.md, metrics.png and latency.png into this folder.",
)
@click.option(
    "--compare",
    "compare_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A previous --json file: show metric deltas and right->wrong questions.",
)
@click.option(
    "-k",
    "k",
    type=click.IntRange(1, 100),
    default=None,
    help="Retrieved chunks (or cited documents) scored by hit@k/recall@k/MRR (default: NEWSDESK_TOP_K).",
)
@click.option(
    "--judge",
    is_flag=True,
    help="Also score faithfulness with the configured LLM (labelled with its model).",
)
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the first N questions.")
@click.option("--show-all", is_flag=True, help="List every question, not only the failures.")
@click.option(
    "--warmup/--no-warmup",
    default=True,
    show_default=True,
    help="Ask the first question once, untimed, before measuring (start-up work excluded).",
)
@_gate_options
@click.option(
    "--max-p95-ms",
    type=float,
    default=None,
    metavar="MS",
    help="Exit non-zero if the p95 latency exceeds MS.",
)
@click.pass_obj
def eval_command(
    settings: Settings,
    questions_path: Path | None,
    answerer: str | None,
    json_out: Path | None,
    report_dir: Path | None,
    compare_path: Path | None,
    k: int | None,
    judge: bool,
    limit: int | None,
    show_all: bool,
    warmup: bool,
    max_p95_ms: float | None,
    **minimums: float | None,
) -> None:
    """Score answers, retrieval, citations and refusals on a question set."""
    from dataclasses import replace

    from rich.console import Console

    from evaluation.gate import check_gate, compare_runs
    from evaluation.questions import load_questions
    from evaluation.report import render_comparison, render_terminal, write_report
    from evaluation.run import RunInfo, load_run

    # validate every input before the slow part
    questions = load_questions(questions_path)
    if limit is not None and limit < len(questions):
        questions = replace(
            questions,
            name=f"{questions.name} (first {limit})",
            questions=questions.questions[:limit],
        )
    old = load_run(compare_path) if compare_path is not None else None
    if answerer is not None:
        settings = settings.model_copy(update={"answerer": answerer})
    if judge and settings.answerer == "extractive":
        build_chat_model(settings)  # raises a ConfigError saying what to do
    k = k or settings.top_k
    console = Console()
    if not console.is_terminal:  # piped or in CI: wide enough that answers stay readable
        console = Console(width=160)
    err_console = Console(stderr=True)
    with err_console.status("Loading the index and the answerer..."):
        target = build_target(settings, k)
    unknown = sorted({d for q in questions.questions for d in q.sources if target.lookup(d) is None})
    if unknown:
        err_console.print(
            f"[yellow]Warning: {len(unknown)} source id(s) of {questions.name} are not in the "
            f"index ({', '.join(unknown[:5])}{'…' if len(unknown) > 5 else ''}): their "
            "questions cannot score on retrieval. Is the index built from the right corpus?"
            "[/yellow]",
            soft_wrap=True,
        )
    the_judge: Judge | None = None
    if judge:
        if target.chat_model is None:
            raise ConfigError(
                "--judge needs an LLM answerer: the extractive answerer has no model to judge with",
                hint="use --answerer ollama or --answerer openai (or NEWSDESK_ANSWERER)",
            )
        from evaluation.judge import FaithfulnessJudge

        the_judge = FaithfulnessJudge(target.chat_model(), model=target.model or "unknown")
    info = RunInfo(
        set_name=questions.name,
        set_sha256=questions.sha256,
        set_path=str(questions.path),
        answerer=target.answerer,
        model=target.model,
        embedding_model=target.embedding_model,
        k=k,
        ranking="retriever" if target.ranker is not None else "citations",
    )
    run = _run_with_progress(target, questions, info, the_judge, err_console, warmup)
    render_terminal(run, console, show_all=show_all)
    comparison = compare_runs(old, run) if old is not None else None
    if comparison is not None:
        render_comparison(comparison, console)
    if json_out is not None:
        run.save(json_out)
        console.print(f"Results: {json_out}")
    if report_dir is not None:
        console.print(f"Report: {write_report(run, report_dir, comparison)}")
    gates = {_MINIMUMS[name]: v for name, v in minimums.items() if v is not None}
    maximums = {"latency_p95_ms": max_p95_ms} if max_p95_ms is not None else {}
    failures = check_gate(run.metrics, gates, maximums)
    if failures:
        raise GateFailed(
            "Eval gate failed: " + "; ".join(f.message() for f in failures),
            hint="see the questions that failed above; lower a threshold only on purpose",
        )
    if gates or maximums:
        console.print(f"[green]Gate passed ({len(gates) + len(maximums)} thresholds).[/green]")


def _run_with_progress(
    target: EvalTarget,
    questions: QuestionSet,
    info: RunInfo,
    judge: Judge | None,
    console: Console,
    warmup: bool,
) -> EvalRun:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from evaluation.run import run_eval

    with Progress(
        TextColumn("[bold]eval[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(questions.name, total=len(questions))

        def advance(result: QuestionResult) -> None:
            mark = "ok" if result.correct else "x"
            progress.update(task, advance=1, description=f"{questions.name} ({result.id}: {mark})")

        return run_eval(
            target.service,
            questions,
            target.lookup,
            info,
            ranker=target.ranker,
            judge=judge,
            on_result=advance,
            warmup=warmup,
        )
