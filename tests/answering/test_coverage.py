"""'Which outlets reported X?': the outlets named from article metadata, each with its sentence cited."""

from __future__ import annotations

from typing import Any

import pytest

from answering.coverage import CoverageAsk, Said, coverage_ask, gather, is_coverage_answer, named_outlet, render
from answering.models import Citation
from index.loaders import make_document
from tests.answering.fakes import FakeReader


@pytest.mark.parametrize(
    ("question", "claim", "head", "count"),
    [
        ("Which outlets reported that the master resigned?", "the master resigned", "resign", False),
        ("Which reports quoted port director Lena Vasquez?", "port director Lena Vasquez", "vasquez", False),
        ("how many papers mention the ferry strike", "the ferry strike", "strike", True),
        ("Which of the outlets reported the closure?", "the closure", "closure", False),
        ("Who reported that the ferry sank?", "the ferry sank", "sink", False),
        # a verb that is not one of reporting is part of the claim
        ("Which reports linked the fire to a crane, and who did?", "linked the fire to a crane", "link", False),
    ],
)
def test_coverage_questions(question: str, claim: str, head: str, count: bool) -> None:
    ask = coverage_ask(question)
    assert ask is not None
    assert (ask.claim, ask.head, ask.count) == (claim, head, count)


@pytest.mark.parametrize(
    "question",
    [
        "Which agency halted work at the port?",  # an agency that acts, not one that reports
        "Who commented on the cause of the fire?",  # a person comments
        "Who said the ferry sank?",
        "What did the Harbour Gazette report about the fire?",
        "Which hospital were the crew taken to?",
        "Do the reports agree on the number of injured?",
    ],
)
def test_not_coverage_questions(question: str) -> None:
    assert coverage_ask(question) is None


def test_a_name_is_matched_by_any_of_its_words() -> None:
    ask = coverage_ask("Which reports quoted port director Lena Vasquez?")
    assert ask is not None and ask.head_words == {"lena", "vasquez"}


def test_coordinated_verbs_are_alternatives_and_a_persons_titles_are_descriptive() -> None:
    rerouted = coverage_ask("Which outlets mention ships being diverted or rerouted to Saltby?")
    assert rerouted is not None and rerouted.head_words == {"divert", "reroute"}
    titled = coverage_ask("which outlets quoted the local MP Sarah Whitcombe")
    assert titled is not None and titled.head_words == {"sarah", "whitcombe"}
    assert {"local", "mp"} <= titled.descriptive
    # an organisation's name is not matched by any of its words ("investigation")
    branch = coverage_ask("How many outlets mention the Marine Accident Investigation Branch?")
    assert branch is not None and branch.head_words == {"branch"} and not branch.descriptive


def test_gather_accepts_either_alternative_and_needs_no_title() -> None:
    rerouted = coverage_ask("Which outlets mention ships being diverted or rerouted to Saltby?")
    titled = coverage_ask("which outlets quoted the local MP Sarah Whitcombe")
    assert rerouted is not None and titled is not None
    said = [_said("a", "A", "2026-05-11", "delivery", "reroute", "saltby")]
    assert gather(
        rerouted, frozenset({"ship", "divert", "reroute", "saltby"}), said, lambda w: 1.0, _exact
    ) == [0]
    said = [_said("b", "B", "2026-05-12", "whitcombe", "say", "company")]
    assert gather(titled, frozenset({"local", "mp", "sarah", "whitcombe"}), said, lambda w: 1.0, _exact) == [0]


def _said(doc_id: str, outlet: str | None, published: str, *lemmas: str, score: float = 0.5) -> Said:
    return Said(doc_id, outlet, published, frozenset(lemmas), score)


def _exact(a: str, b: str) -> float:
    return 1.0 if a == b else 0.0


def test_gather_takes_one_sentence_per_outlet_that_states_the_claim() -> None:
    ask = CoverageAsk("the harbour master resigned", "resign", frozenset({"resign"}), False)
    sentences = [
        _said("b1", "B", "2026-04-02", "harbour", "master", "resign", "monday"),
        _said("a1", "A", "2026-04-01", "harbour", "master", "resign"),
        _said("a2", "A", "2026-04-01", "harbour", "master", "resign", score=0.9),  # A's better one
        _said("c1", "C", "2026-04-03", "harbour", "master", "speak"),  # no resignation
        _said("d1", "D", "2026-04-04", "resign", "mayor"),  # someone else resigned
    ]
    chosen = gather(ask, frozenset({"harbour", "master", "resign"}), sentences, lambda w: 1.0, _exact)
    assert chosen == [2, 0]  # A then B, oldest report first


def test_gather_counts_a_similar_word_for_the_head() -> None:
    ask = CoverageAsk("the captain died", "die", frozenset({"die"}), False)
    sentences = [_said("a", "A", "2026-04-01", "captain", "death")]

    def similar(a: str, b: str) -> float:
        return 0.8 if {a, b} == {"die", "death"} else _exact(a, b)

    assert gather(ask, frozenset({"captain", "die"}), sentences, lambda w: 1.0, similar) == [0]
    assert gather(ask, frozenset({"captain", "die"}), sentences, lambda w: 1.0, _exact) == []


def test_gather_reads_the_claims_other_words_in_the_articles_title() -> None:
    ask = coverage_ask("Which outlets reported on the Brannock Hill mine collapse?")
    assert ask is not None and ask.head == "collapse"
    claim = frozenset({"brannock", "hill", "mine", "collapse"})
    bare = Said("a", "A", "2026-03-09", frozenset({"collapse", "happen", "level"}))
    titled = Said("a", "A", "2026-03-09", bare.lemmas, context=frozenset({"brannock", "hill", "miner"}))
    assert gather(ask, claim, [bare], lambda w: 1.0, _exact) == []
    assert gather(ask, claim, [titled], lambda w: 1.0, _exact) == [0]


def _citation(n: int, source: str | None, title: str = "T") -> Citation:
    return Citation(n, f"d{n}", title, "x", 0, 1, source=source, published="2026-04-01")


def test_render_names_each_outlet_with_its_marker_then_its_sentence() -> None:
    text = render([_citation(1, "A"), _citation(2, "B"), _citation(3, "C")], ["S one.", "S two.", ""])
    assert text == "Reported by 3 outlets: A [1], B [2] and C [3]. S one. [1] S two. [2]"
    assert is_coverage_answer(text)
    assert render([_citation(1, None, "Some title")], ["S."]) == "Reported by 1 article: Some title [1]. S. [1]"


def _service(settings: Any, fake_embeddings: Any) -> Any:
    from answering.factory import build_answering

    docs = [
        make_document(
            "a",
            "Harbour master quits",
            "The harbour master resigned on Monday after the ferry collision. "
            "Port director Lena Vasquez said the port would stay open.",
            published="2026-04-01",
            source="Coast Times",
        ),
        make_document(
            "b",
            "Ferry inquiry opens",
            "An inquiry into the ferry collision opened on Tuesday. "
            "The harbour master resigned a day earlier, officials said.",
            published="2026-04-02",
            source="Harbour Gazette",
        ),
        make_document(
            "c",
            "Ferry service resumes",
            "Ferry service resumed on Wednesday. Passengers returned to the terminal.",
            published="2026-04-03",
            source="Island Radio",
        ),
    ]
    return build_answering(settings, FakeReader(docs, fake_embeddings), fake_embeddings)


def test_the_service_names_the_outlets_that_reported_it(settings: Any, fake_embeddings: Any) -> None:
    service = _service(settings, fake_embeddings)
    answer = service.answer("Which outlets reported that the harbour master resigned?")
    assert not answer.refused
    assert answer.answer.startswith("Reported by 2 outlets: Coast Times [1] and Harbour Gazette [2].")
    assert [c.source for c in answer.citations] == ["Coast Times", "Harbour Gazette"]
    assert all("harbour master resigned" in c.excerpt for c in answer.citations)
    assert all(c.excerpt in answer.answer for c in answer.citations)  # each outlet's sentence, verbatim
    assert answer.answer.count("Reported by") == 1  # no second note from the agreement check


def test_named_outlet() -> None:
    outlets = ["Maritime Cargo Review", "The National Chronicle", "Tane Valley Radio"]
    assert (
        named_outlet("According to Maritime Cargo Review, what did they do?", outlets)
        == "Maritime Cargo Review"
    )
    assert (
        named_outlet("what did the national chronicle say about the spill", outlets) == "The National Chronicle"
    )
    assert named_outlet("Who reviewed the cargo?", outlets) is None


def test_a_question_naming_an_outlet_is_answered_from_its_articles(settings: Any, fake_embeddings: Any) -> None:
    service = _service(settings, fake_embeddings)
    answer = service.answer("According to the Harbour Gazette, what happened to the harbour master?")
    assert answer.citations
    assert {c.source for c in answer.citations} == {"Harbour Gazette"}
