"""What a question asks for and names (``answering.answerhood.question_info``), with real spaCy."""

from __future__ import annotations

import pytest

from answering.answerhood import question_info
from answering.language import Analyzer


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many guards were hurt?", "number"),
        ("When did the strike start?", "when"),
        ("Where did the ferry sink?", "where"),
        ("Who condemned the attack?", "who"),
        ("What did the mayor say about the levee?", "say"),
        ("Was the minister hurt?", "yesno"),
        # the leading question word decides, not one in a clause after it
        ("how did he look when he went on tv afterwards?", "what"),
        ("what was the name of the protester who got killed?", "who"),
        ("At what exact hour did the levee break?", "what"),
        ("What was voter turnout in the election?", "what"),  # not "what did X say"
        ("how old is the mayor", "when"),
        ("and what did he call it?", "say"),
    ],
)
def test_the_kind_of_answer_asked_for(analyzer: Analyzer, question: str, kind: str) -> None:
    assert question_info(question, analyzer).kind == kind


@pytest.mark.parametrize(
    ("question", "not_names"),
    [
        ("wat did the protesters burn on nov 6", {"wat", "nov"}),  # a typo; part of a date
        ("which american official called it terrorism?", {"american"}),  # a nationality
        ("wht did the council decide", {"wht"}),
    ],
)
def test_typos_dates_and_nationalities_are_not_names(
    analyzer: Analyzer, question: str, not_names: set[str]
) -> None:
    """An "unknown name" makes the answerer refuse: a typo of a function word, a date or a
    nationality the articles say differently ("US") must not count as one."""
    named = set(question_info(question, analyzer).named)
    assert not named & not_names


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("What did Kadhimi say after the attack?", "kadhimi"),
        ("Did Mayor Reyes order the evacuation?", "reyes"),
        ("what did Biden say about it", "biden"),
    ],
)
def test_names_are_kept(analyzer: Analyzer, question: str, name: str) -> None:
    named = question_info(question, analyzer).named
    assert any(name in n.split() for n in named), named


def test_a_name_carries_the_title_other_sentences_give_it(analyzer: Analyzer) -> None:
    """News style names a person with a title once ("Mayor Ana Reyes", "council spokesman Tom
    Hale") and by name after; a question asking about "the mayor" is about Reyes."""
    from answering.answerhood import _titles

    sentences = analyzer.analyse_many(
        [
            "Mayor Ana Reyes ordered the evacuation of Eastwick on Friday.",
            "The order came after council spokesman Tom Hale said the levee had failed.",
            "Reyes said the town had minutes, not hours.",
        ]
    )
    titles = _titles(sentences)
    assert "mayor" in titles.get("reyes", set())
    assert "spokesman" in titles.get("hale", set())
    assert not titles.get("reyes", set()) & {"the", "on", "friday"}


def test_only_capitalised_names_can_be_unknown(analyzer: Analyzer) -> None:
    """Lower-case typing makes the tagger see names everywhere ("whats the max jail time");
    only a name the asker capitalised may make the answerer refuse as unknown."""
    casual = question_info("whats the max jail time the captain could get", analyzer)
    assert "max" not in casual.typed_names
    typed = question_info("What did Max Ortega say about the strike?", analyzer)
    assert any("ortega" in n for n in typed.typed_names)


def test_a_title_in_apposition_after_the_name(analyzer: Analyzer) -> None:
    from answering.answerhood import _titles

    titles = _titles(
        analyzer.analyse_many(
            [
                "Erik Lindqvist, the captain, was released on bail on Saturday.",
                "Fiona Gallagher, the union's general secretary, said the cuts were wrong.",
                "The harbour master, Liam Toner, said a zone had been set up.",
            ]
        )
    )
    assert "captain" in titles.get("lindqvist", set())
    assert {"union", "secretary"} <= titles.get("gallagher", set())
    assert "master" in titles.get("toner", set())


def test_what_is_questions_and_the_sentences_that_say_what_it_is(analyzer: Analyzer) -> None:
    assert question_info("What is the Green Zone?", analyzer).defining
    assert question_info("who's fiona gallagher", analyzer).defining
    assert not question_info("What did the union say?", analyzer).defining
    copula, apposition, mention = analyzer.analyse_many(
        [
            "The Green Zone is the location of government buildings and embassies.",
            "Fiona Gallagher, the union's general secretary, said the cuts were wrong.",
            "Protesters marched toward the Green Zone.",
        ]
    )
    assert {"green", "zone"} <= copula.defined
    assert {"fiona", "gallagher"} <= apposition.defined and "secretary" not in apposition.defined
    assert not mention.defined


@pytest.mark.parametrize(
    ("question", "noun", "plural"),
    [
        ("which roads were closed?", "road", True),  # lower case: the small model misparses it
        ("Which roads were closed?", "road", True),
        ("which 2 hospitals sent ambulances elsewhere", "hospital", True),
        ("What security changes did the company make?", "change", True),
        ("which hospital treated them?", "hospital", False),
        ("what did he say?", None, False),
        ("What were the main demands of the union?", "demand", True),  # no question word before it
        ("name the hospitals that diverted ambulances", "hospital", True),  # an imperative's object
        ("list the roads that were closed", "road", True),
        ("What was the cause?", None, False),
        # the small model tags "places" as a verb (VBZ) after "Which"
        ("Which places in Ellisford have families gathered at?", "place", True),
    ],
)
def test_the_thing_asked_about_and_whether_a_list_is_asked(
    analyzer: Analyzer, question: str, noun: str | None, plural: bool
) -> None:
    a = analyzer.analyse(question)
    assert (a.wh_noun, a.wh_plural) == (noun, plural)


def test_an_answer_knows_what_it_is_attached_to(analyzer: Analyzer) -> None:
    """A number or date carries the words it is attached to in the parse: "seven hospitals"
    answers how many hospitals, "at least 60 attacks" does not."""
    a = analyzer.analyse("The group runs seven hospitals and has claimed at least 60 attacks since 2023.")
    anchors = {e.text: e.anchors for e in a.entities}
    assert "hospital" in anchors["seven"]
    assert "attack" in anchors["at least 60"] and "hospital" not in anchors["at least 60"]
    money = analyzer.analyse("The gang asked for $2 million in bitcoin, a source said.")
    assert {"ask", "bitcoin"} <= money.entities[0].anchors


def test_a_name_and_a_number_beside_it_stay_apart(analyzer: Analyzer) -> None:
    """The small model tags "first" after a name as an ordinal; joining the two (as two name
    parts a space apart are joined) would turn the name into an ordinal and lose it."""
    a = analyzer.analyse("Red Harbor first appeared in early 2023, the company said.")
    assert [(e.text, e.label) for e in a.entities][:2] == [("Red Harbor", "GPE"), ("first", "ORDINAL")]


def test_the_slot_feature_prefers_the_number_of_the_asked_thing(analyzer: Analyzer) -> None:
    """For "how many ships", a sentence whose number counts ships has the slot; one whose number
    counts something else near the same topic does not."""
    import numpy as np

    from answering.answerhood import FEATURES, WordStats, features

    q = question_info("How many ships did the company lose?", analyzer)
    counted, other = analyzer.analyse_many(
        [
            "The company lost four ships in the storm, its owner said.",
            "The company, which lost money in the storm, employs 900 people.",
        ]
    )
    stats = WordStats(lambda w: 1.0, lambda: 1.0)
    rows = features(q, [counted, other], [None, None], [0.5, 0.5], [0, 0], stats)
    slot, wh_slot = FEATURES.index("slot"), FEATURES.index("wh_slot")
    assert rows[0, wh_slot] == 1.0 and rows[1, wh_slot] == 0.0
    assert rows[0, slot] > rows[1, slot]
    assert np.isfinite(rows).all()


def test_a_lemma_the_keyword_index_does_not_know_counts_by_its_written_form(analyzer: Analyzer) -> None:
    """The keyword index stems what is written ("held", "data"); spaCy's lemma ("hold", "datum")
    may be no index term. The word then weighs what its written form weighs, not what an
    unseen word weighs, and is not unknown."""
    from answering.answerhood import WordStats

    idf = {"held": 1.0, "data": 0.5, "elect": 2.0}
    stats = WordStats(lambda w: idf.get(w, 0.0), lambda: 9.0)
    q = question_info("When were the elections held?", analyzer)
    written = dict(q.analysis.forms)
    assert written.get("hold") == "held"
    assert stats.weight("hold", ["held"]) == 1.0
    assert stats.weight("hold") == 9.0
    assert not stats.unseen_as("hold", ["held"]) and stats.unseen_as("hold")
