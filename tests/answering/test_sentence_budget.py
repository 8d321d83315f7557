"""The extractive answerer embeds at most ``sentence_budget`` candidate sentences per question.

Embedding is the expensive step at scale (tens of ms a sentence on one core), so the budget
bounds latency; the choice must not depend on what earlier questions left in the cache.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from answering.answerers.extractive import Limits
from answering.factory import build_answering
from newsdesk.settings import Settings
from tests.answering.fakes import FakeReader
from tests.index.fakes import CountingEmbeddings

QUESTIONS = (
    "Who denied involvement in the attack?",
    "How many security guards were injured?",
    "What did Iran's Foreign Ministry spokesman say?",
)


def _sentences(texts: list[str], docs: list[Any]) -> list[str]:
    """The embedded texts that are sentences of the articles (single words, and spaCy's
    descriptions of its entity labels, are embedded too: short, cheap and cached)."""
    return [t for t in texts if " " in t.strip() and any(t in d.text for d in docs)]


def _service(settings: Settings, corpus_docs: list[Any], budget: int) -> tuple[Any, CountingEmbeddings]:
    emb = CountingEmbeddings(size=64)
    reader = FakeReader(corpus_docs, emb)
    service = build_answering(settings.model_copy(update={"sentence_budget": budget}), reader, emb)
    emb.embedded.clear()  # the reader's chunk vectors are not the answerer's work
    return service, emb


@pytest.mark.parametrize("budget", [1, 4, 9])
def test_at_most_budget_sentences_are_embedded_per_question(
    settings: Settings, corpus_docs: list[Any], budget: int
) -> None:
    service, emb = _service(settings, corpus_docs, budget)
    for question in QUESTIONS:
        before = len(emb.embedded)
        service.answer(question)
        assert 0 < len(_sentences(emb.embedded[before:], corpus_docs)) <= budget


def test_zero_budget_embeds_every_candidate(settings: Settings, corpus_docs: list[Any]) -> None:
    service, emb = _service(settings, corpus_docs, 0)
    retrieved = service.retriever.retrieve(QUESTIONS[0], service.top_k)
    scoring = service.answerer.score(QUESTIONS[0], retrieved)
    assert len(_sentences(emb.embedded, corpus_docs)) == len(scoring.cands) > 9
    assert all(p > 0 for p in scoring.probs)


def test_not_embedded_candidates_are_never_chosen_but_stay_available(
    settings: Settings, corpus_docs: list[Any]
) -> None:
    service, _ = _service(settings, corpus_docs, 3)
    retrieved = service.retriever.retrieve(QUESTIONS[0], service.top_k)
    scoring = service.answerer.score(QUESTIONS[0], retrieved)
    embedded = [i for i, p in enumerate(scoring.probs) if p > 0]
    assert len(embedded) == 3
    assert len(scoring.cands) > 3  # the others remain as possible context of a chosen sentence
    assert set(scoring.ranked()[:3]) == set(embedded)  # only embedded ones can be chosen


def test_the_answer_does_not_depend_on_earlier_questions(settings: Settings, corpus_docs: list[Any]) -> None:
    alone, _ = _service(settings, corpus_docs, 4)
    after_others, _ = _service(settings, corpus_docs, 4)
    for question in QUESTIONS[1:]:
        after_others.answer(question)  # fills the sentence cache with other sentences
    a = alone.answer(QUESTIONS[0])
    b = after_others.answer(QUESTIONS[0])
    assert (a.answer, a.refused) == (b.answer, b.refused)
    assert [(c.doc_id, c.start, c.end) for c in a.citations] == [
        (c.doc_id, c.start, c.end) for c in b.citations
    ]


def test_budget_is_a_validated_setting() -> None:
    assert Settings().sentence_budget > 0
    with pytest.raises(ValueError):
        Settings.model_validate({"sentence_budget": -1})
    assert "embed_budget" in {f.name for f in dataclasses.fields(Limits)}


def _parse_budget_service(settings: Settings, corpus_docs: list[Any], budget: int) -> Any:
    emb = CountingEmbeddings(size=64)
    update = {"sentence_budget": 0, "parse_budget": budget}
    return build_answering(settings.model_copy(update=update), FakeReader(corpus_docs, emb), emb)


@pytest.mark.parametrize("budget", [2, 5])
def test_at_most_twice_the_parse_budget_candidates_are_parsed(
    settings: Settings, corpus_docs: list[Any], budget: int
) -> None:
    """The ``parse_budget`` candidates sharing the most question words, each with the sentence
    after it; the rest are never parsed (nor chosen)."""
    from answering.sentences import candidates
    from answering.text import tokenize

    everything = _parse_budget_service(settings, corpus_docs, 0)
    service = _parse_budget_service(settings, corpus_docs, budget)
    for question in QUESTIONS:
        retrieved = service.retriever.retrieve(question, service.top_k)
        all_cands = candidates(retrieved, service.answerer.document, service.answerer.cache)
        kept = service.answerer.score(question, retrieved).cands
        assert len(all_cands) > 2 * budget  # the budget has something to cut
        assert budget <= len(kept) <= 2 * budget
        asked = set(tokenize(question))
        shared = sorted((len(c.terms & asked) for c in all_cands), reverse=True)
        # the candidate sharing the most question words is always parsed
        assert max(len(c.terms & asked) for c in kept) == shared[0]
        # kept candidates stay in retrieval order, a subset of all of them
        keys = [(c.doc.doc_id, c.span.start) for c in all_cands]
        positions = [keys.index((c.doc.doc_id, c.span.start)) for c in kept]
        assert positions == sorted(positions)
        full = everything.answerer.score(question, retrieved).cands
        assert len(full) == len(all_cands)


def test_parse_budget_is_a_validated_setting() -> None:
    assert Settings().parse_budget > 0
    with pytest.raises(ValueError):
        Settings.model_validate({"parse_budget": -1})


def test_cached_vectors_do_not_keep_their_batch_alive(settings: Settings, corpus_docs: list[Any]) -> None:
    """A cached row must own its memory: a view would pin the whole embedded batch."""
    service, _ = _service(settings, corpus_docs, 0)
    cache = service.answerer.cache
    retrieved = service.retriever.retrieve(QUESTIONS[0], service.top_k)
    service.answerer.score(QUESTIONS[0], retrieved)
    vectors = list(cache._vectors.values())
    words = list(cache._words.values())
    assert vectors and words
    assert all(v.base is None for v in [*vectors, *words])
