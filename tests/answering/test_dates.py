"""Dates in questions: resolved with dateparser against the newest article date, used in retrieval."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest

from answering.dates import (
    DateQuery,
    Event,
    asks_about_day,
    event_day,
    event_of,
    parse_question_dates,
    weekday_days,
)
from answering.day_weight import clock_times, day_weight
from answering.recency import recency_topic, report_order
from answering.retrieval import HybridRetriever
from index.loaders import make_document
from index.models import ScoredChunk
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
        # a weekday alone: the last such day up to the newest article date (Sunday 2021-11-07)
        ("What did Kadhimi say on Sunday?", DateQuery(D(2021, 11, 7), D(2021, 11, 7), False, "Sunday", 6)),
        ("Protests on Friday?", DateQuery(D(2021, 11, 5), D(2021, 11, 5), False, "Friday", 4)),
        ("What happened before the election?", None),  # an event, not a date: see event_day
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


def test_a_weekday_brings_the_chunks_of_that_week_that_name_it(fake_embeddings: Any) -> None:
    docs = [
        make_document(
            "friday",
            "Protest report",
            "On Friday, the protest at the gate turned violent and one protester was killed.",
            published="2021-11-07",
        ),
        make_document(
            "stale",
            "Old protest report",
            "On Friday, the protest at the gate was peaceful and the crowd went home.",
            published="2021-10-20",  # its Friday is October 15, not November 5
        ),
        make_document(
            "main",
            "Main report",
            "A drone hit the residence of the prime minister. The protest at the gate continued for days.",
            published="2021-11-08",
        ),
    ]
    retriever = HybridRetriever(FakeReader(docs, fake_embeddings))
    got = [r.chunk.doc_id for r in retriever.retrieve("What happened at the protest at the gate on Friday?", 2)]
    assert got[0] == "friday"
    assert "stale" not in got  # published before that Friday: cannot report it


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What happened before the election?", Event("before", "election", "the election")),
        ("What did protesters do after the drone attack?", Event("after", "attack", "the drone attack")),
        ("What have the militias demanded since the vote?", Event("after", "vote", "the vote")),
        ("Who was killed before Nov 6?", None),  # a date, read by parse_question_dates
        ("Who denied involvement?", None),
    ],
)
def test_event_phrases(question: str, expected: Event | None) -> None:
    assert event_of(question) == expected


def test_the_event_day_is_the_date_the_articles_attach_to_it() -> None:
    election = Event("before", "election", "the election")
    sentences = [
        # the date of something else in a sentence that mentions the election: no vote
        (
            "The prime minister survived an attack on November 7 amid tensions over last month's "
            "election results.",
            "2021-11-08",
        ),
        ("The Oct. 10 election was held months ahead of schedule.", None),
        ("Protesters rejected the results of parliamentary elections on October 10.", "2021-11-08"),
        ("The election was held on October 10, officials said.", "2021-11-08"),
    ]
    assert event_day(election, sentences, REF) == D(2021, 10, 10)
    assert event_day(election, sentences[:1], REF) is None
    assert event_day(Event("after", "storm", "the storm"), sentences, REF) is None


def test_before_an_event_puts_chunks_dated_before_it_first(fake_embeddings: Any) -> None:
    docs = [
        make_document(
            "vote",
            "Vote",
            "The election was held on October 10 after a long campaign. Turnout was low.",
            published="2021-11-08",
        ),
        make_document(
            "campaign",
            "Campaign",
            "On September 20 candidates held rallies across the country, and the campaign turned tense.",
            published="2021-11-08",
        ),
        make_document(
            "after",
            "Aftermath",
            "On November 6 candidates and their supporters protested the results across the country.",
            published="2021-11-08",
        ),
    ]
    retriever = HybridRetriever(FakeReader(docs, fake_embeddings))
    plain = [r.chunk.doc_id for r in retriever.retrieve("What did candidates do across the country?", 3)]
    before = [r.chunk.doc_id for r in retriever.retrieve("What did candidates do before the election?", 3)]
    assert before[0] == "campaign"
    assert before.index("campaign") < before.index("after")
    assert plain[0] != "campaign"  # without the date of the election, another chunk comes first


def test_a_calendar_day_brings_the_reports_of_that_week_that_name_its_weekday(fake_embeddings: Any) -> None:
    # 2026-03-12 is a Thursday: its own report and a later one call it "Thursday", not "March 12"
    docs = [
        make_document(
            "own",
            "Rescue report",
            "The last six miners were brought to the surface on Thursday morning. Crowds cheered at the gate.",
            published="2026-03-12",
        ),
        make_document(
            "funeral",
            "Inquiry report",
            "A funeral will be held at the church next Thursday. The inquiry opened at the town hall.",
            published="2026-03-13",  # its "next Thursday" is March 19
        ),
        make_document(
            "other",
            "Town report",
            "What happened at the mine shocked the town. The council met and the mayor spoke to reporters.",
            published="2026-03-14",
        ),
    ]
    retriever = HybridRetriever(FakeReader(docs, fake_embeddings))
    got = [r.chunk.doc_id for r in retriever.retrieve("What happened on March 12?", 2)]
    assert got[0] == "own"


def test_weekday_days_reads_a_weekday_in_the_week_up_to_the_article_date() -> None:
    assert weekday_days("Work stopped on Friday.", "2026-03-16") == {D(2026, 3, 13)}
    assert weekday_days("It ended on Monday.", "2026-03-16") == {D(2026, 3, 16)}  # its own day
    assert weekday_days("A funeral will be held next Thursday.", "2026-03-13") == set()  # to come
    assert weekday_days("Work stopped on Friday.", None) == set()


@pytest.mark.parametrize(
    ("question", "about"),
    [
        ("What happened on March 12?", True),
        ("What happened early on Wednesday, March 11?", True),
        ("What did the regulator do on Friday?", True),
        ("How many complaints had the office received by June 11?", False),  # a bound, not the day
        ("What was the total as of June 3?", False),
        ("What did the June 5 account say?", False),  # the date names a thing
    ],
)
def test_asks_about_day(question: str, about: bool) -> None:
    assert asks_about_day(question) is about


def test_day_weight_puts_the_days_own_reports_and_what_happened_first() -> None:
    query = DateQuery(D(2026, 3, 11), D(2026, 3, 11), False, "March 11")
    question = "What happened on March 11?"
    happened = "The first five miners were hauled to the surface early on Wednesday."
    planned = "The council would hold a vigil on Wednesday evening."
    assert day_weight(query, question, happened, "2026-03-11") == 1.0
    assert day_weight(query, question, happened, "2026-03-12") == 1.0  # the next morning's report
    assert day_weight(query, question, happened, "2026-03-16") == 0.5  # a recap
    assert day_weight(query, question, planned, "2026-03-11") == 0.5
    assert day_weight(query, "What did the town plan for March 11?", planned, "2026-03-11") == 1.0


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("What is the latest on the investigation?", "What about the investigation?"),
        ("latest update on whether the mine will reopen?", "What about whether the mine will reopen?"),
        ("whats the latest news about the strike", "What about the strike?"),
        ("latest on the ship", "What about the ship?"),
        ("What is the latest death toll from the quake?", None),  # the toll is what is asked
        ("Who spoke most recently about the strike?", None),
        ("Who denied involvement?", None),
    ],
)
def test_recency_topic(question: str, topic: str | None) -> None:
    assert recency_topic(question) == topic


def test_latest_on_a_topic_does_not_search_for_the_word_latest(fake_embeddings: Any) -> None:
    searched: list[set[str]] = []

    class Recording(FakeReader):
        def keyword_search(self, terms: Mapping[str, float], k: int) -> list[ScoredChunk]:
            searched.append(set(terms))
            return super().keyword_search(terms, k)

    docs = [
        make_document("promo", "Newsletter", "Sign up for the latest news.", published="2026-05-14"),
        make_document("probe", "Probe", "Investigators widened the investigation.", published="2026-05-14"),
    ]
    HybridRetriever(Recording(docs, fake_embeddings)).retrieve("What is the latest on the investigation?", 2)
    assert searched and "investig" in searched[0] and "latest" not in searched[0]


def test_day_weight_bounds_plans_clock_times_and_leads() -> None:
    query = DateQuery(D(2026, 5, 11), D(2026, 5, 11), False, "Monday", 0)
    question = "What happened on Monday evening?"
    assert day_weight(query, question, "Ships were waiting by Monday evening.", "2026-05-11") == 0.5  # a bound
    assert day_weight(query, question, "Dockers have had no shifts since Monday.", "2026-05-11") == 0.5
    # a modal after the day, in another clause, is not a plan for the day
    ended = "The closure ended on Monday, but analysts warned it would take months to settle."
    assert day_weight(query, question, ended, "2026-05-11") == 1.0
    assert day_weight(query, question, ended, "2026-05-11", lead=True) == 1.5
    at_six = "What did the authority do at 6 a.m. on Monday?"
    assert (
        day_weight(query, at_six, "The authority suspended shipping at 6 a.m. on Monday.", "2026-05-11") == 2.0
    )
    assert day_weight(query, at_six, "The authority met at 4 p.m. on Monday.", "2026-05-11") == 1.0


def test_clock_times() -> None:
    assert clock_times("called off the attempt at 9:45 a.m. Later") == {(9, 45, "a")}
    assert clock_times("at 6am and again at 4 p.m.") == {(6, 0, "a"), (4, 0, "p")}
    assert clock_times("in 2026 on May 11") == set()


@pytest.mark.parametrize(
    ("question", "order"),
    [
        ("What was reported first about the incident?", "oldest"),
        ("What did the first reports say?", "oldest"),
        ("What did the company initially say caused it?", "oldest"),
        ("What was the first explanation given for the collapse?", "oldest"),
        ("Who were the first miners rescued?", None),  # "first" of the event, not of the reports
        ("When did investigators first go into the mine?", None),
        ("latest news on the salvage", "newest"),
        ("Where is the ship now?", None),  # the present state: the recency boost, not the lead
    ],
)
def test_report_order(question: str, order: str | None) -> None:
    assert report_order(question) == order


def test_monday_evening_is_a_question_about_monday() -> None:
    assert asks_about_day("What happened on Monday evening?")


def _long_report(doc_id: str, lead: str, later: str, published: str) -> Any:
    filler = " ".join(
        f"Paragraph {i} describes the river traffic and the weather at the port." for i in range(12)
    )
    return make_document(doc_id, doc_id, f"{lead} {filler} {later}", published=published, source=doc_id)


def test_latest_brings_the_lead_of_the_newest_report(fake_embeddings: Any) -> None:
    docs = [
        _long_report("old", "A ship ran aground in the river.", "The salvage was planned.", "2026-05-11"),
        _long_report(
            "new", "The ship was refloated at dawn.", "The salvage crews worked all night.", "2026-05-14"
        ),
    ]
    reader = FakeReader(docs, fake_embeddings)
    lead_chunk = next(c for c in reader.chunks() if c.chunk_id == "new:0")
    assert "salvage" not in lead_chunk.text  # the lead is not the chunk about the salvage
    got = [r.chunk.chunk_id for r in HybridRetriever(reader).retrieve("What is the latest on the salvage?", 3)]
    assert got[0] == "new:0"


def test_the_latest_answer_leads_with_the_newest_reports_lead(settings: Any, fake_embeddings: Any) -> None:
    from answering.factory import build_answering

    docs = [
        _long_report("old", "A ship ran aground in the river.", "The salvage was planned.", "2026-05-11"),
        _long_report(
            "new", "The ship was refloated at dawn.", "The salvage crews worked all night.", "2026-05-14"
        ),
    ]
    service = build_answering(settings, FakeReader(docs, fake_embeddings), fake_embeddings)
    answer = service.answer("What is the latest on the salvage?")
    assert not answer.refused
    assert answer.answer.startswith("The ship was refloated at dawn. [1]")
    assert answer.citations[0].doc_id == "new"


def test_a_day_answer_brings_what_its_definite_subject_refers_back_to(
    settings: Any, fake_embeddings: Any
) -> None:
    from answering.factory import build_answering

    docs = [
        make_document(
            "mcr",
            "Carrier declares general average",
            "Lindqvist Feeder Lines has declared general average on the grounded ship.\n\n"
            "The declaration was made on Tuesday, and adjusters will handle the claim.",
            published="2026-05-13",
            source="Maritime Cargo Review",
        ),
        make_document(
            "other",
            "River reopens",
            "The river reopened to traffic at midday. Ships waited at anchor offshore.",
            published="2026-05-14",
            source="Tane Valley Radio",
        ),
    ]
    service = build_answering(settings, FakeReader(docs, fake_embeddings), fake_embeddings)
    answer = service.answer("What did Lindqvist do on Tuesday?")
    assert answer.answer.startswith(
        "Lindqvist Feeder Lines has declared general average on the grounded ship. [1]"
    )
    assert "The declaration was made on Tuesday" in answer.answer
