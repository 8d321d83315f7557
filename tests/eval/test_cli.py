"""`newsdesk eval` end to end with a fake answering core (the composition root is swapped)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsdesk.cli import eval_cmd, main
from newsdesk.settings import Settings
from tests.eval.conftest import write_jsonl
from tests.eval.fakes import FakeService, lookup


@pytest.fixture
def fake_target(monkeypatch: pytest.MonkeyPatch, fake_service: FakeService) -> list[Settings]:
    built: list[Settings] = []

    def build_target(settings: Settings, k: int) -> eval_cmd.EvalTarget:
        built.append(settings)
        return eval_cmd.EvalTarget(
            service=fake_service,
            lookup=lookup,
            ranker=None,
            answerer=settings.answerer,
            model=None,
            embedding_model="fake-embedder",
        )

    monkeypatch.setattr(eval_cmd, "build_target", build_target)
    return built


def _main(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_eval_writes_json_report_and_table(
    fake_target: list[Settings],
    small_set_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "r.json"
    code = _main(
        [
            "eval",
            "--questions",
            str(small_set_path),
            "--json",
            str(out),
            "--report",
            str(tmp_path / "rep"),
            "-k",
            "3",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "Answer accuracy (answerable)" in text and "75.0%" in text and "hit@3" in text
    data = json.loads(out.read_text("utf-8"))
    assert data["summary"]["answerer"] == "extractive" and data["summary"]["k"] == 3
    assert data["summary"]["ranking"] == "citations"
    assert len(data["results"]) == 6
    assert (tmp_path / "rep" / "report.md").exists() and (tmp_path / "rep" / "metrics.png").exists()


def test_answerer_option_overrides_settings(fake_target: list[Settings], small_set_path: Path) -> None:
    assert _main(["eval", "--questions", str(small_set_path), "--answerer", "openai", "--limit", "2"]) == 0
    assert fake_target[0].answerer == "openai"


def test_limit_is_recorded_in_the_set_name(
    fake_target: list[Settings], small_set_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "r.json"
    assert _main(["eval", "--questions", str(small_set_path), "--limit", "2", "--json", str(out)]) == 0
    data = json.loads(out.read_text("utf-8"))
    assert data["summary"]["set"]["name"] == "small.jsonl (first 2)"
    assert [r["id"] for r in data["results"]] == ["guards", "denied"]


def test_gate_fails_with_the_metric_named(
    fake_target: list[Settings], small_set_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _main(
        [
            "eval",
            "--questions",
            str(small_set_path),
            "--min-accuracy",
            "0.9",
            "--min-refusal-recall",
            "0.5",
            "--min-citation-validity",
            "1",
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "Eval gate failed" in err and "(accuracy) = 0.750, below the minimum 0.900" in err
    assert "citation_validity" in err and "refusal_recall" not in err
    assert _main(["eval", "--questions", str(small_set_path), "--min-accuracy", "0.75"]) == 0


def test_bad_threshold_and_bad_question_file_fail_before_running(
    fake_target: list[Settings], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main(["eval", "--min-accuracy", "75"]) == 2
    assert "between 0 and 1" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"\n', "utf-8")
    assert _main(["eval", "--questions", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:1: not valid JSON" in err and "->" in err
    assert fake_target == []  # nothing was built


def test_compare_shows_deltas_and_flips(
    fake_target: list[Settings],
    small_set_path: Path,
    tmp_path: Path,
    fake_service: FakeService,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = tmp_path / "old.json"
    assert _main(["eval", "--questions", str(small_set_path), "--json", str(old)]) == 0
    data = json.loads(old.read_text("utf-8"))
    data["results"][1]["correct"] = False  # pretend "denied" was wrong before
    data["results"][0]["correct"] = True
    data["results"][3]["correct"] = True  # and "camp" right
    old.write_text(json.dumps(data), "utf-8")
    capsys.readouterr()
    assert _main(["eval", "--questions", str(small_set_path), "--compare", str(old)]) == 0
    text = capsys.readouterr().out
    assert "Right -> wrong (1): camp" in text and "Wrong -> right (1): denied" in text


def test_judge_needs_an_llm_answerer(
    fake_target: list[Settings], small_set_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main(["eval", "--questions", str(small_set_path), "--judge"]) == 2
    assert "--judge needs an LLM answerer" in capsys.readouterr().err
    assert fake_target == []  # refused before loading anything


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(["eval", "--help"]) == 0
    text = capsys.readouterr().out
    assert "--min-accuracy" in text and "newsdesk eval --compare" in text


def test_unknown_source_ids_are_warned_about(
    fake_target: list[Settings], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_jsonl(
        tmp_path / "s.jsonl",
        [
            {
                "id": "x",
                "question": "How many guards were injured?",
                "expected": ["seven"],
                "sources": ["alpha", "delta-missing"],
                "answerable": True,
            }
        ],
    )
    assert _main(["eval", "--questions", str(path)]) == 0
    err = capsys.readouterr().err
    assert "1 source id(s) of s.jsonl are not in the index (delta-missing)" in err
