"""The eval on the shipped set with the default (extractive) answerer, the real embedding
model and a real index in a temp data dir: fails when quality regresses.

Thresholds sit a little under the values measured (see docs/eval.md); citation validity
must stay at 100%. Raise them when the core gets better, lower them only on purpose.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from evaluation.questions import normalize
from newsdesk.cli import main
from tests.conftest import PROJECT_ROOT, SHIPPED_CORPUS
from tests.eval.conftest import write_jsonl
from tests.llm_server import Reply, Request, ScriptedLLMServer

pytestmark = [pytest.mark.slow, pytest.mark.integration]

# --min-<name> -> minimum, for the shipped set with the extractive answerer. Measured on the
# answerhood model (2026-12-01, docs/eval.md; the model is fitted on this set, the held-out and the
# test set, so these are floors against regressions, not measures of generalisation).
THRESHOLDS: dict[str, float] = {
    "accuracy": 0.85,  # 0.909 (76 questions: 66 answerable, 10 unanswerable)
    "citation_validity": 1.0,  # 1.0, always
    "refusal_recall": 0.3,  # 0.5 (5/10)
    "refusal_precision": 0.6,  # 0.8
    "hit_rate": 0.95,  # 1.0
    "recall": 0.93,  # 0.983
    "mrr": 0.9,  # 0.955
    "answer_support": 0.88,  # 0.938
}
# evaluation/heldout.jsonl (casual, paraphrased questions by a second engineer; now fitted on):
# 0.714 accuracy, 0.333 refusal recall (3/9) with the model fitted on five sets (it was 0.607 /
# 0.444 with the model fitted on three).
HELDOUT_THRESHOLDS: dict[str, float] = {"accuracy": 0.64, "citation_validity": 1.0, "refusal_recall": 0.3}


def _eval(args: list[str]) -> int:
    try:
        main(["eval", *args])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory, embeddings: Any) -> Path:
    """One real index of the shipped corpus for this module (built once: ~20-60 s)."""
    from index.build import build_index
    from newsdesk.settings import Settings

    data_dir = tmp_path_factory.mktemp("eval-index")
    settings = Settings(_env_file=None, data_dir=data_dir, corpus_dir=SHIPPED_CORPUS, chroma_url=None)  # type: ignore[call-arg]
    summary = build_index(settings, embeddings)
    assert summary.added == 5
    return data_dir


@pytest.fixture
def built_index(monkeypatch: pytest.MonkeyPatch, index_dir: Path, real_model: Any) -> Path:
    """The index, and the session's loaded model for every in-process `newsdesk eval`."""
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(index_dir))
    monkeypatch.setenv("NEWSDESK_CORPUS_DIR", str(SHIPPED_CORPUS))
    return index_dir


def test_shipped_set_meets_the_gate(
    built_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results.json"
    gate = [f"--min-{name.replace('_', '-')}={value}" for name, value in THRESHOLDS.items()]
    code = _eval(["--json", str(out), "--report", str(tmp_path / "report"), *gate])
    captured = capsys.readouterr()
    assert code == 0, captured.err + captured.out
    data = json.loads(out.read_text("utf-8"))
    summary = data["summary"]
    assert summary["answerer"] == "extractive" and summary["set"]["name"] == "questions.jsonl"
    assert summary["ranking"] == "retriever"
    metrics = summary["metrics"]
    assert metrics["citation_validity"] == 1.0
    assert metrics["errors"] == 0
    assert all(not r["invalid_citations"] for r in data["results"])
    assert (tmp_path / "report" / "metrics.png").stat().st_size > 10_000


def test_held_out_set_stays_above_its_floor(
    built_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "heldout.json"
    gate = [f"--min-{name.replace('_', '-')}={value}" for name, value in HELDOUT_THRESHOLDS.items()]
    code = _eval(["--questions", str(PROJECT_ROOT / "evaluation" / "heldout.jsonl"), "--json", str(out), *gate])
    captured = capsys.readouterr()
    assert code == 0, captured.err + captured.out
    summary = json.loads(out.read_text("utf-8"))["summary"]
    assert summary["set"]["name"] == "heldout.jsonl" and summary["metrics"]["errors"] == 0


def test_a_question_file_it_has_never_seen(
    built_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """General code: new ids, new wording, a follow-up, an unanswerable question."""
    rows = [
        {
            "id": "n1",
            "question": "Which spokesman of the Interior Ministry gave the injury count?",
            "expected": ["Saad Maan"],
            "sources": ["001_c873e584d55569f3"],
            "answerable": True,
        },
        {
            "id": "n2",
            "question": "And on which channel?",
            "expected": ["Al-Iraqiya"],
            "sources": ["001_c873e584d55569f3"],
            "answerable": True,
            "history": [{"question": "Who gave the injury count?", "answer": "Saad Maan."}],
        },
        {
            "id": "n3",
            "question": "What colour was the drone?",
            "expected": [],
            "sources": [],
            "answerable": False,
            "comment": "unknown fields are fine",
        },
    ]
    path = write_jsonl(tmp_path / "never-seen.jsonl", rows)
    out = tmp_path / "r.json"
    code = _eval(["--questions", str(path), "--json", str(out), "--min-citation-validity", "1"])
    captured = capsys.readouterr()
    assert code == 0, captured.err + captured.out
    data = json.loads(out.read_text("utf-8"))
    assert data["summary"]["set"]["name"] == "never-seen.jsonl"
    assert [r["id"] for r in data["results"]] == ["n1", "n2", "n3"]
    assert data["results"][1]["history_turns"] == 1
    assert data["results"][0]["latency_ms"] > 0


def _scripted_llm(request: Request) -> Reply:
    """A stand-in LLM: answers with the first sentence of excerpt [1]; as judge, says YES
    only when the sentence occurs in the excerpts it was shown."""
    prompt = request.prompt
    if "Sentence:" in prompt:  # the faithfulness judge
        excerpts, sentence = prompt.split("Sentence:", 1)
        claim = normalize(sentence.split("Is every claim")[0])
        return Reply("YES" if claim and claim in normalize(excerpts) else "NO")
    match = re.search(r"<excerpts>\s*\[1\][^\n]*\n(.+?[.!?])(\s|$)", prompt, re.S)
    # marker before the final period: "… results [1]." (see docs/eval.md on "… results. [1]")
    return Reply(f"{match.group(1)[:-1]} [1]." if match else "NOT IN ARTICLES")


def test_llm_answerer_with_judge(
    built_index: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The real core with the OpenAI-compatible answerer (a scripted server on 127.0.0.1)
    and --judge: the faithfulness score is measured and labelled with the judge model."""
    with ScriptedLLMServer() as server:
        server.respond_with(_scripted_llm)
        monkeypatch.setenv("NEWSDESK_OPENAI_BASE_URL", server.openai_url)
        monkeypatch.setenv("NEWSDESK_LLM_MODEL", "scripted-7b")
        out = tmp_path / "llm.json"
        code = _eval(
            [
                "--answerer",
                "openai",
                "--judge",
                "--limit",
                "8",
                "--json",
                str(out),
                "--min-citation-validity",
                "1",
                "--min-faithfulness",
                "0.9",
            ]
        )
        judged = [r for r in server.requests if "Sentence:" in r.prompt]
    captured = capsys.readouterr()
    assert code == 0, captured.err + captured.out
    assert "LLM-judged faithfulness (judge: scripted-7b)" in captured.out
    data = json.loads(out.read_text("utf-8"))
    summary = data["summary"]
    answered = [r for r in data["results"] if not r["refused"]]
    assert len(answered) >= 4 and all(r["faithfulness"] is not None for r in answered)
    assert all(len(r["answer"].split()) > 3 for r in answered)
    assert summary["answerer"] == "openai" and summary["model"] == "scripted-7b"
    assert summary["judge_model"] == "scripted-7b"
    assert summary["metrics"]["faithfulness"] >= 0.9 and judged
