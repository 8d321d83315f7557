"""Run a question set through an ``AnswerService`` and keep everything measured.

The runner knows only the ``AnswerService`` protocol: the CLI passes the real core, tests a
fake. Documents are looked up independently (via the index reader) to check citations.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from answering.models import Answer, AnswerService
from evaluation.metrics import QuestionResult, TextLookup, score_question, summarize
from evaluation.questions import Question, QuestionSet
from newsdesk.errors import (
    ConfigError,
    EmbedderMismatch,
    IndexCorrupt,
    IndexMissing,
    ModelUnavailable,
    NewsdeskError,
    StoreUnavailable,
)

log = logging.getLogger(__name__)

RESULTS_FORMAT = 1
# Errors that make every later question fail too: stop at once.
_FATAL = (IndexMissing, IndexCorrupt, EmbedderMismatch, ConfigError)
# Errors that may be transient: stop after this many in a row.
_OUTAGE = (ModelUnavailable, StoreUnavailable)
MAX_CONSECUTIVE_OUTAGES = 3

# (question, answer) -> retrieved document ids, best first (None: fall back to citations)
Ranker = Callable[[Question, Answer], "list[str] | None"]


class Judge(Protocol):
    """Scores how well an answer's sentences are supported by its cited excerpts."""

    model: str

    def judge(self, result: QuestionResult) -> tuple[float | None, list[str]]:
        """(share of supported sentences or None if nothing to judge, unsupported sentences)."""
        ...


@dataclass(slots=True)
class RunInfo:
    """What was evaluated: stored with the results so runs can be compared."""

    set_name: str
    set_sha256: str
    set_path: str
    answerer: str
    model: str | None = None  # the LLM, for LLM answerers
    embedding_model: str | None = None
    k: int = 5
    ranking: str = "citations"  # where retrieval metrics come from: "citations" or "retriever"
    judge_model: str | None = None
    date: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


@dataclass(slots=True)
class EvalRun:
    info: RunInfo
    results: list[QuestionResult]
    metrics: dict[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        info = self.info
        return {
            "format": RESULTS_FORMAT,
            "summary": {
                "date": info.date,
                "set": {
                    "name": info.set_name,
                    "sha256": info.set_sha256,
                    "path": info.set_path,
                    "questions": len(self.results),
                },
                "answerer": info.answerer,
                "model": info.model,
                "embedding_model": info.embedding_model,
                "k": info.k,
                "ranking": info.ranking,
                "judge_model": info.judge_model,
                "metrics": dict(self.metrics),
            },
            "results": [r.to_dict() for r in self.results],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvalRun:
        s = data["summary"]
        info = RunInfo(
            set_name=s["set"]["name"],
            set_sha256=s["set"]["sha256"],
            set_path=s["set"].get("path", ""),
            answerer=s["answerer"],
            model=s.get("model"),
            embedding_model=s.get("embedding_model"),
            k=int(s.get("k", 5)),
            ranking=s.get("ranking", "citations"),
            judge_model=s.get("judge_model"),
            date=s["date"],
        )
        results = [QuestionResult.from_dict(r) for r in data["results"]]
        return cls(info=info, results=results, metrics=dict(s["metrics"]))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n", "utf-8")
        tmp.replace(path)


def load_run(path: Path) -> EvalRun:
    """Read a ``--json`` results file (for ``--compare``)."""
    try:
        data = json.loads(path.read_text("utf-8"))
        return EvalRun.from_dict(data)
    except FileNotFoundError as exc:
        raise NewsdeskError(
            f"No results file at {path}", hint="write one with `newsdesk eval --json FILE`"
        ) from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise NewsdeskError(
            f"{path} is not a `newsdesk eval --json` results file ({exc})",
            hint="pass a file written by `newsdesk eval --json FILE`",
        ) from exc


def run_eval(
    service: AnswerService,
    questions: QuestionSet,
    lookup: TextLookup,
    info: RunInfo,
    *,
    ranker: Ranker | None = None,
    judge: Judge | None = None,
    on_result: Callable[[QuestionResult], None] | None = None,
    warmup: bool = False,
) -> EvalRun:
    """Ask every question (with its history) and score the answers.

    ``warmup`` first asks the first question once, untimed and unscored, so latency measures
    a running service rather than one-off start-up work (keyword index, caches).
    """
    if warmup and questions.questions:
        first = questions.questions[0]
        try:
            service.answer(first.question, first.history)
        except _FATAL:
            raise
        except Exception as exc:  # noqa: BLE001 - the timed run reports it properly
            log.debug("warm-up question failed: %s", exc)
    results: list[QuestionResult] = []
    outages = 0
    for q in questions.questions:
        result = _ask_one(service, q, lookup, info.k, ranker)
        if result.error is not None and result.error.startswith(tuple(e.__name__ for e in _OUTAGE)):
            outages += 1
            if outages >= MAX_CONSECUTIVE_OUTAGES:
                raise NewsdeskError(
                    f"Stopped the eval after {outages} failures in a row: {result.error}",
                    hint="check the LLM / Chroma server settings, or use --answerer extractive",
                )
        else:
            outages = 0
        if judge is not None and result.error is None and not result.refused and result.citations:
            result.faithfulness, result.unsupported_sentences = judge.judge(result)
        results.append(result)
        if on_result is not None:
            on_result(result)
    if judge is not None:
        info.judge_model = judge.model
    return EvalRun(info=info, results=results, metrics=summarize(results))


def _ask_one(
    service: AnswerService, q: Question, lookup: TextLookup, k: int, ranker: Ranker | None
) -> QuestionResult:
    started = time.perf_counter()
    try:
        answer = service.answer(q.question, q.history)
    except _FATAL:
        raise
    except Exception as exc:  # noqa: BLE001 - recorded per question, counted as wrong
        latency = (time.perf_counter() - started) * 1000
        if isinstance(exc, NewsdeskError):
            log.warning("question %s failed: %s", q.id, exc)
        else:  # a bug in the core: keep its traceback in the log, score the rest
            log.exception("question %s raised an unexpected error", q.id)
        return score_question(
            q,
            answer="",
            refused=False,
            citations=[],
            latency_ms=latency,
            lookup=lookup,
            k=k,
            error=f"{type(exc).__name__}: {exc}",
        )
    latency = (time.perf_counter() - started) * 1000
    data = answer.to_dict()
    ranking = ranker(q, answer) if ranker is not None else None
    return score_question(
        q,
        answer=answer.answer,
        refused=answer.refused,
        citations=data["citations"],
        latency_ms=latency,
        lookup=lookup,
        k=k,
        ranking=ranking,
        standalone_question=answer.standalone_question,
    )
