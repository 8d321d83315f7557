"""Sixth-session disagreement classes (issue 13): yes/no stances, durations, weekday dates, counts
written "six others", a count's compound noun, and a value said of the asked thing in a sentence
that does not answer the question (real spaCy; word vectors only in the slow test)."""

from __future__ import annotations

from typing import Any

import pytest

from answering.agreement import compare, facts
from answering.asking import proposition, value_kinds
from answering.models import Citation
from answering.sides import Sentence, agreement_ask, gather
from answering.stance import stance, stance_sides, with_stances


def _cite(n: int, text: str, published: str = "2026-05-14", source: str | None = None) -> Citation:
    return Citation(n, f"d{n}", "t", text, 0, len(text), None, source or f"Outlet {n}", published)


# --- yes/no stances ------------------------------------------------------------------------------

STEERING = "Do the reports agree on whether a steering problem caused the grounding?"
STATES = "Hale said there may have been a steering problem in the minutes before the grounding."
DENIES = "Investigators have so far found no steering problem that could explain the grounding."


def test_a_yes_no_question_proposes_its_clause() -> None:
    assert proposition(STEERING) == {"steering", "problem", "cause", "grounding"}
    assert proposition("Do all outlets agree the crew was evacuated?") >= {"crew", "evacuate"}
    assert proposition("Do the reports agree on how many people were hurt?") == frozenset()


def test_a_report_denying_what_another_states_differs() -> None:
    keys = proposition(STEERING)
    said, denied = stance(STATES, keys), stance(DENIES, keys)
    assert said is not None and not said.denies
    assert denied is not None and denied.denies
    result = with_stances(
        compare([_cite(1, STATES), _cite(2, DENIES)], STEERING), [_cite(1, STATES), _cite(2, DENIES)], keys
    )
    assert result.differ
    assert result.render().startswith("Reports differ: [1] (Outlet 1, 2026-05-14) says")


@pytest.mark.parametrize(
    "text",
    [
        "No terrorist group has so far claimed responsibility for the drone attack.",  # "no" on another noun
        "Cowardly rocket and drone attacks don't build homelands.",  # a negated verb that is not the claim
        "It was too early to say whether a drone attack had happened.",  # an embedded question
    ],
)
def test_negation_elsewhere_in_the_sentence_is_no_denial(text: str) -> None:
    found = stance(text, proposition("Do the reports agree that it was a drone attack?"))
    assert found is None or not found.denies


def test_stance_sides_quote_both_stances_from_different_articles() -> None:
    keys = proposition(STEERING)
    sentences = [
        Sentence(STATES, "a", None, 0.9),
        Sentence("The company said a steering problem may have caused the grounding.", "a", None, 0.8),
        Sentence(DENIES, "b", None, 0.02),
    ]
    assert stance_sides(keys, sentences) == [0, 2]
    assert stance_sides(keys, sentences[:2]) == []  # one article, one stance


@pytest.mark.slow
def test_a_denial_in_other_words_is_found_with_word_vectors(embeddings: Any) -> None:
    """'no fault in the ferry's steering system' denies 'a steering problem' (fault ~ problem)."""
    from answering.sentences import SentenceCache

    similar = SentenceCache(embeddings).similarity
    keys = proposition(STEERING)
    found = stance("Investigators have so far found no fault in the ferry's steering system.", keys, similar)
    assert found is not None and found.denies


# --- durations -------------------------------------------------------------------------------------


def test_a_set_length_and_an_open_end_differ_and_the_same_length_agrees() -> None:
    assert "duration" in value_kinds("how long will the mine be shut?")
    thirty = "The inspectorate ordered all work at the mine to stop for at least 30 days."
    open_ended = "The company said the mine would remain closed indefinitely."
    month = "The mine will be shut for thirty days while the inquiry runs."
    asked = {"kinds": frozenset({"value"}), "values": frozenset({"duration"})}
    result = compare([_cite(1, thirty), _cite(2, open_ended)], **asked)  # type: ignore[arg-type]
    assert [d.kind for d in result.differences] == ["value"]
    assert "says indefinitely" in result.render()
    assert not compare([_cite(1, thirty), _cite(2, month)], **asked).differ  # type: ignore[arg-type]
    assert not [f for f in facts("He was released 30 days ago.") if f.slot == "duration"]


# --- counts ------------------------------------------------------------------------------------------


def test_six_others_counts_what_the_question_counts() -> None:
    ask = agreement_ask("Do the reports agree on how many workers were hurt?")
    assert ask is not None
    result = compare(
        [
            _cite(1, "Four workers were hurt escaping the collapse."),
            _cite(2, "Six others were hurt in the collapse."),
        ],
        kinds=ask.kinds,
        counted=ask.nouns,
        claim=ask.claim,
    )
    assert [d.kind for d in result.differences] == ["number"]


def test_a_count_of_crew_members_is_a_count_of_crew() -> None:
    ask = agreement_ask("Do the reports agree on how many crew members were on board the Orla Castellan?")
    assert ask is not None
    assert {"member", "crew"} <= ask.nouns
    assert "castellan" not in ask.claim  # a name is not what is said of the crew
    result = compare(
        [_cite(1, "The ship sailed with 24 crew members on board."), _cite(2, "She had 21 crew on board.")],
        kinds=ask.kinds,
        counted=ask.nouns,
        claim=ask.claim,
    )
    assert result.differ


# --- weekdays -----------------------------------------------------------------------------------------


def test_a_weekday_is_a_day_of_its_articles_week_compared_when_a_day_is_asked() -> None:
    wednesday = _cite(1, "Lindqvist declared general average on Wednesday.", "2026-05-14")  # a Thursday
    tuesday = _cite(2, "Lindqvist declared general average on Tuesday.", "2026-05-13")
    same_day = _cite(3, "Lindqvist declared general average on Wednesday.", "2026-05-15")
    question = "which day was general average declared, do the reports agree?"
    ask = agreement_ask(question)
    assert ask is not None and "date" in ask.kinds
    assert compare([wednesday, tuesday], question, kinds=ask.kinds).differ
    assert not compare([wednesday, same_day], question, kinds=ask.kinds).differ
    # not compared where the question does not ask which day
    assert not compare([wednesday, tuesday], "when was general average declared?", kinds=ask.kinds).differ
    ahead = facts("The channel is expected to reopen on Friday.", "2026-05-14")
    assert [f.value for f in ahead if f.kind == "date"] == ["05-15"]


# --- a value said of the asked thing -----------------------------------------------------------------


def test_a_value_said_of_the_asked_thing_is_a_side_though_the_sentence_answers_little() -> None:
    ask = agreement_ask("Was the borehole the same width in every report?")
    assert ask is not None
    sentences = [
        Sentence(
            "The borehole, about 15 centimetres wide, was drilled from the surface overnight.", "a", None, 0.9
        ),
        Sentence("The men survived on water sent down a 20-centimetre borehole.", "b", None, 0.01),
        Sentence("The town lies about 240 kilometres north of the capital.", "c", None, 0.01),
    ]
    assert gather(ask, sentences) == [0, 1]


# --- names ----------------------------------------------------------------------------------------


def test_one_name_spelled_two_ways_differs_and_other_people_do_not() -> None:
    question = "Is the spokesman's name given the same way by every outlet?"
    ask = agreement_ask(question)
    assert ask is not None and "name" in ask.kinds
    berg = _cite(1, "A spokesman, Anders Berg, said the company was cooperating fully.")
    bergh = _cite(2, "Anders Bergh, head of communications, said the team was working with the engine maker.")
    other = _cite(3, "Fiona Marchetti, a transport analyst, said it was a serious event.")
    short = _cite(4, "Berg said the company was cooperating fully.")
    spelled = compare([berg, bergh], question, kinds=ask.kinds)
    assert [d.kind for d in spelled.differences] == ["name"]
    assert "Reports differ on the name" in spelled.render()
    assert not compare([berg, other], question, kinds=ask.kinds).differ
    assert not compare([berg, short], question, kinds=ask.kinds).differ


def test_a_kind_written_as_a_hyphenated_modifier_is_compared_where_asked() -> None:
    question = "what flag does the ship fly - do the reports say the same thing"
    ask = agreement_ask(question)
    assert ask is not None
    liberian = "The Liberian-flagged ship came to rest diagonally across the channel."
    marshall = "The Marshall Islands-flagged, 180-metre vessel grounded at the bend."
    assert ("flag", "liberian") in {(f.slot, f.value) for f in facts(liberian) if f.kind == "thing"}
    result = compare([_cite(1, liberian), _cite(2, marshall)], question, kinds=ask.kinds)
    assert "Reports differ on the flag" in result.render()
    sentences = [Sentence(marshall, "a", None, 0.8), Sentence(liberian, "b", None, 0.6)]
    assert gather(ask, sentences) == [0, 1]


def test_they_differing_on_a_question_is_an_agreement_question() -> None:
    ask = agreement_ask("do they differ on how long the river was blocked")
    assert ask is not None and "duration" in ask.asked_values
    assert agreement_ask("Did they agree on a pay deal?") is None  # people agreeing, not reports


def test_a_measure_of_a_near_synonym_of_the_asked_thing_is_a_side() -> None:
    """ "a 172-metre feeder vessel" states the ship's length (ship ~ vessel, a word-vector cosine;
    here a fixed one, as ``SentenceCache.similarity`` gives 0.53)."""

    def similar(a: str, b: str) -> float:
        return 1.0 if a == b else 0.53 if {a, b} == {"ship", "vessel"} else 0.0

    ask = agreement_ask("Is the ship's length the same in all the reports?")
    assert ask is not None
    sentences = [
        Sentence("The Orla Castellan, a 172-metre feeder vessel, struck the bank at dawn.", "a", None, 0.28),
        Sentence(
            "The Marshall Islands-flagged, 180-metre vessel, built in 2007, grounded at the bend.",
            "b",
            None,
            0.02,
        ),
    ]
    assert gather(ask, sentences, similar=similar) == [0, 1]
    assert gather(ask, sentences) == []  # without the word similarity: the same noun only


def test_an_asked_kind_of_value_is_the_detail_compared() -> None:
    """ "The estimates of the salvage bill" ask for money (a noun naming a kind of value): the
    amounts of two articles are the sides, not the "salvage master" of a third; "£9 million" is
    said of the salvage operation though the answerer scores the sentence low."""
    question = "Do the estimates of the salvage bill match?"
    ask = agreement_ask(question)
    assert ask is not None and "money" in ask.asked_values
    sentences = [
        Sentence(
            "Industry sources estimate that the salvage bill alone could reach £6 million.", "a", None, 0.9
        ),
        Sentence("Salvage master Pieter Vos said the crane barge had begun work.", "b", None, 0.5),
        Sentence("The salvage operation is expected to cost about £9 million, people said.", "c", None, 0.02),
    ]
    chosen = gather(ask, sentences)
    assert chosen == [0, 2]
    cites = [_cite(n + 1, sentences[i].text) for n, i in enumerate(chosen)]
    assert (
        "Reports differ on the amount"
        in compare(cites, question, kinds=ask.kinds, values=ask.asked_values).render()
    )
