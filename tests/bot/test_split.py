"""The message splitter: property tests with hypothesis plus worked examples."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.split import split_text, truncate

_WORD = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Z", "C")), min_size=1, max_size=12
)
_SEP = st.sampled_from([" ", "  ", "\n", "\n\n", ". ", "? ", "! ", ".\n\n", "\t"])


@st.composite
def texts(draw: st.DrawFn) -> str:
    words = draw(st.lists(_WORD, min_size=0, max_size=300))
    out = []
    for word in words:
        out.append(word)
        out.append(draw(_SEP))
    return "".join(out)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@settings(max_examples=300, deadline=None)
@given(text=texts(), limit=st.integers(min_value=16, max_value=400))
def test_pieces_fit_keep_all_text_and_never_split_words(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in pieces)
    assert all(p == p.strip() for p in pieces)
    # joined back, only whitespace at the cuts may differ
    assert _squash("".join(pieces)) == _squash(text)
    assert " ".join(pieces).split() == text.split()
    # no word split: every word (at most 13 characters, under the limit) is whole in one piece
    piece_words = [w for p in pieces for w in p.split()]
    assert piece_words == text.split()


@settings(max_examples=100, deadline=None)
@given(word=st.text(alphabet="abc", min_size=30, max_size=120), limit=st.integers(10, 29))
def test_a_word_longer_than_the_limit_is_hard_cut(word: str, limit: int) -> None:
    pieces = split_text(f"start {word} end", limit)
    assert all(len(p) <= limit for p in pieces)
    assert _squash("".join(pieces)) == _squash(f"start {word} end")


def test_prefers_paragraphs_then_sentences() -> None:
    para = "First sentence here. Second sentence here."
    text = f"{para}\n\n{para}"
    assert split_text(text, len(para) + 5) == [para, para]
    assert split_text(para, 30) == ["First sentence here.", "Second sentence here."]


def test_markers_stay_with_their_sentence() -> None:
    text = "Alpha beta gamma [1]. Delta epsilon [2]."
    assert split_text(text, 25) == ["Alpha beta gamma [1].", "Delta epsilon [2]."]


def test_markers_after_the_full_stop_stay_too() -> None:
    text = "Alpha beta gamma. [1] Delta epsilon. [2]"
    assert split_text(text, 25) == ["Alpha beta gamma. [1]", "Delta epsilon. [2]"]


def test_blank_gives_nothing_and_short_is_untouched() -> None:
    assert split_text("   \n ") == []
    assert split_text("  hello  ") == ["hello"]


def test_truncate_at_word_boundary() -> None:
    assert truncate("one two three four", 12) == "one two…"
    assert truncate("short", 10) == "short"
    assert len(truncate("x" * 50, 10)) == 10
