"""Question sets: JSONL files of questions with gold answers, sources and refusals.

One JSON object a line: ``id``, ``question``, ``expected`` (acceptable answer phrases),
``sources`` (document ids that support the answer), ``answerable`` (false: the right
behaviour is to refuse) and optional ``history`` (earlier turns). Unknown fields are
ignored so sets can carry notes; anything malformed is an error naming file and line.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from answering.models import Turn
from newsdesk.errors import NewsdeskError

DEFAULT_QUESTIONS = Path(__file__).resolve().parent / "questions.jsonl"

# Apostrophes and their look-alikes vanish (Kata'ib == Kata’ib == Kataib).
_APOSTROPHES = "'\u2019\u2018\u02bc\u02bb`\u00b4\u2032"
# A possessive 's goes too, so "al-Askari's statement" still contains "al-Askari".
_POSSESSIVE = re.compile(f"[{_APOSTROPHES}]s\\b", re.IGNORECASE)


class QuestionSetError(NewsdeskError):
    """A question file is missing or malformed."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    question: str
    expected: tuple[str, ...]
    sources: tuple[str, ...]
    answerable: bool
    history: tuple[Turn, ...] = ()
    kind: str | None = None  # the set's "type" field (who, when, list, agreement, ...)
    list_items: tuple[tuple[str, ...], ...] = ()  # distinct answers, each a group of phrasings
    list_min: int = 0  # how many of ``list_items`` a correct answer names
    agreement: str | None = None  # "agree" | "differ": what the sources do on this detail

    @property
    def is_follow_up(self) -> bool:
        return bool(self.history)


@dataclass(frozen=True, slots=True)
class QuestionSet:
    name: str  # file name, shown in reports
    path: Path
    sha256: str  # of the file's bytes: two runs on the same set compare
    questions: tuple[Question, ...]

    def __len__(self) -> int:
        return len(self.questions)


def normalize(text: str) -> str:
    """Lower-case, no accents, possessive 's and apostrophes removed, other punctuation
    turned into spaces.

    Comparisons are on whole words of this form, so "US" does not match "because".
    """
    text = unicodedata.normalize("NFKD", _POSSESSIVE.sub("", text))
    out: list[str] = []
    for ch in text:
        if ch in _APOSTROPHES:
            continue
        category = unicodedata.category(ch)
        if category == "Mn":  # combining accent
            continue
        if category[0] in "PSZC":  # punctuation, symbols, separators, controls
            out.append(" ")
        else:
            out.append(ch.lower())
    return " ".join("".join(out).split())


def contains_phrase(text: str, phrase: str) -> bool:
    """True when the normalised phrase occurs in the normalised text as whole words."""
    needle = normalize(phrase)
    if not needle:
        return False
    return f" {needle} " in f" {normalize(text)} "


def matches_expected(text: str, expected: tuple[str, ...] | list[str]) -> bool:
    return any(contains_phrase(text, phrase) for phrase in expected)


def list_items_named(text: str, items: tuple[tuple[str, ...], ...]) -> int:
    """How many distinct items (groups of phrasings) the text names."""
    return sum(1 for group in items if matches_expected(text, group))


def _fail(path: Path, line_no: int, what: str) -> QuestionSetError:
    return QuestionSetError(
        f"{path}:{line_no}: {what}",
        hint='each line must be a JSON object like {"id": "q1", "question": "...", '
        '"expected": ["..."], "sources": ["doc-id"], "answerable": true}',
    )


def _str_list(value: Any, field: str, path: Path, line_no: int) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(path, line_no, f"'{field}' must be a list of strings, got {value!r:.80}")
    return tuple(value)


def _history(value: Any, path: Path, line_no: int) -> tuple[Turn, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _fail(path, line_no, f"'history' must be a list of turns, got {value!r:.80}")
    turns: list[Turn] = []
    for i, turn in enumerate(value):
        if (
            not isinstance(turn, dict)
            or not isinstance(turn.get("question"), str)
            or not isinstance(turn.get("answer"), str)
        ):
            raise _fail(
                path,
                line_no,
                f"history[{i}] must be an object with string 'question' and 'answer'",
            )
        turns.append(Turn(question=turn["question"], answer=turn["answer"]))
    return tuple(turns)


def parse_question(raw: str, path: Path, line_no: int) -> Question:
    """Parse one JSONL line; errors name the file, the line and what is wrong."""
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise _fail(path, line_no, f"not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(obj, dict):
        raise _fail(path, line_no, f"expected a JSON object, got {type(obj).__name__}")
    missing = [f for f in ("id", "question", "answerable") if f not in obj]
    if missing:
        raise _fail(path, line_no, f"missing field(s): {', '.join(missing)}")
    qid, text, answerable = obj["id"], obj["question"], obj["answerable"]
    if not isinstance(qid, str) or not qid.strip():
        raise _fail(path, line_no, "'id' must be a non-empty string")
    if not isinstance(text, str) or not text.strip():
        raise _fail(path, line_no, "'question' must be a non-empty string")
    if not isinstance(answerable, bool):
        raise _fail(path, line_no, f"'answerable' must be true or false, got {answerable!r:.40}")
    expected = _str_list(obj.get("expected", []), "expected", path, line_no)
    sources = _str_list(obj.get("sources", []), "sources", path, line_no)
    if answerable and not any(normalize(e) for e in expected):
        raise _fail(path, line_no, "an answerable question needs at least one 'expected' phrase")
    items_raw = obj.get("list_items", [])
    if not isinstance(items_raw, list):
        raise _fail(path, line_no, "'list_items' must be a list of lists of strings")
    items = tuple(_str_list(g, "list_items", path, line_no) for g in items_raw)
    list_min = obj.get("list_min", min(2, len(items)) if items else 0)
    if not isinstance(list_min, int) or isinstance(list_min, bool) or not 0 <= list_min <= len(items):
        raise _fail(path, line_no, f"'list_min' must be an integer from 0 to {len(items)}")
    agreement = obj.get("agreement")
    if agreement not in (None, "agree", "differ"):
        raise _fail(path, line_no, f"'agreement' must be \"agree\" or \"differ\", got {agreement!r:.40}")
    kind = obj.get("type")
    return Question(
        id=qid,
        question=text,
        expected=expected,
        sources=sources,
        answerable=answerable,
        history=_history(obj.get("history"), path, line_no),
        kind=kind if isinstance(kind, str) else None,
        list_items=items,
        list_min=list_min,
        agreement=agreement,
    )


def load_questions(path: Path | str | None = None) -> QuestionSet:
    """Read a JSONL question set (the shipped one by default). Blank lines are skipped."""
    path = Path(path) if path is not None else DEFAULT_QUESTIONS
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise QuestionSetError(
            f"No question file at {path}", hint="pass --questions FILE (JSONL, one question a line)"
        ) from exc
    except OSError as exc:
        raise QuestionSetError(f"Cannot read question file {path}: {exc.strerror}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise QuestionSetError(
            f"{path}: not UTF-8 text (byte {exc.start})", hint="save the file as UTF-8"
        ) from exc
    questions: list[Question] = []
    seen: dict[str, int] = {}
    # split on "\n" only: str.splitlines() also splits on U+2028 inside JSON strings
    for line_no, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        q = parse_question(line, path, line_no)
        if q.id in seen:
            raise _fail(path, line_no, f"duplicate id {q.id!r} (first on line {seen[q.id]})")
        seen[q.id] = line_no
        questions.append(q)
    if not questions:
        raise QuestionSetError(f"{path} holds no questions", hint="add one JSON object a line")
    return QuestionSet(
        name=path.name,
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        questions=tuple(questions),
    )
