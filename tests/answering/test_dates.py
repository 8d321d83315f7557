"""Dates in questions: resolved with dateparser against the newest article date, used in retrieval."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from answering.dates import DateQuery, parse_question_dates
from answering.retrieval import HybridRetriever
from index.loaders import make_document
from tests.answering.fakes import FakeReader

REF = date(2021, 11, 7)
D = date


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What happened on Nov 6?", DateQuery(D(2021, 11, 6), D(2021, 11, 6), False, "Nov 6")),
        ("What happened on 6th November?", DateQuery(D(2021, 11, 6), D(2021, 11, 6), False, "6th November")),
        ("What happened on 2021-11-06?", DateQuery(D(2021, 11, 6), D(2021, 11, 6), False, "2021-11-06")),
        ("What happened yesterday?", DateQuery(D(2021, 11, 6), D(2021, 11, 6), False, "yesterday")),
        ("What happened last week?", DateQuery(D(2021, 10, 25), D(2021, 10, 31), False, "last week")),
        ("What happened in October 2021?", DateQuery(D(2021, 10, 1), D(2021, 10, 31), False, "October 2021")),
        ("Protests before Nov 6?", DateQuery(None, D(2021, 11, 5), False, "Nov 6")),
        ("What happened after Nov 6", DateQuery(D(2021, 11, 7), None, False, "Nov 6")),
        ("What is the latest on the attack?", DateQuery(None, None, True, "")),
        ("Who denied involvement?", None),
        ("What did the 22 countries of the Arab League say?", None),
        ("What did Kadhimi say on Sunday?", None),  # a weekday alone cannot be placed
    ],
)
def test_question_dates(question: str, expected: DateQuery | None) -> None:
    assert parse_question_dates(question, REF) == expected


def _reader(fake_embeddings: Any) -> FakeReader:
    docs = [
        make_document(
            "early",
            "Early report",
            "Protesters gathered near the gate on November 6. Police used tear gas against the crowd.",
            published="2021-11-06",
            source="A",
        ),
        make_document(
            "main",
            "Main report",
            "A drone hit the residence of the prime minister on Nov. 7. The prime minister was unharmed "
            "and the prime minister called for calm.",
            published="2021-11-07",
            source="B",
        ),
        make_document(
            "later",
            "Later report",
            "Investigators examined the drone debris. The prime minister met officials about the attack.",
            published="2021-11-09",
            source="C",
        ),
        make_document(
            "old",
            "Old report",
            "The election results were announced and protesters gathered near the gate.",
            published="2021-10-12",
            source="D",
        ),
    ]
    return FakeReader(docs, fake_embeddings)


def test_a_day_in_the_question_brings_the_chunks_that_mention_it(fake_embeddings: Any) -> None:
    retriever = HybridRetriever(_reader(fake_embeddings))
    plain = retriever.retrieve("What happened at the gate?", 3)
    dated = retriever.retrieve("What happened at the gate on Nov 6?", 3)
    assert dated[0].chunk.doc_id == "early"
    assert "old" not in {r.chunk.doc_id for r in dated}  # published before Nov 6: cannot report it
    assert "old" in {r.chunk.doc_id for r in plain}


def test_latest_prefers_the_newest_articles(fake_embeddings: Any) -> None:
    retriever = HybridRetriever(_reader(fake_embeddings))
    plain = retriever.retrieve("What about the prime minister?", 3)
    latest = retriever.retrieve("What is the latest on the prime minister?", 3)
    assert plain[0].chunk.doc_id != "later"
    assert latest[0].chunk.doc_id == "later"
