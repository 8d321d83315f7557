"""Must-show behaviours on the shipped corpus, offline, with the real model and a real index.

These run the extractive (default) answerer end to end: Chroma vector search + BM25, the
bundled all-MiniLM-L6-v2, sentence selection, verified citations.
"""

from __future__ import annotations

from typing import Any

import pytest

from answering.models import Turn
from answering.retrieval import keyword_terms
from answering.text import normalize

pytestmark = [pytest.mark.slow, pytest.mark.integration]

KATAIB_DOC = "001_c873e584d55569f3"


def assert_verbatim(service: Any, answer: Any) -> None:
    for c in answer.citations:
        assert service.reader.document(c.doc_id).text[c.start : c.end] == c.excerpt
        assert c.title


REGRESSION = (
    "issue 12: 'Kata'ib Hezbollah ... rejected any relevance' shares no word with the question: the "
    "parse budget (candidates sharing the most question words) leaves it out, and even parsed and "
    "embedded it ranks below the al-Askari sentences (P 0.43 vs 0.81); it was found through a "
    "synonym list written for these articles, now removed; docs/eval.md"
)


@pytest.mark.xfail(strict=True, reason=REGRESSION)
def test_who_denied_involvement(real_service: Any) -> None:
    answer = real_service.answer("Who denied involvement in the attack?")
    assert not answer.refused
    assert "Kata'ib Hezbollah" in normalize(answer.answer)
    cited = [c for c in answer.citations if "Kata'ib Hezbollah" in normalize(c.excerpt)]
    assert cited and cited[0].doc_id == KATAIB_DOC
    assert f"[{cited[0].n}]" in answer.answer
    assert_verbatim(real_service, answer)


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of France?",
        "Who won the 2022 World Cup?",
        "What is the recipe for chocolate cake?",
        "How many goals did Messi score last season?",
        "Who is the CEO of Apple?",
        "What is the boiling point of water?",
    ],
)
def test_unanswerable_questions_are_refused(real_service: Any, question: str) -> None:
    answer = real_service.answer(question)
    assert answer.refused
    assert answer.answer.startswith("The articles don't say")
    assert len(answer.citations) <= 2  # the closest excerpts, offered for reference
    assert_verbatim(real_service, answer)


@pytest.mark.xfail(strict=True, reason=REGRESSION + " (the follow-up resolves against that answer)")
def test_follow_up_resolves_against_the_previous_turn(real_service: Any) -> None:
    first = real_service.answer("Who denied involvement in the attack?")
    follow = real_service.answer("What did their spokesman claim?", [Turn(first.question, first.answer)])
    assert "Kata'ib Hezbollah" in normalize(follow.standalone_question or "")
    assert not follow.refused
    text = normalize(follow.answer)
    assert "al-Askari" in text or "Al-Askari" in text  # Kata'ib Hezbollah's spokesman
    assert_verbatim(real_service, follow)


# (question, a phrase the answer must contain, the article it must cite)
ANSWERABLE = [
    ("How many security personnel were wounded?", "seven", KATAIB_DOC),
    ("Where were the drones launched from?", "12 km northeast of Baghdad", KATAIB_DOC),
    ("Who is Saad Maan?", "Ministry of Interior Spokesman", KATAIB_DOC),
    ("When was Al-Kadhimi named prime minister?", "May 6, 2020", "003_b00093124b2ec61b"),
    ("What did Iran's Foreign Ministry spokesman say?", "Khatibzadeh", "002_bf7ea3b3e611832c"),
    ("What did the protesters burn?", "portrait of Kadhimi", "002_bf7ea3b3e611832c"),
    ("Who shot down one of the drones?", "Iraqi military shot down", KATAIB_DOC),
    ("What is the Green Zone?", "government buildings and embassies", "002_bf7ea3b3e611832c"),
    ("Who described the attack as an apparent act of terrorism?", "Ned Price", None),
    ("How many drones were launched?", "two armed drones", KATAIB_DOC),
    # Chatty words no article uses ("ok", "lol", "guys") are not a sign the topic is missing.
    ("ok so how many drones did they launch lol", "two armed drones", KATAIB_DOC),
    ("guys who shot down one of the drones??", "Iraqi military shot down", KATAIB_DOC),
]


@pytest.mark.parametrize(("question", "phrase", "doc_id"), ANSWERABLE)
def test_answerable_questions(real_service: Any, question: str, phrase: str, doc_id: str | None) -> None:
    answer = real_service.answer(question)
    assert not answer.refused, answer.answer
    assert normalize(phrase) in normalize(answer.answer)
    supporting = [c for c in answer.citations if normalize(phrase) in normalize(c.excerpt)]
    assert supporting
    if doc_id is not None:
        assert doc_id in {c.doc_id for c in supporting}
    assert 1 <= len(answer.citations) <= 3
    assert_verbatim(real_service, answer)


def test_keyword_search_finds_names_embeddings_miss(real_service: Any) -> None:
    for query in ("Kata'ib Hezbollah", "Kata’ib Hezbollah", "kataib hezbollah", "Saad Maan"):
        top = real_service.reader.keyword_search(keyword_terms(query), 3)
        assert top and top[0].chunk.doc_id == KATAIB_DOC, query
    retrieved = real_service.retriever.retrieve("Who denied involvement in the attack?", 6)
    assert any("Hezbollah" in r.chunk.text for r in retrieved)
    assert len({r.chunk.doc_id for r in retrieved}) >= 3  # not one article crowding the rest


# The answer sits in a neighbour of the sentence that names the topic (same paragraph).
CONTEXT = [
    ("What did Kata'ib Hezbollah doubt?", "government's account"),
    ("Who said that al-Kadhimi had played the victim role?", "al-Askari"),
]


@pytest.mark.parametrize(("question", "phrase"), CONTEXT)
def test_neighbouring_sentence_completes_the_answer(real_service: Any, question: str, phrase: str) -> None:
    answer = real_service.answer(question)
    assert not answer.refused, answer.answer
    assert normalize(phrase).lower() in normalize(answer.answer).lower()
    assert 2 <= len(answer.citations) <= 3  # the topic sentence and its neighbour, both cited
    assert_verbatim(real_service, answer)
