"""The service over the in-memory reader with fake embeddings: validation, timings,
verification, refresh and concurrency (fast; the quality tests use the real model)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from answering.answerers.base import Draft
from answering.models import Answer, AnswerDelta, Citation, Turn
from answering.service import clean_question
from index.models import Document
from newsdesk.errors import QuestionInvalid

STAGES = {"rewrite", "retrieve", "select", "compose", "total"}


@pytest.mark.parametrize("bad", ["", "   ", "\n\t", "\u200b\u200b"])
def test_empty_questions_are_rejected(fake_service: Any, bad: str) -> None:
    with pytest.raises(QuestionInvalid, match="empty"):
        fake_service.answer(bad)


def test_too_long_question_is_rejected_with_the_limit(fake_service: Any) -> None:
    with pytest.raises(QuestionInvalid, match="limit is 1000"):
        fake_service.answer("why " * 300)


def test_control_characters_are_stripped() -> None:
    assert clean_question("Who\x00 denied\u202e it?\r\n", 100) == "Who denied it?"
    with pytest.raises(QuestionInvalid):
        clean_question(None, 100)


def test_answer_shape_timings_and_verbatim_citations(fake_service: Any, fake_reader: Any) -> None:
    answer = fake_service.answer("Kata'ib Hezbollah rejected any relevance")
    assert isinstance(answer, Answer)
    assert set(answer.timings_ms) >= STAGES
    assert all(v >= 0 for v in answer.timings_ms.values())
    assert answer.citations
    for c in answer.citations:
        assert fake_reader.document(c.doc_id).text[c.start : c.end] == c.excerpt
        assert f"[{c.n}]" in answer.answer
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert answer.to_dict()["citations"][0].keys() >= {"n", "doc_id", "title", "excerpt"}


def test_stream_yields_deltas_then_one_final_answer(fake_service: Any) -> None:
    events = list(fake_service.stream("Saad Maan said seven were wounded"))
    assert isinstance(events[-1], Answer)
    assert all(isinstance(e, AnswerDelta) for e in events[:-1]) and events[:-1]


def test_refresh_picks_up_a_rebuild(fake_service: Any, fake_reader: Any) -> None:
    fake_service.refresh_interval_s = 0.0
    before = fake_service.answer("Saad Maan")
    assert before.citations
    replacement = Document("new", "New article", "Zorblax Quux visited Baghdad on Monday.")
    fake_reader.swap([replacement], "g2")
    after = fake_service.answer("Zorblax Quux")
    assert fake_reader.generation == "g2"
    assert {c.doc_id for c in after.citations} == {"new"}
    assert [h.chunk.doc_id for h in fake_reader.keyword_search({"zorblax": 1.0}, 3)] == ["new"]


def test_unverifiable_citations_never_leave_the_service(fake_service: Any) -> None:
    class Forger:
        name = "forger"

        def answer(self, question: str, retrieved: Any, **_: Any) -> Draft:
            doc = retrieved[0].chunk
            fake = Citation(1, doc.doc_id, "t", "words the article never said", 0, 10)
            outside = Citation(2, "000_d71935d8366a0c7a", "t", "x", 10_000, 10_001)
            return Draft("Forged [1]. Outside [2].", False, (fake, outside))

        def stream(self, question: str, retrieved: Any, **_: Any) -> Any:
            yield self.answer(question, retrieved)

    fake_service.answerer = Forger()
    answer = fake_service.answer("anything about the drone")
    assert answer.refused and answer.citations == ()
    assert "[1]" not in answer.answer


def test_concurrent_answers_match_sequential(fake_service: Any) -> None:
    questions = [
        "Who denied involvement?",
        "Saad Maan",
        "Green Zone embassies",
        "Ned Price terrorism",
        "Arab League",
        "drones launched 12 km northeast",
    ] * 3
    sequential = [fake_service.answer(q).to_dict() for q in questions]
    with ThreadPoolExecutor(max_workers=6) as pool:
        parallel = [a.to_dict() for a in pool.map(fake_service.answer, questions)]
    assert sequential and len(parallel) == len(sequential)
    for s, p in zip(sequential, parallel, strict=True):
        assert (s["answer"], s["citations"]) == (p["answer"], p["citations"])


def test_history_is_used_and_recorded(fake_service: Any) -> None:
    turn = Turn("Who denied involvement?", "Kata’ib Hezbollah rejected any relevance. [1]")
    answer = fake_service.answer("What did their spokesman claim?", [turn])
    assert answer.standalone_question == "What did Kata'ib Hezbollah's spokesman claim?"
    assert answer.question == "What did their spokesman claim?"


def test_warm_reads_the_persisted_keyword_index(fake_service: Any, fake_reader: Any) -> None:
    built = fake_reader.keywords
    fake_service.warm()
    fake_service.answer("Saad Maan")
    assert fake_reader.keywords is built  # nothing is rebuilt by the serving side


def test_query_cache_keeps_the_stamp_name_and_vectors(fake_embeddings: Any) -> None:
    from answering.embedding_cache import QueryCachedEmbeddings

    object.__setattr__(fake_embeddings, "stamp_model", "all-MiniLM-L6-v2")
    cached = QueryCachedEmbeddings(fake_embeddings, max_queries=2)
    assert cached.stamp_model == "all-MiniLM-L6-v2"  # the index's stamp check still passes
    first = cached.embed_query("who denied it?")
    assert cached.embed_query("who denied it?") == first == fake_embeddings.embed_query("who denied it?")
    for q in ("a", "b", "c"):
        cached.embed_query(q)
    assert len(cached._cache) == 2


@pytest.mark.parametrize("turns", [0, 2, 9])
def test_history_cap_follows_discord_history_turns(
    settings: Any, fake_reader: Any, fake_embeddings: Any, turns: int
) -> None:
    from answering.factory import build_answering

    service = build_answering(
        settings.model_copy(update={"discord_history_turns": turns}), fake_reader, fake_embeddings
    )
    seen: list[int] = []

    def condenser(question: str, history: Any) -> str:
        seen.append(len(history))
        return question

    service.condenser = condenser
    history = [Turn(question=f"question {i}?", answer=f"answer {i}.") for i in range(12)]
    service.answer("Saad Maan said seven were wounded", history)
    # no turns kept: the condenser is not called at all
    assert seen == ([turns] if turns else [])
