"""Text cleaning: Unicode normalisation, hidden-character removal, whitespace collapse.

The cleaned text is what the index stores as the document; every chunk offset and every
cited excerpt refers to it. Cleaning is deterministic and versioned (``CLEANING_VERSION`` is
part of the embedding stamp), so a change here forces a rebuild instead of silently drifting.

Typographic characters (curly quotes, apostrophes, dashes, ellipses) are kept as they are:
no ASCII folding, so quotes stay verbatim.
"""

from __future__ import annotations

import re
import unicodedata

CLEANING_VERSION = "1"

# Invisible characters that can hide text or instructions from a human reader.
_INVISIBLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # arabic letter mark (bidi)
    (0x115F, 0x1160),  # hangul fillers
    (0x17B4, 0x17B5),  # khmer inherent vowels (invisible)
    (0x180B, 0x180F),  # mongolian variation selectors / vowel separator
    (0x200B, 0x200F),  # zero-width space/non-joiner/joiner, LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates, deprecated formats
    (0x3164, 0x3164),  # hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFEFF, 0xFEFF),  # zero-width no-break space / BOM
    (0xFFA0, 0xFFA0),  # halfwidth hangul filler
    (0xFFF0, 0xFFF8),  # unassigned specials
    (0x1D173, 0x1D17A),  # musical symbol format controls
    (0xE0000, 0xE007F),  # tag characters
    (0xE0100, 0xE01EF),  # variation selectors supplement
)

_INVISIBLE_CLASS = "".join(
    f"\\U{lo:08x}-\\U{hi:08x}" if lo != hi else f"\\U{lo:08x}" for lo, hi in _INVISIBLE_RANGES
)
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE_CLASS}]")
_LINE_BREAKS_RE = re.compile(r"\r\n|[\r\u2028\u2029\x0b\x0c\x85]")
_H_SPACE_RE = re.compile(r"[^\S\n]+")  # any whitespace except newline
_TRAILING_SPACE_RE = re.compile(r" *\n *")
_MANY_NEWLINES_RE = re.compile(r"\n{3,}")


def _drop_controls(text: str) -> str:
    """Remove remaining control / format / private-use / surrogate code points.

    Newline and tab survive (tab becomes a space later).
    """
    out: list[str] = []
    for ch in text:
        if ch in "\n\t":
            out.append(ch)
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co"):
            continue
        out.append(ch)
    return "".join(out)


def strip_hidden(text: str) -> str:
    """Remove invisible and control characters but keep the text's layout."""
    text = _LINE_BREAKS_RE.sub("\n", text)
    text = _INVISIBLE_RE.sub("", text)
    return _drop_controls(text)


def clean_text(raw: str) -> str:
    """Return the stored form of an article's text.

    NFC-normalise, strip hidden characters, turn every horizontal whitespace run into one
    space, trim lines, keep at most one blank line between paragraphs, trim the ends.
    """
    text = unicodedata.normalize("NFC", raw)
    text = strip_hidden(text)
    text = unicodedata.normalize("NFC", text)  # removal can bring composable pairs together
    text = _H_SPACE_RE.sub(" ", text)
    text = _TRAILING_SPACE_RE.sub("\n", text)
    text = _MANY_NEWLINES_RE.sub("\n\n", text)
    return text.strip()


def clean_line(raw: str) -> str:
    """Clean a one-line field (title, source): like ``clean_text`` with newlines as spaces."""
    return " ".join(clean_text(raw).split())
