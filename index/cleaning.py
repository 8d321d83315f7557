"""Text cleaning: Unicode normalisation, hidden-character removal, whitespace collapse.

The cleaned text is what the index stores as the document; every chunk offset and every
cited excerpt refers to it. Cleaning is deterministic and versioned (``CLEANING_VERSION`` is
part of the embedding stamp), so a change here forces a rebuild instead of silently drifting.

Typographic characters (curly quotes, apostrophes, dashes, ellipses) are kept as they are:
no ASCII folding, so quotes stay verbatim.
"""

from __future__ import annotations

import functools
import itertools
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

_LINE_BREAKS_RE = re.compile(r"\r\n|[\r\u2028\u2029\x0b\x0c\x85]")
# Whitespace other than space and newline (controls such as \x1c are removed before this).
_EXOTIC_SPACE_RE = re.compile(r"[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_SPACES_RE = re.compile(r"  +")  # matching single spaces too would be ~5x slower
_TRAILING_SPACE_RE = re.compile(r" *\n *")
_MANY_NEWLINES_RE = re.compile(r"\n{3,}")


@functools.cache
def _controls_re() -> re.Pattern[str]:
    """Every hidden character: the invisible ranges above plus every control / format /
    surrogate / private-use code point except newline and tab.

    Built once from the Unicode database (a regex class of ranges is ~50x faster than a
    per-character loop on large corpora).
    """
    ranges: list[tuple[int, int]] = []
    # Planes 2-13 hold no such characters and planes 15-16 are private use: scanning only
    # planes 0, 1 and 14 keeps this ~0.1 s.
    for cp in itertools.chain(range(0x20000), range(0xE0000, 0xF0000)):
        if cp in (0x09, 0x0A) or unicodedata.category(chr(cp)) not in ("Cc", "Cf", "Cs", "Co"):
            continue
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    ranges = sorted(ranges + list(_INVISIBLE_RANGES) + [(0xF0000, 0xFFFFD), (0x100000, 0x10FFFD)])
    body = "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)
    return re.compile(f"[{body}]")


def strip_hidden(text: str) -> str:
    """Remove invisible and control characters but keep the text's layout."""
    return _controls_re().sub("", _LINE_BREAKS_RE.sub("\n", text))


def clean_text(raw: str) -> str:
    """Return the stored form of an article's text.

    NFC-normalise, strip hidden characters, turn every horizontal whitespace run into one
    space, trim lines, keep at most one blank line between paragraphs, trim the ends.
    """
    text = unicodedata.normalize("NFC", raw)
    text = strip_hidden(text)
    text = unicodedata.normalize("NFC", text)  # removal can bring composable pairs together
    text = _SPACES_RE.sub(" ", _EXOTIC_SPACE_RE.sub(" ", text))
    text = _TRAILING_SPACE_RE.sub("\n", text)
    text = _MANY_NEWLINES_RE.sub("\n\n", text)
    return text.strip()


def clean_line(raw: str) -> str:
    """Clean a one-line field (title, source): like ``clean_text`` with newlines as spaces."""
    return " ".join(clean_text(raw).split())
