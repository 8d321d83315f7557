"""Scoring: one question's result, and the summary over a whole run.

Pure functions over plain data, so the same code scores a live run and a saved JSON file.
Citations are checked against the documents themselves (never trusting the answering core):
an excerpt is valid only when ``document.text[start:end] == excerpt``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from evaluation.questions import Question, list_items_named, matches_expected

# How the answering core says that cited articles disagree (answering.agreement.render).
DIFFER_MARK = "Reports differ"

# doc_id -> stored document text, or None when the index has no such document
TextLookup = Callable[[str], str | None]


@dataclass(slots=True)
class QuestionResult:
    """Everything measured for one question; ``to_dict`` is its line in ``--json``."""

    id: str
    question: str
    answerable: bool
    expected: list[str]
    sources: list[str]
    history_turns: int
    answer: str
    refused: bool
    citations: list[dict[str, Any]]  # the `newsdesk ask --json` shape
    latency_ms: float
    ranking: list[str]  # retrieved document ids, best first
    error: str | None = None
    standalone_question: str | None = None
    kind: str | None = None  # the question's category in its set ("who", "list", ...)
    # flags and scores (None = not applicable to this question)
    correct: bool = False  # answerable: answered with an expected phrase; else: refused
    answer_correct: bool | None = None
    refusal_correct: bool | None = None
    hit: bool | None = None
    recall: float | None = None
    reciprocal_rank: float | None = None
    citations_valid: int = 0
    invalid_citations: list[str] = field(default_factory=list)
    citations_in_sources: int | None = None
    excerpt_support: bool | None = None
    faithfulness: float | None = None
    unsupported_sentences: list[str] = field(default_factory=list)
    chars: int = 0
    words: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuestionResult:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def ranking_from_citations(citations: Sequence[dict[str, Any]]) -> list[str]:
    """Document ids in order of first citation: the fallback ranking when the core does not
    say what it retrieved."""
    seen: list[str] = []
    for c in citations:
        if c["doc_id"] not in seen:
            seen.append(c["doc_id"])
    return seen


def check_citation(citation: dict[str, Any], lookup: TextLookup) -> str | None:
    """None if the excerpt is verbatim at its offsets, else why not."""
    doc_id = citation.get("doc_id")
    text = lookup(str(doc_id))
    if text is None:
        return f"[{citation.get('n')}] {doc_id}: no such document in the index"
    start, end, excerpt = citation.get("start"), citation.get("end"), citation.get("excerpt")
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(text):
        return f"[{citation.get('n')}] {doc_id}: offsets {start}..{end} outside the document"
    if not excerpt or text[start:end] != excerpt:
        where = "elsewhere in" if excerpt and excerpt in text else "not in"
        return f"[{citation.get('n')}] {doc_id}:{start}-{end}: excerpt differs ({where} the document)"
    return None


def score_question(
    q: Question,
    *,
    answer: str,
    refused: bool,
    citations: list[dict[str, Any]],
    latency_ms: float,
    lookup: TextLookup,
    k: int,
    ranking: list[str] | None = None,
    error: str | None = None,
    standalone_question: str | None = None,
) -> QuestionResult:
    ranking = list(ranking) if ranking is not None else ranking_from_citations(citations)
    r = QuestionResult(
        id=q.id,
        question=q.question,
        answerable=q.answerable,
        expected=list(q.expected),
        sources=list(q.sources),
        history_turns=len(q.history),
        kind=q.kind,
        answer=answer,
        refused=refused,
        citations=citations,
        latency_ms=latency_ms,
        ranking=ranking,
        error=error,
        standalone_question=standalone_question,
        chars=len(answer),
        words=len(answer.split()),
    )
    for c in citations:
        problem = check_citation(c, lookup)
        if problem is None:
            r.citations_valid += 1
        else:
            r.invalid_citations.append(problem)
    if error is not None:
        r.correct = False
        if q.answerable:
            r.answer_correct = False
        else:
            r.refusal_correct = False
    elif q.answerable:
        r.answer_correct = (
            (not refused)
            and matches_expected(answer, q.expected)
            and list_items_named(answer, q.list_items) >= q.list_min
            # an agreement question also needs the right verdict: "Reports differ" or not
            and (q.agreement is None or (DIFFER_MARK in answer) == (q.agreement == "differ"))
        )
        r.correct = r.answer_correct
    else:
        r.refusal_correct = refused
        r.correct = refused
    if q.answerable and q.sources:
        top = ranking[:k]
        wanted = set(q.sources)
        r.hit = any(d in wanted for d in top)
        r.recall = len(wanted.intersection(top)) / len(wanted)
        r.reciprocal_rank = next((1.0 / i for i, d in enumerate(top, 1) if d in wanted), 0.0)
        r.citations_in_sources = sum(1 for c in citations if c["doc_id"] in wanted)
    if q.answerable and not refused and error is None:
        r.excerpt_support = any(matches_expected(c.get("excerpt", ""), q.expected) for c in citations)
    return r


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * pct / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _share(hits: int, total: int) -> float | None:
    return hits / total if total else None


# name -> (label, kind): kind "rate" is a 0..1 share, "ms" milliseconds, "n" a count or size.
METRICS: dict[str, tuple[str, str]] = {
    "accuracy": ("Answer accuracy (answerable)", "rate"),
    "overall_correct": ("Correct overall (incl. refusals)", "rate"),
    "hit_at_k": ("Retrieval hit@k", "rate"),
    "recall_at_k": ("Retrieval recall@k", "rate"),
    "mrr": ("Retrieval MRR@k", "rate"),
    "citation_validity": ("Citation validity (verbatim)", "rate"),
    "citation_source_precision": ("Citations in gold sources", "rate"),
    "answer_support": ("Answers whose excerpts hold the answer", "rate"),
    "refusal_precision": ("Refusal precision", "rate"),
    "refusal_recall": ("Refusal recall", "rate"),
    "false_refusal_rate": ("False refusals (answerable refused)", "rate"),
    "faithfulness": ("LLM-judged faithfulness", "rate"),
    "latency_p50_ms": ("Latency p50", "ms"),
    "latency_p95_ms": ("Latency p95", "ms"),
    "latency_mean_ms": ("Latency mean", "ms"),
    "answer_chars_mean": ("Answer length, chars (mean)", "n"),
    "answer_chars_median": ("Answer length, chars (median)", "n"),
    "answer_words_mean": ("Answer length, words (mean)", "n"),
    "citations_per_answer": ("Citations per answer (mean)", "n"),
    "questions": ("Questions", "n"),
    "answerable": ("Answerable questions", "n"),
    "unanswerable": ("Unanswerable questions", "n"),
    "errors": ("Errors", "n"),
}

# Metrics where a lower value is better (for comparisons).
LOWER_IS_BETTER = frozenset(
    {"false_refusal_rate", "latency_p50_ms", "latency_p95_ms", "latency_mean_ms", "errors"}
)


def summarize(results: Sequence[QuestionResult]) -> dict[str, float | None]:
    """Metrics over a run; a metric with nothing to measure is None (shown as n/a)."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    with_sources = [r for r in answerable if r.hit is not None]
    answered = [r for r in answerable if not r.refused and r.error is None]
    refused = [r for r in results if r.refused and r.error is None]
    ok = [r for r in results if r.error is None]
    total_citations = sum(len(r.citations) for r in results)
    # citations backing an answer (a refusal's "closest excerpts" support nothing)
    supporting = [r for r in with_sources if not r.refused and r.error is None]
    gold_citations = sum(len(r.citations) for r in supporting)
    judged = [r.faithfulness for r in results if r.faithfulness is not None]
    non_refused = [r for r in ok if not r.refused]
    return {
        "questions": float(len(results)),
        "answerable": float(len(answerable)),
        "unanswerable": float(len(unanswerable)),
        "errors": float(sum(1 for r in results if r.error is not None)),
        "accuracy": _share(sum(1 for r in answerable if r.answer_correct), len(answerable)),
        "overall_correct": _share(sum(1 for r in results if r.correct), len(results)),
        "hit_at_k": _mean([1.0 if r.hit else 0.0 for r in with_sources]),
        "recall_at_k": _mean([r.recall or 0.0 for r in with_sources]),
        "mrr": _mean([r.reciprocal_rank or 0.0 for r in with_sources]),
        "citation_validity": _share(sum(r.citations_valid for r in results), total_citations),
        "citation_source_precision": _share(
            sum(r.citations_in_sources or 0 for r in supporting), gold_citations
        ),
        "answer_support": _share(sum(1 for r in answered if r.excerpt_support), len(answered)),
        "refusal_precision": _share(sum(1 for r in refused if not r.answerable), len(refused)),
        "refusal_recall": _share(sum(1 for r in unanswerable if r.refused), len(unanswerable)),
        "false_refusal_rate": _share(sum(1 for r in answerable if r.refused), len(answerable)),
        "faithfulness": _mean(judged),
        "latency_p50_ms": percentile([r.latency_ms for r in ok], 50),
        "latency_p95_ms": percentile([r.latency_ms for r in ok], 95),
        "latency_mean_ms": _mean([r.latency_ms for r in ok]),
        "answer_chars_mean": _mean([float(r.chars) for r in non_refused]),
        "answer_chars_median": percentile([float(r.chars) for r in non_refused], 50),
        "answer_words_mean": _mean([float(r.words) for r in non_refused]),
        "citations_per_answer": _mean([float(len(r.citations)) for r in non_refused]),
    }


def verdict(r: QuestionResult) -> str:
    """A short human reason for a question's outcome (reports and terminal tables)."""
    if r.error is not None:
        return f"error: {r.error}"
    if r.answerable:
        if r.refused:
            return "refused an answerable question"
        if not r.answer_correct:
            return "answer lacks every expected phrase"
    elif not r.refused:
        return "answered instead of refusing"
    if r.invalid_citations:
        return f"{len(r.invalid_citations)} citation(s) not verbatim"
    return "ok"


def format_value(name: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    kind = METRICS.get(name, (name, "n"))[1]
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "ms":
        return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def by_category(results: Sequence[QuestionResult]) -> dict[str, dict[str, float]]:
    """Per category of the set ("who", "list", "unanswerable", ...; "follow-up" for questions
    with history): questions and the share answered correctly (refused, if unanswerable)."""
    groups: dict[str, list[QuestionResult]] = {}
    for r in results:
        name = r.kind or ("follow-up" if r.history_turns else "answerable" if r.answerable else "unanswerable")
        groups.setdefault(name, []).append(r)
    return {
        name: {"questions": float(len(rs)), "correct": sum(1 for r in rs if r.correct) / len(rs)}
        for name, rs in sorted(groups.items())
    }
