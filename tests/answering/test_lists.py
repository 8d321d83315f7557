"""List questions (``answering.lists``): which questions ask for several answers, what an item
of the asked kind is, and which sentences a list answer gathers; with real spaCy."""

from __future__ import annotations

import numpy as np
import pytest

from answering import lists
from answering.answerhood import question_info
from answering.language import PERSONISH, Analyzer


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


# Closeness in meaning of single words, as the word embeddings would give it (a fake: the
# answerer uses ``SentenceCache.similarity``).
_NEAR = {frozenset(p): v for p, v in {("lifeboat", "boat"): 0.7, ("tugboat", "boat"): 0.65}.items()}


def _similar(a: str, b: str) -> float:
    return 1.0 if a == b else _NEAR.get(frozenset((a, b)), 0.1)


def _kind(label: str) -> frozenset[str]:
    return frozenset({label})


@pytest.mark.parametrize(
    ("question", "explicit", "noun"),
    [
        ("Which roads were closed?", True, "road"),
        ("name the hospitals that diverted ambulances", True, "hospital"),
        ("What were the main demands of the union?", True, "demand"),  # of a thing, not a kind
        ("what possible causes of the collapse have been put forward?", True, "cause"),
        ("who all spoke at the hearing?", True, None),  # says so without a plural noun
        ("what kinds of stolen files did the gang post?", True, "file"),  # the files, not the kinds
        # the small model tags "places" as a verb here
        ("Which places in Ellisford have families gathered at during the disaster?", True, "place"),
        ("Who condemned the attack?", False, None),  # several may have: gathered, but weakly
    ],
)
def test_a_question_that_asks_for_several_answers(
    analyzer: Analyzer, question: str, explicit: bool, noun: str | None
) -> None:
    ask = lists.list_ask(question_info(question, analyzer))
    assert ask is not None
    assert (ask.explicit, ask.noun) == (explicit, noun)


@pytest.mark.parametrize(
    "question",
    [
        "When did the strike start?",
        "How many guards were hurt?",
        "What was the cause?",
        "Was the minister hurt?",
    ],
)
def test_a_question_with_one_answer_is_not_a_list(analyzer: Analyzer, question: str) -> None:
    assert lists.list_ask(question_info(question, analyzer)) is None


def test_the_asked_nouns_kind_is_widened_to_its_group(analyzer: Analyzer) -> None:
    """ "What different totals were given?": the noun's embedding is closest to MONEY, the
    totals are CARDINAL: every number label counts."""
    q = question_info("What different injury totals were reported?", analyzer)
    ask = lists.list_ask(q, lambda noun: _kind("MONEY"))
    assert ask is not None and {"CARDINAL", "MONEY", "QUANTITY"} <= ask.labels
    assert "PERSON" not in ask.labels


def _gather(analyzer: Analyzer, question: str, texts: list[str], scores: list[float], labels: str) -> list[int]:
    q = question_info(question, analyzer)
    ask = lists.list_ask(q, lambda noun: _kind(labels))
    assert ask is not None and texts
    analyses = analyzer.analyse_many(texts)
    best = int(np.argmax(scores))
    return lists.gather(
        ask,
        analyses,
        np.asarray(scores),
        [len(t) for t in texts],
        [best],
        asked=q.analysis.lemmas | q.analysis.words,
        kin=lists.kin_of(ask, _similar),
    )


def test_a_list_gathers_each_new_item_once_across_sentences(analyzer: Analyzer) -> None:
    texts = [
        "Passengers were taken off the ferry by lifeboats.",
        "Passengers were taken off the ferry by lifeboats, the coastguard said.",  # wire copy
        "Fishing boats from the harbour also helped.",  # a new kind of boat
        "The weather was calm that evening.",  # likely, but names no boat
        "A tugboat stood by until the last passenger was ashore.",
        "Fishing boats came out from the harbour.",  # names no boat not named already
    ]
    got = _gather(
        analyzer,
        "Which boats were used to take passengers off the ferry?",
        texts,
        [0.9, 0.85, 0.5, 0.6, 0.45, 0.44],
        "PRODUCT",
    )
    assert got == [0, 2, 4]


def test_who_gathers_the_other_names_as_likely_as_the_best(analyzer: Analyzer) -> None:
    texts = [
        "The United States condemned the attack.",
        "The United States strongly condemned the attack on Sunday.",  # the same again
        "Iran's foreign ministry also condemned the attack.",
        "The attack happened before dawn.",
        "Turkey said it was following events.",  # a name, but not likely enough
    ]
    q = question_info("Who condemned the attack?", analyzer)
    ask = lists.list_ask(q)
    assert ask is not None and ask.labels == q.wants and ask.labels & PERSONISH
    got = _gather(analyzer, "Who condemned the attack?", texts, [0.9, 0.85, 0.7, 0.8, 0.3], "PERSON")
    assert got == [0, 2]


def test_a_sentence_holding_three_items_is_the_whole_list(analyzer: Analyzer) -> None:
    texts = [
        "The passengers were taken off by lifeboats, fishing boats and a tugboat.",
        "Navy boats arrived later that night.",  # another item, but the list is made
    ]
    got = _gather(analyzer, "Which boats took passengers off the ferry?", texts, [0.9, 0.7], "PRODUCT")
    assert got == [0]


def test_the_analysis_holds_noun_phrases_and_the_of_noun(analyzer: Analyzer) -> None:
    a = analyzer.analyse(
        "Passengers were taken off by lifeboats, fishing boats and the ferry's own rescue craft."
    )
    heads = {p.head for p in a.phrases}
    assert {"lifeboat", "boat", "craft"} <= heads
    assert any(p.lemmas == {"fishing", "boat"} for p in a.phrases)
    q = analyzer.analyse("What kinds of personal information were stolen?")
    assert (q.wh_noun, q.of_noun) == ("kind", "information")


def test_the_names_most_articles_mention_are_not_items(analyzer: Analyzer) -> None:
    """ "Which passengers were quoted?": the ferry company every report names is the story's
    actor, not a passenger; without the articles it counts (an organisation, like a person)."""
    texts = [
        "Aoife Brennan, a passenger, said she felt a huge bang.",
        "Westway Ferries said the passengers were safe.",
        "Westway Ferries said it had suspended all sailings.",
        "Maureen Quinn, a retired postmistress, praised the crew.",
    ]
    docs = ["a", "b", "c", "c"]
    question = "Which passengers were quoted in the coverage?"
    q = question_info(question, analyzer)
    ask = lists.list_ask(q, lambda noun: _kind("PERSON"))
    assert ask is not None and "ORG" in ask.labels
    analyses = analyzer.analyse_many(texts)

    def gather(articles: list[str]) -> list[int]:
        return lists.gather(
            ask,
            analyses,
            np.asarray([0.9, 0.45, 0.3, 0.5]),
            [len(t) for t in texts],
            [0],
            asked=q.analysis.lemmas | q.analysis.words,
            kin=lists.kin_of(ask, _similar),
            docs=articles,
        )

    assert gather(docs) == [0, 3]
    assert gather([]) == [0, 3, 1]


def test_a_name_and_its_noun_phrase_are_one_item(analyzer: Analyzer) -> None:
    """ "The United States" is an entity and a noun phrase headed by a country-like word: one
    item, so two sentences naming two countries are not yet a list of three."""
    texts = [
        "The United States condemned the attack.",
        "Iran condemned the attack on Sunday.",
        "The president of the Kurdish region also condemned the attack.",
    ]
    near = {frozenset(("states", "country")): 0.6, frozenset(("state", "country")): 0.6}
    q = question_info("Which countries condemned the attack?", analyzer)
    ask = lists.list_ask(q, lambda noun: _kind("GPE"))
    assert ask is not None and ask.explicit
    got = lists.gather(
        ask,
        analyzer.analyse_many(texts),
        np.asarray([0.98, 0.97, 0.8]),
        [len(t) for t in texts],
        [0, 1],
        asked=q.analysis.lemmas | q.analysis.words,
        kin=lists.kin_of(ask, lambda a, b: 1.0 if a == b else near.get(frozenset((a, b)), 0.1)),
    )
    assert got == [0, 1, 2]
