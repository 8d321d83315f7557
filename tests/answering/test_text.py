from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from answering.text import normalize, split_sentences, stem, tokenize


def test_apostrophes_and_case_are_normalised() -> None:
    assert tokenize("Kata’ib Hezbollah") == tokenize("kata'ib HEZBOLLAH")
    assert "kataib" in tokenize("Kata`ib")  # typed without a proper apostrophe
    assert tokenize("Kataib") == ["kataib"]


def test_possessive_and_stop_words_dropped() -> None:
    assert tokenize("Iraq’s prime minister") == ["iraq", "prime", "minister"]
    assert tokenize("Who is the one?") == ["one"]  # numbers stay searchable
    assert tokenize("Who were they themselves?") == []  # spaCy's English stop words


def test_stemming_matches_inflections() -> None:
    assert stem("denied") == stem("denies") == "deny"
    assert stem("attacks") == stem("attack")
    assert stem("killed") == "kill"
    assert stem("us") == "us" and stem("status") == "status"


def test_normalize_quotes() -> None:
    assert normalize("“Long live Iraq.”") == '"Long live Iraq."'


def test_sentences_keep_abbreviations_together() -> None:
    text = "The U.S. State Department condemned it on Nov. 7 in a statement. He said more.\nNext line"
    spans = split_sentences(text)
    assert [s.text for s in spans] == [
        "The U.S. State Department condemned it on Nov. 7 in a statement.",
        "He said more.",
        "Next line",
    ]


def test_sentence_offsets_with_base_offset() -> None:
    text = "  First one.  Second “quoted.” Third?"
    spans = split_sentences(text, offset=100)
    assert spans
    for span in spans:
        assert text[span.start - 100 : span.end - 100] == span.text


@given(st.text(alphabet=st.sampled_from(list("ab .!?\n’“”U.S")), max_size=200))
def test_sentence_spans_are_always_verbatim_and_ordered(text: str) -> None:
    spans = split_sentences(text)
    last = 0
    for span in spans:
        assert text[span.start : span.end] == span.text
        assert span.text == span.text.strip() and span.text
        assert span.start >= last
        last = span.end
