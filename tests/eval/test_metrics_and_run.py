"""Scoring and the runner, driven by a fake AnswerService with real Answer objects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from answering.models import Turn
from evaluation.metrics import check_citation, percentile, score_question, summarize, verdict
from evaluation.questions import Question, QuestionSet
from evaluation.run import EvalRun, RunInfo, load_run, run_eval
from newsdesk.errors import IndexMissing, ModelUnavailable, NewsdeskError, QuestionInvalid
from tests.eval.fakes import DOCS, FakeService, Scripted, cite, lookup


def _info(qs: QuestionSet, k: int = 5) -> RunInfo:
    return RunInfo(set_name=qs.name, set_sha256=qs.sha256, set_path=str(qs.path), answerer="fake", k=k)


def test_citation_checks_are_independent_of_the_core() -> None:
    good = cite(1, "alpha", "Seven guards were injured.").to_dict()
    assert check_citation(good, lookup) is None
    shifted = cite(1, "alpha", "Seven guards were injured.", shift=1).to_dict()
    assert "differs (elsewhere in" in (check_citation(shifted, lookup) or "")
    altered = {**good, "excerpt": "Seven guards were killed!!!"}
    assert "differs (not in" in (check_citation(altered, lookup) or "")
    assert "no such document" in (check_citation({**good, "doc_id": "nope"}, lookup) or "")
    beyond = {**good, "start": 5, "end": len(DOCS["alpha"]) + 3}
    assert "outside the document" in (check_citation(beyond, lookup) or "")


def test_score_question_flags_and_retrieval_scores() -> None:
    q = Question("q", "Who?", ("act of terrorism",), ("beta", "gamma"), True)
    citations = [
        cite(1, "alpha", "Seven guards were injured.").to_dict(),
        cite(2, "beta", "an apparent act of terrorism.").to_dict(),
    ]
    r = score_question(
        q,
        answer="An apparent act of terrorism [2].",
        refused=False,
        citations=citations,
        latency_ms=12.0,
        lookup=lookup,
        k=5,
    )
    assert r.ranking == ["alpha", "beta"]
    assert r.correct and r.answer_correct and r.citations_valid == 2 and not r.invalid_citations
    assert r.hit is True and r.recall == 0.5 and r.reciprocal_rank == 0.5
    assert r.citations_in_sources == 1 and r.excerpt_support is True
    assert r.words == 6 and verdict(r) == "ok"
    # k cuts the ranking; an explicit ranking (from the retriever) wins over citation order
    cut = score_question(q, answer="x", refused=False, citations=citations, latency_ms=1, lookup=lookup, k=1)
    assert cut.hit is False and cut.reciprocal_rank == 0.0
    ranked = score_question(
        q,
        answer="x",
        refused=False,
        citations=citations,
        latency_ms=1,
        lookup=lookup,
        k=2,
        ranking=["gamma", "beta", "alpha"],
    )
    assert ranked.recall == 1.0 and ranked.reciprocal_rank == 1.0
    assert not ranked.correct and verdict(ranked) == "answer lacks every expected phrase"


def test_refusals_are_right_only_for_unanswerable_questions() -> None:
    unanswerable = Question("u", "Which country?", (), (), False)
    answerable = Question("a", "How many?", ("seven",), ("alpha",), True)
    kw = dict(citations=[], latency_ms=1.0, lookup=lookup, k=5)
    assert score_question(unanswerable, answer="No.", refused=True, **kw).correct
    wrong = score_question(unanswerable, answer="Seven.", refused=False, **kw)
    assert not wrong.correct and verdict(wrong) == "answered instead of refusing"
    # a refusal that happens to contain the phrase is still wrong
    refused = score_question(answerable, answer="Not seven.", refused=True, **kw)
    assert refused.answer_correct is False and refused.excerpt_support is None
    assert verdict(refused) == "refused an answerable question"


def test_percentile_interpolates() -> None:
    assert percentile([], 50) is None
    assert percentile([10.0], 95) == 10.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile(list(map(float, range(101))), 95) == pytest.approx(95.0)


def test_run_on_fake_service_scores_every_metric(small_set: QuestionSet, fake_service: FakeService) -> None:
    seen = []
    run = run_eval(fake_service, small_set, lookup, _info(small_set), on_result=seen.append)
    assert [r.id for r in seen] == [q.id for q in small_set.questions]
    m = run.metrics
    assert m["questions"] == 6 and m["answerable"] == 4 and m["unanswerable"] == 2
    assert m["accuracy"] == 0.75  # camp answered without the expected phrase
    assert m["overall_correct"] == pytest.approx(4 / 6)
    assert m["hit_at_k"] == 1.0 and m["recall_at_k"] == 1.0
    assert m["mrr"] == pytest.approx((1 + 1 + 0.5 + 1) / 4)  # price cites gamma first
    assert m["citation_validity"] == pytest.approx(6 / 7)  # camp's citation is shifted
    assert m["citation_source_precision"] == pytest.approx(4 / 6)
    assert m["answer_support"] == 1.0
    assert m["refusal_precision"] == 1.0 and m["refusal_recall"] == 0.5
    assert m["false_refusal_rate"] == 0.0 and m["errors"] == 0
    assert m["latency_p50_ms"] is not None and m["latency_p95_ms"] >= m["latency_p50_ms"]
    assert m["faithfulness"] is None
    camp = next(r for r in run.results if r.id == "camp")
    assert camp.invalid_citations and verdict(camp) == "answer lacks every expected phrase"
    # follow-ups get their history
    assert fake_service.calls[2] == (
        "What did he call it?",
        (Turn("Who is the US spokesman?", "Ned Price."),),
    )


def test_results_json_round_trip(small_set: QuestionSet, fake_service: FakeService, tmp_path: Path) -> None:
    run = run_eval(fake_service, small_set, lookup, _info(small_set))
    out = tmp_path / "out" / "results.json"
    run.save(out)
    data = json.loads(out.read_text("utf-8"))
    summary = data["summary"]
    assert summary["set"] == {
        "name": "small.jsonl",
        "sha256": small_set.sha256,
        "path": str(small_set.path),
        "questions": 6,
    }
    assert summary["answerer"] == "fake" and summary["date"][:2] == "20"
    assert summary["metrics"]["accuracy"] == 0.75
    first = data["results"][0]
    for key in (
        "id",
        "question",
        "answer",
        "refused",
        "citations",
        "correct",
        "answer_correct",
        "latency_ms",
        "hit",
        "recall",
        "reciprocal_rank",
    ):
        assert key in first
    assert set(first["citations"][0]) == {
        *("n", "doc_id", "title", "excerpt", "start", "end", "url"),
        *("source", "published", "carried_by"),
    }
    again = load_run(out)
    assert again.metrics == run.metrics and again.info == run.info
    assert [r.to_dict() for r in again.results] == [r.to_dict() for r in run.results]


def test_load_run_rejects_other_files(tmp_path: Path) -> None:
    with pytest.raises(NewsdeskError, match="No results file"):
        load_run(tmp_path / "missing.json")
    (tmp_path / "other.json").write_text('{"hello": 1}', "utf-8")
    with pytest.raises(NewsdeskError, match="not a `newsdesk eval --json` results file"):
        load_run(tmp_path / "other.json")


def test_ranker_overrides_citation_order(small_set: QuestionSet, fake_service: FakeService) -> None:
    run = run_eval(
        fake_service,
        small_set,
        lookup,
        _info(small_set, k=1),
        ranker=lambda q, a: ["gamma", "beta", "alpha"],
    )
    by_id = {r.id: r for r in run.results}
    assert by_id["camp"].hit is True and by_id["guards"].hit is False
    assert run.metrics["hit_at_k"] == 0.25


def test_question_errors_are_recorded_and_fatal_errors_stop(small_set: QuestionSet) -> None:
    script = {"Who denied involvement?": Scripted(error=QuestionInvalid("too long"))}
    run = run_eval(FakeService(script), small_set, lookup, _info(small_set))
    denied = next(r for r in run.results if r.id == "denied")
    assert denied.error == "QuestionInvalid: too long" and not denied.correct
    assert run.metrics["errors"] == 1 and verdict(denied).startswith("error:")
    fatal = {"How many guards were injured?": Scripted(error=IndexMissing("no index"))}
    with pytest.raises(IndexMissing):
        run_eval(FakeService(fatal), small_set, lookup, _info(small_set))


def test_repeated_outages_stop_the_run(small_set: QuestionSet) -> None:
    down = Scripted(error=ModelUnavailable("connection refused"))
    service = FakeService({q.question: down for q in small_set.questions})
    with pytest.raises(NewsdeskError, match="3 failures in a row"):
        run_eval(service, small_set, lookup, _info(small_set))
    assert len(service.calls) == 3


def test_summarize_of_nothing_measurable_is_none() -> None:
    m = summarize([])
    assert m["accuracy"] is None and m["citation_validity"] is None and m["questions"] == 0


def test_eval_run_from_dict_ignores_unknown_result_fields(
    small_set: QuestionSet, fake_service: FakeService
) -> None:
    data = run_eval(fake_service, small_set, lookup, _info(small_set)).to_dict()
    data["results"][0]["future_field"] = 1
    assert EvalRun.from_dict(data).results[0].id == "guards"


def test_unexpected_exceptions_are_recorded_not_fatal(
    small_set: QuestionSet, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(FakeService):
        def answer(self, question: str, history=()):  # type: ignore[no-untyped-def]
            if question.startswith("Who denied"):
                raise RuntimeError("boom")
            return super().answer(question, history)

    run = run_eval(Broken({}), small_set, lookup, _info(small_set))
    denied = next(r for r in run.results if r.id == "denied")
    assert denied.error == "RuntimeError: boom" and run.metrics["errors"] == 1
    assert "unexpected error" in caplog.text


def test_a_refusals_reference_citations_do_not_count_as_support() -> None:
    q = Question("a", "How many?", ("seven",), ("alpha",), True)
    answered = score_question(
        q,
        answer="Seven [1].",
        refused=False,
        lookup=lookup,
        k=5,
        citations=[cite(1, "alpha", "Seven guards were injured.").to_dict()],
        latency_ms=1,
    )
    refused = score_question(
        q,
        answer="Not found; closest: [1]",
        refused=True,
        lookup=lookup,
        k=5,
        citations=[cite(1, "gamma", "almost a month").to_dict()],
        latency_ms=1,
    )
    m = summarize([answered, refused])
    assert m["citation_source_precision"] == 1.0 and m["citation_validity"] == 1.0
    assert m["false_refusal_rate"] == 0.5 and m["answer_support"] == 1.0


def test_warmup_asks_the_first_question_once_unscored(
    small_set: QuestionSet, fake_service: FakeService
) -> None:
    run = run_eval(fake_service, small_set, lookup, _info(small_set), warmup=True)
    assert len(fake_service.calls) == len(small_set) + 1
    assert fake_service.calls[0] == fake_service.calls[1]
    assert len(run.results) == len(small_set)
