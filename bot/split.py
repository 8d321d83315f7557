"""Split long text into Discord-sized messages without cutting words.

Discord rejects messages over 2,000 characters. A reader should never see a word or a
``[n]`` marker torn in two, so we cut at the best boundary that fits: a paragraph break,
then a line break, then a sentence end, then any whitespace. Only a single "word" longer
than the limit (a giant URL) is ever cut inside.
"""

from __future__ import annotations

import re

MESSAGE_LIMIT = 2000

# A sentence ends with . ! or ?, optional closing quotes/brackets and citation markers that
# follow it ("... on Sunday. [1]"), then space: markers stay with their sentence.
_SENTENCE_END = re.compile(r"[.!?][\"'’”)\]]*(?:[ \t]*\[\d+\])*\s+")
_WHITESPACE = re.compile(r"\s+")


def _last_match_end(pattern: re.Pattern[str], window: str) -> int:
    """End of the last match of ``pattern`` in ``window`` (0 if none)."""
    end = 0
    for match in pattern.finditer(window):
        end = match.end()
    return end


def _cut_point(text: str, limit: int) -> int:
    """Index at which to cut ``text`` so that ``text[:cut].rstrip()`` fits ``limit``.

    The cut always lands just after whitespace (or at a hard limit for an overlong word).
    """
    # Whitespace right after the limit still lets the whole window be used.
    window = text[: limit + 1]
    for separator in ("\n\n", "\n"):
        index = window.rfind(separator)
        if index > 0 and text[:index].strip():
            return index + len(separator)
    sentence = _last_match_end(_SENTENCE_END, window)
    if sentence > 0 and text[:sentence].strip():
        return sentence
    space = _last_match_end(_WHITESPACE, window)
    if space > 0 and text[:space].strip():
        return space
    # One word longer than the limit: nothing better than a hard cut.
    return limit


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pieces of ``text`` of at most ``limit`` characters each, cut on natural boundaries.

    Whitespace at each cut is dropped; the pieces joined with whitespace give back the text.
    Empty or blank text gives no pieces.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        if len(rest) <= limit:
            pieces.append(rest)
            break
        cut = _cut_point(rest, limit)
        piece = rest[:cut].rstrip()
        pieces.append(piece)
        rest = rest[cut:].lstrip()
    return pieces


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` shortened to ``limit`` characters at a word boundary, marked with ``ellipsis``."""
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis):
        return text[:limit]
    room = limit - len(ellipsis)
    cut = text[: room + 1]
    space = cut.rfind(" ")
    head = text[:space] if space > room // 2 else text[:room]
    return head.rstrip() + ellipsis
