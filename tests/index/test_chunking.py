"""Chunking: exact offsets, whole sentences, size limits, overlap, stable ids."""

from __future__ import annotations

from pathlib import Path

from index.chunking import chunk_document, chunk_spans, sentence_spans
from index.loaders import load_corpus, make_document


def test_sentences_respect_abbreviations_quotes_and_newlines() -> None:
    text = (
        "On Nov. 7 the U.S. State Department said: “We condemn it.” Price spoke.\n"
        "A headline without a period\nDr. Smith agreed! Did he? Yes."
    )
    got = [text[s:e] for s, e in sentence_spans(text)]
    assert got == [
        "On Nov. 7 the U.S. State Department said: “We condemn it.”",
        "Price spoke.",
        "A headline without a period",
        "Dr. Smith agreed!",
        "Did he?",
        "Yes.",
    ]


def test_corpus_chunks_are_exact_slices_of_whole_sentences(shipped_corpus: Path) -> None:
    documents = load_corpus(shipped_corpus).documents
    assert len(documents) == 5
    for doc in documents:
        chunks = chunk_document(doc, chunk_size=500, chunk_overlap=100)
        assert len(chunks) >= 2
        starts = {s for s, _ in sentence_spans(doc.text)}
        ends = {e for _, e in sentence_spans(doc.text)}
        for pos, chunk in enumerate(chunks):
            assert chunk.chunk_id == f"{doc.doc_id}:{pos}" and chunk.position == pos
            assert doc.text[chunk.start : chunk.end] == chunk.text
            assert len(chunk.text) <= 500
            assert chunk.start in starts and chunk.end in ends  # sentence boundaries
            assert chunk.metadata["doc_id"] == doc.doc_id
            assert chunk.metadata["title"] == doc.title
            assert (chunk.metadata["start"], chunk.metadata["end"]) == (chunk.start, chunk.end)
        # Together the chunks cover every sentence.
        covered = set()
        for chunk in chunks:
            covered.update(range(chunk.start, chunk.end))
        for s, e in sentence_spans(doc.text):
            assert set(range(s, e)) <= covered


def test_overlap_is_whole_sentences_within_the_limit() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(40))  # 27-28 chars each
    spans = chunk_spans(text, chunk_size=120, chunk_overlap=60)
    assert len(spans) > 5
    for (s1, e1), (s2, e2) in zip(spans, spans[1:], strict=False):
        assert s2 > s1 and e2 > e1  # always moves forward
        overlap = max(0, e1 - s2)
        assert 0 < overlap <= 60
        assert text[s2 : s2 + 8] == "Sentence"


def test_zero_overlap_gives_disjoint_chunks() -> None:
    text = " ".join(f"Fact {i} was reported." for i in range(30))
    spans = chunk_spans(text, chunk_size=100, chunk_overlap=0)
    assert len(spans) >= 2
    for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False):
        assert s2 > e1


def test_over_long_sentence_is_split_at_spaces() -> None:
    text = "word " * 300 + "end."
    doc = make_document("long", "t", text.strip())
    chunks = chunk_document(doc, chunk_size=200, chunk_overlap=50)
    assert len(chunks) >= 7
    for chunk in chunks:
        assert len(chunk.text) <= 200
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert not chunk.text.startswith(" ") and "ord " not in chunk.text[:4]


def test_text_without_spaces_is_hard_split() -> None:
    doc = make_document("blob", "t", "x" * 1050)
    chunks = chunk_document(doc, chunk_size=500, chunk_overlap=0)
    assert [len(c.text) for c in chunks] == [500, 500, 50]
    assert "".join(c.text for c in chunks) == doc.text


def test_chunking_is_deterministic(shipped_corpus: Path) -> None:
    doc = load_corpus(shipped_corpus).documents[0]
    assert chunk_document(doc, 500, 100) == chunk_document(doc, 500, 100)
