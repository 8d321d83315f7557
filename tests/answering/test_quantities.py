"""Counts compared only with counts of the same thing, the question an agreement question asks
the reports, values (times, money, measures) and days named by weekday. Over small texts written
for these tests (a flood, a bridge, a ferry), not the shipped articles."""

from __future__ import annotations

from typing import Any

import pytest

from answering.agreement import compare, facts, parse
from answering.asking import inner_question
from answering.dates import names_day, parse_question_dates
from answering.models import Citation
from answering.quantities import same_quantity
from answering.sides import Sentence, agreement_ask, gather
from answering.values import values


def _cites(*texts: str) -> list[Citation]:
    return [
        Citation(n, f"doc{n}", "t", text, 0, len(text), None, f"Outlet {n}", "2026-03-12")
        for n, text in enumerate(texts, start=1)
    ]


def _counts(text: str) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    return {f.value: (f.nouns, f.claim) for f in facts(text) if f.kind == "number"}


def test_a_count_knows_what_it_counts_and_what_is_said_of_it() -> None:
    assert _counts("The flood affects roughly 12,000 residents.")["12000"] == (
        frozenset({"resident"}),
        frozenset({"affect"}),
    )
    assert _counts("The council employs about 900 residents.")["900"][1] == {"employ"}
    # no noun of its own: the noun of the verb's counted subject, and what is said of it
    nouns, claim = _counts("The number of passengers injured rose to 19 on Friday.")["19"]
    assert nouns == {"passenger"} and "injure" in claim
    assert _counts("Seven of the ferry's crew were hurt.")["7"][1] == {"hurt"}
    assert "2" not in _counts("Two more passengers went to hospital.")  # a change, not a count


def test_counts_of_different_claims_do_not_differ() -> None:
    """12,000 residents affected and 900 residents employed are not a disagreement (before: the
    same counted noun was enough, and this said "Reports differ")."""
    result = compare(
        _cites("The flood affects roughly 12,000 residents.", "The council employs about 900 residents.")
    )
    assert not result.differ


def test_counts_of_the_same_claim_still_differ() -> None:
    result = compare(
        _cites(
            "Seventeen passengers were injured when the ferry ran aground.",
            "The ferry grounding injured 19 passengers.",
        )
    )
    assert [d.kind for d in result.differences] == ["number"]
    assert {s.value for s in result.differences[0].sides} == {"17", "19"}


def test_a_count_question_compares_only_counts_of_what_it_asks() -> None:
    question = "Do the reports agree on how many residents were affected?"
    ask = agreement_ask(question)
    assert ask is not None and ask.nouns == {"resident"} and ask.claim == {"affect"}
    sentences = [
        Sentence("The flood affects roughly 12,000 residents.", "a", None, 0.9),
        Sentence("The council employs about 900 residents.", "b", None, 0.8),
        Sentence("About 11,000 residents were affected, officials said.", "c", None, 0.7),
    ]
    chosen = gather(ask, sentences)
    assert chosen == [0, 2]  # not the 900 employed
    cites = _cites(*(sentences[i].text for i in chosen))
    result = compare(cites, question, kinds=ask.kinds, counted=ask.nouns, claim=ask.claim)
    assert result.differ and {s.value for s in result.differences[0].sides} == {"12000", "11000"}


def test_a_count_question_reads_counts_only_where_its_event_is_named() -> None:
    """ "in the 2019 flood": four residents hurt in this week's storm are another count."""
    ask = agreement_ask("how many residents were hurt in the 2019 flood, do reports agree?")
    assert ask is not None and "flood" in ask.context
    sentences = [
        Sentence("In 2019 a flood hurt three residents.", "a", None, 0.9),
        Sentence("Four residents were hurt in the storm.", "b", None, 0.8),
        Sentence("The 2019 flood hurt three residents, the council said.", "c", None, 0.7),
    ]
    chosen = gather(ask, sentences)
    assert 1 not in chosen
    result = compare(
        _cites(*(sentences[i].text for i in chosen)), kinds=ask.kinds, counted=ask.nouns, claim=ask.claim
    )
    assert not result.differ


@pytest.mark.slow
def test_word_vectors_match_a_claim_written_with_another_word(embeddings: Any) -> None:
    """ "wounded" and "injured" say the same of the guards (cosine 0.51 of the lemmas); "killed"
    does not."""
    from answering.sentences import SentenceCache

    similar = SentenceCache(embeddings).similarity
    guards = frozenset({"guard"})
    assert same_quantity(guards, frozenset({"wound"}), guards, frozenset({"injure"}), similar)
    assert not same_quantity(guards, frozenset({"kill"}), guards, frozenset({"injure"}), similar)
    result = compare(
        _cites("Seven guards were wounded in the raid.", "Nine guards were injured in the raid."),
        similar=similar,
    )
    assert result.differ
    assert not compare(
        _cites("Seven guards were wounded in the raid.", "Two guards were killed in the raid."), similar=similar
    ).differ


@pytest.mark.parametrize(
    ("question", "inner"),
    [
        ("Do the reports agree on how many people were hurt?", "how many people were hurt?"),
        ("how many people were hurt, do the reports agree?", "how many people were hurt?"),
        ("What time did the bridge close - do the outlets agree?", "What time did the bridge close?"),
        ("Do the reports agree on the date of the vote?", "what date was the vote?"),
        ("Do the reports agree on the exact time of the grounding?", "what time was the grounding?"),
        ("Is the cost of the repairs the same in every report?", "what was the cost of the repairs?"),
        ("Is there any disagreement about who runs the port?", "who runs the port?"),
        ("Was the number of boats sunk the same everywhere?", "what was the number of boats sunk?"),
        ("what did the outlets call the storm, the same thing in each?", "what did they call the storm?"),
        ("Do the reports agree that it was a barge?", "it was a barge?"),
    ],
)
def test_an_agreement_question_is_read_as_the_question_it_asks_the_reports(question: str, inner: str) -> None:
    assert agreement_ask(question) is not None
    assert inner_question(question) == inner


def test_comparisons_of_reports_without_a_word_for_reports() -> None:
    assert agreement_ask("Is there any disagreement about how many boats sank?") is not None
    assert agreement_ask("Was the toll the same everywhere?") is not None
    assert agreement_ask("Did everyone say the bridge was closed?") is not None
    assert agreement_ask("Did the union agree to the deal?") is None  # someone agrees
    assert agreement_ask("Did everyone survive the flood?") is None
    assert agreement_ask("Is everyone safe?") is None
    assert agreement_ask("Were the two storms on the same day?") is None


def test_values_a_question_asks_for_are_compared() -> None:
    assert [(f.slot, f.value) for f in values(parse("The bridge closed at about 2:40 a.m. on Monday."))] == [
        ("time", "02:40")
    ]
    question = "What time did the bridge close - do the outlets agree?"
    ask = agreement_ask(question)
    assert ask is not None and "time" in ask.asked_values
    cites = _cites("The bridge closed at about 2:40 a.m. on Monday.", "The bridge was shut at 3:15 a.m.")
    result = compare(cites, question, kinds=ask.kinds, values=ask.asked_values)
    assert result.differ and "Reports differ on the time" in result.render()
    same = _cites("The bridge closed at about 2:40 a.m. on Monday.", "Police shut the bridge at 2:40 am.")
    assert not compare(same, question, kinds=ask.kinds, values=ask.asked_values).differ
    # money and measures with their units; a count of men is not a measure
    money = values(parse("The council set aside $4.2 million for repairs."))
    assert [(f.slot, f.value) for f in money] == [("money", "4200000")]
    measures = values(parse("A 20-centimetre pipe lies about 15 metres below the road, and six men dug."))
    assert sorted((f.slot, f.value) for f in measures) == [
        ("measure:centimetre", "20"),
        ("measure:metre", "15"),
    ]
    # not compared when the question does not ask for that kind of value
    assert not compare(cites, "Do the reports agree on who closed the bridge?").differ


@pytest.mark.parametrize(
    ("published", "named"),
    [("2026-03-12", True), ("2026-03-16", True), ("2026-03-20", False), ("2026-03-11", False)],
)
def test_a_weekday_names_the_day_in_the_week_up_to_its_article(published: str, named: bool) -> None:
    """ "What happened on March 12?" (a Thursday) is answered by "on Thursday" in a report of
    March 12 to 18, not in one of March 20 (the next Thursday) or of March 11."""
    from datetime import date

    query = parse_question_dates("What happened on March 12?", date(2026, 3, 20))
    assert query is not None
    assert names_day(query, "Crews reopened the bridge on Thursday.", published) is named
    assert names_day(query, "The bridge reopened on March 12.", "2026-03-13")


def test_a_day_that_names_a_thing_is_not_the_day_asked_about() -> None:
    from answering.dates import asks_about_day

    assert asks_about_day("What happened on March 12?")
    assert asks_about_day("What did the council do on Friday?")
    assert not asks_about_day("How did the fire start, according to the council's June 5 account?")


def test_reported_by_names_the_outlets() -> None:
    """ "Which outlets reported the bridge closed?" is answered by who they are, not how many."""
    cites = _cites(
        "The bridge closed on Monday night, police said.", "Police closed the bridge on Monday night."
    )
    assert compare(cites).render() == "Reported by 2 outlets: Outlet 1 and Outlet 2."


BRIDGE = [
    (
        "b1",
        "2026-03-12",
        "Crews reopened the Kell Street bridge on Thursday after a week of repairs. "
        "The council had closed the bridge on March 5 after engineers found cracks in a support beam. "
        "Traffic on the ring road was heavy all week.",
    ),
    (
        "b2",
        "2026-03-13",
        "Engineers said the repairs to the bridge cost less than expected. "
        "A cyclist was hurt on the ring road on Tuesday. "
        "Buses returned to the bridge route on Thursday, the transport authority said.",
    ),
]


def test_a_day_question_quotes_what_happened_that_day(settings: Any, fake_embeddings: Any) -> None:
    """ "What happened on March 12?" over reports that say "on Thursday" (March 12 in a report of
    March 12 or 13): the sentences naming that day are quoted, however few words they share
    with the question."""
    from answering.factory import build_answering
    from index.models import Document
    from tests.answering.fakes import FakeReader

    docs = [Document(doc_id=i, title=i, text=t, published=p, source=f"Outlet {i}") for i, p, t in BRIDGE]
    service = build_answering(settings, FakeReader(docs, fake_embeddings), fake_embeddings)
    answer = service.answer("What happened on March 12?")
    assert not answer.refused
    assert answer.citations and all("Thursday" in c.excerpt for c in answer.citations)


FERRY = [
    ("f1", "2026-06-13", "Seventeen passengers were injured when the ferry ran aground on Thursday evening."),
    ("f2", "2026-06-14", "The grounding injured 19 passengers, the hospital said on Friday."),
    (
        "f3",
        "2026-06-14",
        "The ferry carries up to 300 passengers on the crossing. The company runs four ferries.",
    ),
]


def test_the_service_compares_only_counts_of_what_is_asked(settings: Any, fake_embeddings: Any) -> None:
    """ "how many passengers were injured, do the reports agree?": 17 vs 19 injured differ; the
    300 passengers a ferry carries are another count (before, counted passengers all compared)."""
    from answering.factory import build_answering
    from index.models import Document
    from tests.answering.fakes import FakeReader

    docs = [Document(doc_id=i, title=i, text=t, published=p, source=f"Outlet {i}") for i, p, t in FERRY]
    service = build_answering(settings, FakeReader(docs, fake_embeddings), fake_embeddings)
    answer = service.answer("how many passengers were injured, do the reports agree?")
    assert answer.agreement == "differ"
    note = answer.answer[answer.answer.index("Reports differ") :]
    assert "Seventeen passengers" in note and "19 passengers" in note and "300" not in note
