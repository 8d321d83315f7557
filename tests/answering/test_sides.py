"""answering.sides: agreement questions are recognised by their parse, and answered with a
sentence from each side, from different articles (real spaCy; the service test uses the
shipped corpus with fake embeddings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from answering.agreement import compare
from answering.models import Citation
from answering.sides import Sentence, agreement_ask, gather
from index.loaders import load_corpus
from index.models import Document
from tests.answering.test_agreement import CBS, CNN
from tests.answering.test_agreement import cite as _cite

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("Do the reports agree that it was a drone attack?", {"thing", "target"}),
        ("Did the articles differ on what hit the harbour?", {"thing", "target"}),
        ("Was it a barge or a tugboat?", {"thing", "target"}),
        ("Was it one drone or two?", {"number"}),
        ("Do all outlets say 12 sailors were hurt?", {"number"}),
        ("Do the stories agree on how many workers were injured?", {"number"}),
        ("Did all the outlets report the same number of wounded sailors?", {"number"}),
        ("Which outlet reported that the valve failed?", {"attribution"}),
        ("Is the date of the fire the same in every report?", {"date"}),
        ("Do the reports agree on the day the bridge closed?", {"date"}),
    ],
)
def test_agreement_questions_are_recognised_with_what_they_compare(question: str, kinds: set[str]) -> None:
    ask = agreement_ask(question)
    assert ask is not None
    assert set(ask.kinds) == kinds


@pytest.mark.parametrize(
    "question",
    [
        "Was the fall in the share price on the day of the fire the same in every report?",
        "Was the drop in Corvane's share price on the day of the collapse the same in every report?",
    ],
)
def test_a_day_that_only_places_the_compared_thing_in_time_is_not_compared(question: str) -> None:
    ask = agreement_ask(question)
    assert ask is not None and "date" not in ask.kinds  # the fall is compared, not the day


@pytest.mark.parametrize(
    "question",
    [
        "Who denied involvement in the attack?",
        "Did Iran agree to the talks?",  # "agree", but not about the reports
        "What did Reuters report about the drone?",
        "According to CBS News, how many security guards were injured?",
        "Did he resign or was he fired?",  # alternatives, but not things or counts
        "What happened on November 6?",
    ],
)
def test_other_questions_are_not_agreement_questions(question: str) -> None:
    assert agreement_ask(question) is None


def test_counts_and_alternatives_are_read_from_the_question() -> None:
    one_or_two = agreement_ask("was it one drone or two? do the reports agree on that")
    assert one_or_two is not None
    assert one_or_two.nouns == {"drone"} and one_or_two.values == {"1", "2"}
    stated = agreement_ask("Did all outlets say seven guards were hurt?")
    assert stated is not None and "guard" in stated.nouns and "7" in stated.values
    things = agreement_ask("Was it a drone or rockets?")
    assert things is not None and {"drone", "rocket"} <= things.values


def _s(text: str, doc: str, score: float) -> Sentence:
    return Sentence(text, doc, "2024-03-02", score)


def test_gather_quotes_the_other_side_before_more_of_the_same() -> None:
    ask = agreement_ask("Do the reports agree that it was a barge attack?")
    assert ask is not None
    sentences = [
        _s("The barge attack damaged the pier on Saturday.", "a", 0.9),
        _s("Officials said the barge attack was deliberate.", "a", 0.85),  # same article
        _s("A second barge attack hit the pier, witnesses said.", "b", 0.8),  # agrees
        _s("The harbour master blamed a tugboat attack for the damage.", "c", 0.3),  # differs
        _s("The weather was calm all weekend.", "d", 0.7),  # silent on it
    ]
    chosen = gather(ask, sentences)
    assert chosen[:2] == [0, 3]  # the best, then the other side, though it scores lower
    assert set(chosen) == {0, 2, 3}  # one sentence an article; the silent one is not quoted
    assert len({sentences[i].doc_id for i in chosen}) == len(chosen)


def test_gather_needs_two_articles_stating_the_detail() -> None:
    ask = agreement_ask("Do the reports agree that it was a barge attack?")
    assert ask is not None
    only_one = [
        _s("The barge attack damaged the pier on Saturday.", "a", 0.9),
        _s("The weather was calm all weekend.", "b", 0.7),
    ]
    assert gather(ask, only_one) == []


def test_gather_counts_one_thing_written_with_an_article() -> None:
    ask = agreement_ask("Was it one drone or two, do the reports agree?")
    assert ask is not None
    sentences = [
        _s("Two drones were launched at the compound before dawn.", "a", 0.9),
        _s("Two officials said a drone hit the compound.", "b", 0.5),
        _s("Two drones flew over the compound, residents said.", "c", 0.6),
    ]
    chosen = gather(ask, sentences)
    assert chosen[:2] == [0, 1]
    cites = [
        Citation(n, sentences[i].doc_id, "t", sentences[i].text, 0, len(sentences[i].text), None, None, None)
        for n, i in enumerate(chosen, start=1)
    ]
    result = compare(cites, "Was it one drone or two?", kinds=ask.kinds, counted=ask.nouns)
    assert [(d.kind, d.slot) for d in result.differences] == [("number", "drone")]
    # "two officials" is not a count of drones, and without a question counting drones "a drone" counts nothing
    assert not compare(cites[1:]).differ


@pytest.fixture(scope="module")
def docs() -> dict[str, Document]:
    return {d.doc_id[:3]: d for d in load_corpus(CORPUS).documents}


def test_a_count_question_compares_the_count_not_who_reported_it(docs: dict[str, Document]) -> None:
    """Both say seven; they credit different outlets, which a count question did not ask."""
    pair = [_cite(docs, 1, *CNN), _cite(docs, 2, *CBS)]
    question = "Do the articles agree on how many guards were wounded?"
    ask = agreement_ask(question)
    assert ask is not None
    asked = compare(pair, question, kinds=ask.kinds, counted=ask.nouns)
    assert not asked.differ
    assert "agree on the number: seven" in asked.render()
    assert compare(pair, question).differ  # every kind compared: the attribution differs


def test_the_service_cites_both_sides_of_rocket_versus_drone(fake_service: Any) -> None:
    """End to end on the shipped corpus: 002 and 004's lead say a rocket attack, the others a
    drone attack; both sides are quoted, from different articles."""
    answer = fake_service.answer("Do the reports agree that it was a drone attack?")
    assert not answer.refused
    assert answer.agreement == "differ"
    note = answer.answer[answer.answer.index("Reports differ on the attack:") :]
    assert "rocket" in note and "drone" in note
    rocket = [c for c in answer.citations if "rocket attack" in c.excerpt]
    drone = [c for c in answer.citations if "drone attack" in c.excerpt or "by an armed drone" in c.excerpt]
    assert rocket and drone
    assert {c.doc_id for c in rocket}.isdisjoint({c.doc_id for c in drone})
    assert 2 <= len(answer.citations) <= 4


def test_a_thing_is_compared_only_where_the_question_names_what_it_was() -> None:
    named = agreement_ask("Do the reports agree that it was a drone attack?")
    assert named is not None and {"drone", "attack"} <= named.values
    predicate = agreement_ask("Do the reports agree it was a barge?")
    assert predicate is not None and "barge" in predicate.values
    mentioned = agreement_ask("Do all articles say the attack targeted his residence?")
    assert mentioned is not None and not mentioned.values  # "attack" is only mentioned
    sentences = [
        _s("The tugboat attack damaged the residence.", "a", 0.9),
        _s("A barge attack damaged the residence, officials said.", "b", 0.8),
    ]
    assert gather(mentioned, sentences) == []  # so "tugboat" vs "barge" is not what it asks


def test_the_other_side_is_found_by_what_the_named_thing_is_a_value_of() -> None:
    from answering.sides import slot_words

    ask = agreement_ask("Do the reports agree it was a barge?")
    assert ask is not None
    texts = ["Witnesses said a barge attack hit the pier at dawn. Nobody was hurt.", "The weather was calm."]
    assert slot_words(ask, texts) == ["attack"]
    count = agreement_ask("Do the reports agree on how many sailors were hurt?")
    assert count is not None and slot_words(count, texts) == []


@pytest.mark.parametrize(
    "question",
    [
        "Do the articles agree on how many guards were wounded?",
        "Did all outlets say seven guards were hurt?",
        "Do the reports agree that the prime minister was unharmed?",
        "Do the reports agree on who condemned the attack?",
    ],
)
def test_no_differ_where_the_reports_agree(fake_service: Any, question: str) -> None:
    answer = fake_service.answer(question)
    assert "Reports differ" not in answer.answer
    assert answer.agreement != "differ"


def test_with_nothing_checkable_the_answering_sentences_of_several_articles_are_quoted() -> None:
    from answering.sides import corroborate

    sentences = [
        _s("The minister was unharmed, his office said.", "a", 0.9),
        _s("The minister was not hurt in the attack.", "a", 0.85),  # same article
        _s("Officials said the minister was unharmed.", "b", 0.7),
        _s("Officials said the minister was unharmed.", "c", 0.7),  # the same wire sentence
        _s("The weather was calm.", "d", 0.2),  # does not answer
    ]
    assert corroborate(sentences, 0.5) == [0, 2]
    assert corroborate(sentences, 0.95) == []  # the best does not answer: nothing to quote
    assert corroborate(sentences, 0.8) == []  # one article alone: the answerer's own answer


def test_a_question_asking_who_reported_a_claim_compares_every_cited_report(docs: dict[str, Document]) -> None:
    """"Which outlet reported injuries?": the question names the claim, so 004's "Al Arabiya has
    reported injuries" and 001's "as CNN reported" are compared though worded apart."""
    arabiya = (
        "004",
        "Al Arabiya has reported injuries after the drone attack on Iraqi PM Mustafa al-Kadhimi's residence in "
        "Baghdad.",
    )
    pair = [_cite(docs, 1, *arabiya), _cite(docs, 2, *CNN)]
    question = "Which outlet reported injuries?"
    ask = agreement_ask(question)
    assert ask is not None and ask.claim_verbs == {"report"}
    asked = compare(pair, question, kinds=ask.kinds, claim_verbs=ask.claim_verbs)
    assert [d.kind for d in asked.differences] == ["attribution"]
    assert "Al Arabiya" in asked.render() and "CNN" in asked.render()
    assert not compare(pair, question, kinds=ask.kinds).differ  # not the same words: not compared
