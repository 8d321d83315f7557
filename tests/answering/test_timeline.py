"""The timeline: dated sentences in order, verbatim, with their outlet; wire copies once."""

from __future__ import annotations

from pathlib import Path

from answering.timeline import build_timeline, timeline
from index.loaders import load_corpus, make_document
from index.models import Chunk

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def test_shipped_corpus_timeline_is_in_date_order_and_verbatim() -> None:
    docs = {d.doc_id: d for d in load_corpus(CORPUS).documents}
    result = build_timeline(list(docs.values()))
    entries = result.entries
    assert len(entries) >= 10
    for e in entries:  # every entry is a verbatim sentence of its article
        c = e.citation
        assert docs[c.doc_id].text[c.start : c.end] == c.excerpt
        assert any(ch.isdigit() for ch in c.excerpt)
    texts = [e.citation.excerpt for e in entries]

    def at(fragment: str) -> int:
        return next(i for i, t in enumerate(texts) if fragment in t)

    assert at("in 2018") < at("May 6, 2020") < at("on October 10") < at("earlier on November 6")
    assert at("earlier on November 6") < at("hit by a rocket attack early on November 7")
    assert [e.citation.n for e in entries] == list(range(1, len(entries) + 1))
    by_text = {e.citation.excerpt: e for e in entries}
    # 004 is dated (its dateline): its dates get a year; 002 is undated: month and day only
    assert by_text[next(t for t in texts if "after a rocket attack at his house" in t)].when == "2021-11-07"
    assert by_text[next(t for t in texts if "earlier on November 6" in t)].when == "--11-06"
    assert "2021-11-07" in result.lines()[at("after a rocket attack at his house")]


def test_a_wire_sentence_in_several_articles_is_one_entry_carried_by_the_others() -> None:
    sentence = "The port reopened on March 15, 2024, officials said."
    docs = [
        make_document("a", "A", f"Ships waited. {sentence}", source="Harbor Ledger", published="2024-03-15"),
        make_document("b", "B", f"{sentence} Trade resumed.", source="Metro Wire", published="2024-03-16"),
        make_document("c", "C", "The strike began on March 2, 2024.", source="Daily Tribune"),
    ]
    result = build_timeline(docs)
    assert [e.when for e in result.entries] == ["2024-03-02", "2024-03-15"]
    carried = result.entries[1].citation
    assert carried.carried_by == ("Metro Wire (2024-03-16)",) and carried.source == "Harbor Ledger"


class _Retrieved:
    def __init__(self, chunk: Chunk) -> None:
        self.chunk = chunk


class _Reader:
    def __init__(self, docs: list) -> None:  # noqa: ANN001
        self.docs = docs

    def documents(self) -> list:
        return self.docs


class _Retriever:
    """Returns the chunk of the first article that holds the topic word (like a search would)."""

    def __init__(self, docs: list) -> None:  # noqa: ANN001
        self.docs = docs
        self.asked: list[str] = []

    def retrieve(self, query: str, k: int) -> list[_Retrieved]:
        self.asked.append(query)
        hits = [d for d in self.docs if query.lower() in d.text.lower()][:k]
        return [_Retrieved(Chunk(f"{d.doc_id}:0", d.doc_id, 0, d.text, 0, len(d.text))) for d in hits]


def test_a_topic_limits_the_timeline_to_what_is_retrieved_for_it() -> None:
    docs = [
        make_document("s", "S", "The strike began on March 2, 2024. Talks failed on March 9, 2024."),
        make_document("f", "F", "The flood peaked on April 4, 2024."),
    ]
    retriever = _Retriever(docs)
    result = timeline(_Reader(docs), retriever, "  flood ")
    assert retriever.asked == ["flood"] and result.topic == "flood"
    assert [e.when for e in result.entries] == ["2024-04-04"]
    assert len(timeline(_Reader(docs), retriever, None).entries) == 3
