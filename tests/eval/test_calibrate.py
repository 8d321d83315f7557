"""``python -m evaluation.calibrate`` fits the answerhood model on sets about other corpora too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluation.calibrate import main
from tests.conftest import PROJECT_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.integration]

TRAINING = PROJECT_ROOT / "evaluation" / "training"


def test_fits_on_a_set_about_another_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (TRAINING / "tech.jsonl").read_text(encoding="utf-8").splitlines()
    answerable = [line for line in lines if json.loads(line)["answerable"] and "history" not in line]
    unanswerable = [line for line in lines if not json.loads(line)["answerable"]]
    picked = answerable[:18] + unanswerable[:7]  # both classes, to fit a model on
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(picked) + "\n", encoding="utf-8")
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(tmp_path / "unused"))
    out = tmp_path / "model.json"
    code = main(
        [
            "--questions",
            f"{small}@{TRAINING / 'tech'}",
            "--work-dir",
            str(tmp_path / "idx"),
            "--out",
            str(out),
            "-C",
            "1.0",
        ]
    )
    assert code == 0
    assert (tmp_path / "idx" / "tech").is_dir()  # the corpus got its own index
    model = json.loads(out.read_text(encoding="utf-8"))
    assert model["info"]["fitted_on"] == [
        {
            "set": "small.jsonl",
            "questions": 25,
            "sha256": model["info"]["fitted_on"][0]["sha256"],
            "corpus": "tech",
        }
    ]
    assert 0.0 < model["threshold"] < 1.0
    assert "25 questions" in capsys.readouterr().out


def test_a_missing_corpus_folder_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--questions", f"{TRAINING / 'tech.jsonl'}@{tmp_path / 'nope'}", "--dry-run"])
    assert "not a corpus folder" in capsys.readouterr().err
