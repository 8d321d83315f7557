"""Question-set loading, normalisation and the shipped set's gold answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from answering.models import Turn
from evaluation.questions import (
    DEFAULT_QUESTIONS,
    QuestionSetError,
    contains_phrase,
    load_questions,
    matches_expected,
    normalize,
)
from tests.conftest import SHIPPED_CORPUS
from tests.eval.conftest import SMALL_SET, write_jsonl


def test_loads_fields_history_and_ignores_unknown_fields(small_set_path: Path) -> None:
    qs = load_questions(small_set_path)
    assert qs.name == "small.jsonl" and len(qs) == len(SMALL_SET)
    guards = qs.questions[0]
    assert guards.expected == ("seven", "7") and guards.sources == ("alpha",) and guards.answerable
    price = next(q for q in qs.questions if q.id == "price")
    assert price.history == (Turn("Who is the US spokesman?", "Ned Price."),)
    assert not qs.questions[-1].answerable


def test_sha256_changes_with_the_content(tmp_path: Path) -> None:
    a = load_questions(write_jsonl(tmp_path / "a.jsonl", SMALL_SET))
    b = load_questions(write_jsonl(tmp_path / "b.jsonl", SMALL_SET[:-1]))
    assert len(a.sha256) == 64 and a.sha256 != b.sha256


def test_blank_lines_crlf_and_bom_are_accepted(tmp_path: Path) -> None:
    body = "\ufeff" + "\r\n\r\n".join(json.dumps(r) for r in SMALL_SET) + "\r\n"
    path = tmp_path / "crlf.jsonl"
    path.write_text(body, "utf-8", newline="")
    assert [q.id for q in load_questions(path).questions] == [r["id"] for r in SMALL_SET]


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ('["a list"]', "expected a JSON object"),
        ('{"question": "q?", "answerable": true, "expected": ["x"]}', "missing field(s): id"),
        ('{"id": "x", "question": "", "answerable": true, "expected": ["a"]}', "'question'"),
        ('{"id": "x", "question": "q?", "answerable": "yes", "expected": ["a"]}', "'answerable'"),
        ('{"id": "x", "question": "q?", "answerable": true, "expected": "a"}', "'expected'"),
        ('{"id": "x", "question": "q?", "answerable": true, "expected": []}', "'expected' phrase"),
        (
            '{"id": "x", "question": "q?", "answerable": true, "expected": ["a"], "sources": [1]}',
            "'sources'",
        ),
        (
            '{"id": "x", "question": "q?", "answerable": false, "history": [{"question": "a"}]}',
            "history[0]",
        ),
        ('{"id": "guards", "question": "q?", "answerable": false}', "duplicate id 'guards'"),
    ],
)
def test_malformed_line_names_file_line_and_problem(tmp_path: Path, line: str, fragment: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(SMALL_SET[0]) + "\n\n" + line + "\n", "utf-8")
    with pytest.raises(QuestionSetError) as err:
        load_questions(path)
    assert f"{path}:3:" in err.value.message
    assert fragment in err.value.message
    assert err.value.hint  # says what a line should look like


def test_missing_empty_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(QuestionSetError, match="No question file"):
        load_questions(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n\n", "utf-8")
    with pytest.raises(QuestionSetError, match="holds no questions"):
        load_questions(tmp_path / "empty.jsonl")
    (tmp_path / "latin1.jsonl").write_bytes('{"id": "é"}'.encode("latin-1"))
    with pytest.raises(QuestionSetError, match="not UTF-8"):
        load_questions(tmp_path / "latin1.jsonl")


def test_normalize_ignores_case_punctuation_apostrophes_and_accents() -> None:
    assert normalize("Kata’ib  HEZBOLLAH!") == normalize("kata'ib hezbollah") == "kataib hezbollah"
    assert normalize("al-Kadhimi, (PM)") == "al kadhimi pm"
    assert contains_phrase("spokesman Abu Ali al-Askari’s statement", "Abu Ali al-Askari")
    assert normalize("Khatibzadéh") == "khatibzadeh"
    assert contains_phrase("The group Kataib Hezbollah denied it.", "Kata\u2019ib Hezbollah")
    assert contains_phrase("Nov. 7, 2021", "nov 7")
    # whole words only: "US" is not in "because", "7" is not in "17"
    assert not contains_phrase("because it was late", "US")
    assert not contains_phrase("on the 17th", "7")
    assert matches_expected("It was the U.S.", ["United States", "U.S."])
    assert not matches_expected("anything", ["", "!!"])


# --- hypothesis ------------------------------------------------------------------------
_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x85\u2028"),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip())
_question = st.fixed_dictionaries(
    {
        "question": _text,
        "expected": st.lists(
            st.text(alphabet="abcdefgh xyz'’-", min_size=1, max_size=12).filter(normalize),
            min_size=1,
            max_size=3,
        ),
        "sources": st.lists(st.from_regex(r"[a-z0-9_]{1,10}", fullmatch=True), max_size=3),
        "answerable": st.booleans(),
        "history": st.lists(
            st.fixed_dictionaries({"question": _text, "answer": st.text(max_size=20)}), max_size=2
        ),
        "extra": st.one_of(st.none(), st.integers(), _text),
    }
)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(_question, min_size=1, max_size=8))
def test_round_trip_of_valid_sets(tmp_path_factory: pytest.TempPathFactory, rows: list[dict]) -> None:
    rows = [{"id": f"q{i}", **r} for i, r in enumerate(rows)]
    path = write_jsonl(tmp_path_factory.mktemp("h") / "set.jsonl", rows)
    loaded = load_questions(path).questions
    assert [q.id for q in loaded] == [r["id"] for r in rows]
    for q, r in zip(loaded, rows, strict=True):
        assert q.question == r["question"] and list(q.expected) == r["expected"]
        assert list(q.sources) == r["sources"] and q.answerable is r["answerable"]
        assert [(t.question, t.answer) for t in q.history] == [
            (h["question"], h["answer"]) for h in r["history"]
        ]


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(_question, min_size=1, max_size=6),
    garbage=st.text(max_size=20).filter(lambda s: "\n" not in s and s.strip() and s.strip()[0] != "{"),
    data=st.data(),
)
def test_a_bad_line_anywhere_is_reported_with_its_number(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict], garbage: str, data: st.DataObject
) -> None:
    lines = [json.dumps({"id": f"q{i}", **r}) for i, r in enumerate(rows)]
    at = data.draw(st.integers(0, len(lines)))
    lines.insert(at, garbage)
    path = tmp_path_factory.mktemp("h") / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(QuestionSetError) as err:
        load_questions(path)
    assert f":{at + 1}:" in err.value.message


@given(
    words=st.lists(st.from_regex(r"[A-Za-z]{1,8}", fullmatch=True), min_size=1, max_size=8),
    data=st.data(),
)
def test_any_run_of_words_is_found_whatever_its_case_and_punctuation(
    words: list[str], data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(words) - 1))
    j = data.draw(st.integers(i + 1, len(words)))
    text = ", ".join(words) + "."
    phrase = "-".join(w.upper() for w in words[i:j])
    assert contains_phrase(text, phrase)


# --- the shipped set -------------------------------------------------------------------
def _corpus_texts() -> dict[str, str]:
    return {p.stem: p.read_text("utf-8") for p in sorted(SHIPPED_CORPUS.glob("*.txt"))}


def test_shipped_set_has_the_required_mix() -> None:
    qs = load_questions(DEFAULT_QUESTIONS)
    assert qs.name == "questions.jsonl"
    assert len(qs) >= 40
    assert sum(not q.answerable for q in qs.questions) >= 6
    assert sum(q.is_follow_up for q in qs.questions) >= 3
    single_source = [q for q in qs.questions if len(q.sources) == 1]
    multi_source = [q for q in qs.questions if len(q.sources) >= 3]
    assert len(single_source) >= 10 and len(multi_source) >= 5
    for q in qs.questions:
        assert q.answerable == bool(q.sources), q.id


def test_every_source_exists_and_holds_an_expected_phrase() -> None:
    """Guards the gold set: each answerable question's answer is in at least one of its
    sources (normalised), and every listed source exists in the shipped corpus."""
    texts = _corpus_texts()
    qs = load_questions(DEFAULT_QUESTIONS)
    assert qs.questions and any(q.sources for q in qs.questions)
    wrong = []
    for q in qs.questions:
        for doc_id in q.sources:
            assert doc_id in texts, f"{q.id}: unknown source {doc_id}"
        if q.answerable and not any(matches_expected(texts[d], q.expected) for d in q.sources):
            wrong.append(q.id)
    assert wrong == []


def test_most_sources_each_hold_an_expected_phrase() -> None:
    """Each listed source (not just one) should support the answer; allow a few that
    phrase it differently (e.g. "calmness" vs "calm")."""
    texts = _corpus_texts()
    qs = load_questions(DEFAULT_QUESTIONS)
    misses = [(q.id, d) for q in qs.questions for d in q.sources if not matches_expected(texts[d], q.expected)]
    assert len(misses) <= 5, misses


def test_unanswerable_questions_are_not_answered_by_the_corpus() -> None:
    """A cheap check that the key words of unanswerable questions are absent."""
    texts = " ".join(_corpus_texts().values())
    for word in ("Guterres", "Saudi", "arrested", "supplied", "founded", "manufacturer"):
        assert not contains_phrase(texts, word), word


def test_expected_phrases_are_not_matched_by_a_generic_answer() -> None:
    """Answering every question with one article's opening lines (a plausible but useless
    answer) must score badly: expected phrases like "7" (in "Nov. 7") would not."""
    qs = [q for q in load_questions(DEFAULT_QUESTIONS).questions if q.answerable]
    assert qs and _corpus_texts()
    for doc_id, text in _corpus_texts().items():
        lead = " ".join(text.split("\n")[:2])
        share = sum(matches_expected(lead, q.expected) for q in qs) / len(qs)
        assert share < 0.15, (doc_id, share)


def test_expected_phrases_survive_the_indexers_cleaning() -> None:
    """Citations point into the cleaned text the index stores, so the gold must hold there too."""
    from index.loaders import load_corpus

    cleaned = {d.doc_id: d.text for d in load_corpus(SHIPPED_CORPUS).documents}
    assert cleaned and set(cleaned) == set(_corpus_texts())
    assert any(q.answerable for q in load_questions(DEFAULT_QUESTIONS).questions)
    for q in load_questions(DEFAULT_QUESTIONS).questions:
        if q.answerable:
            assert any(matches_expected(cleaned[d], q.expected) for d in q.sources), q.id
