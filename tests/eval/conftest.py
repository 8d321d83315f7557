"""Fixtures of the eval tests: a tiny question set and a fake service that answers it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evaluation.questions import QuestionSet, load_questions
from tests.eval.fakes import FakeService, Scripted, cite

SMALL_SET: list[dict[str, Any]] = [
    {
        "id": "guards",
        "question": "How many guards were injured?",
        "expected": ["seven", "7"],
        "sources": ["alpha"],
        "answerable": True,
        "note": "unknown fields are ignored",
    },
    {
        "id": "denied",
        "question": "Who denied involvement?",
        "expected": ["Kata'ib Hezbollah"],
        "sources": ["alpha"],
        "answerable": True,
    },
    {
        "id": "price",
        "question": "What did he call it?",
        "expected": ["act of terrorism"],
        "sources": ["beta"],
        "answerable": True,
        "history": [{"question": "Who is the US spokesman?", "answer": "Ned Price."}],
    },
    {
        "id": "camp",
        "question": "How long did protesters camp?",
        "expected": ["a month"],
        "sources": ["gamma"],
        "answerable": True,
    },
    {
        "id": "supplier",
        "question": "Which country supplied the drone?",
        "expected": [],
        "sources": [],
        "answerable": False,
    },
    {
        "id": "arrests",
        "question": "Who was arrested?",
        "expected": [],
        "sources": [],
        "answerable": False,
    },
]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def small_set_path(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "small.jsonl", SMALL_SET)


@pytest.fixture
def small_set(small_set_path: Path) -> QuestionSet:
    return load_questions(small_set_path)


def good_script() -> dict[str, Scripted]:
    """Right on guards, denied and supplier; wrong on camp (answers, with a shifted
    citation) and arrests (answers instead of refusing); price cites the wrong document."""
    return {
        "How many guards were injured?": Scripted(
            "Seven guards were injured [1].", (cite(1, "alpha", "Seven guards were injured."),)
        ),
        "Who denied involvement?": Scripted(
            "Kata\u2019ib Hezbollah denied any involvement [1].",
            (
                cite(1, "alpha", "Kata\u2019ib Hezbollah denied any involvement."),
                cite(2, "gamma", "Protesters camped near the Green Zone"),
            ),
        ),
        "What did he call it?": Scripted(
            "He called it an apparent act of terrorism [1].",
            (
                cite(1, "gamma", "Protesters camped near the Green Zone"),
                cite(2, "beta", "Ned Price called it an apparent act of terrorism."),
            ),
        ),
        "How long did protesters camp?": Scripted(
            "They camped for weeks [1].",
            (cite(1, "gamma", "almost a month", shift=2),),
        ),
        "Who was arrested?": Scripted(
            "Seven guards were injured [1].", (cite(1, "alpha", "Seven guards were injured."),)
        ),
    }


@pytest.fixture
def fake_service() -> FakeService:
    return FakeService(good_script())
