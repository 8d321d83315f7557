"""Sentence-respecting chunking with exact character offsets.

Every chunk is ``doc.text[start:end]``: a run of whole sentences up to ``chunk_size`` characters,
overlapping the previous chunk by whole sentences up to ``chunk_overlap`` characters. A sentence
longer than ``chunk_size`` is split at word boundaries (hard-split only if it has no spaces).
"""

from __future__ import annotations

import hashlib
import re

from index.models import Chunk, Document

# A sentence ends at . ! ? … (plus closing quotes/brackets) followed by whitespace, or at a newline.
_END_RE = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)|\n")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st sr jr gen col lt sgt capt sen rep gov pres vs etc inc ltd co corp no "
    "jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.g i.e a.m p.m".split()
)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _is_abbreviation(text: str, dot: int) -> bool:
    """True if the period at ``dot`` ends an abbreviation or an initial ("Nov.", "U.S.", "J.")."""
    start = dot
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] == "."):
        start -= 1
    word = text[start:dot].lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, without surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _END_RE.finditer(text):
        end = match.end() if match.group() != "\n" else match.start()
        if match.group() != "\n":
            if match.group()[0] == "." and _is_abbreviation(text, match.start()):
                continue
            nxt = text[match.end() : match.end() + 2].lstrip()
            if nxt[:1].islower():  # "e.g. this" / "... and" : not a sentence end
                continue
        _append_trimmed(text, start, end, spans)
        start = match.end()
    _append_trimmed(text, start, len(text), spans)
    return spans


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def _split_long(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Split one over-long sentence into pieces of at most ``size`` chars at spaces."""
    pieces: list[tuple[int, int]] = []
    while end - start > size:
        cut = text.rfind(" ", start + 1, start + size + 1)
        if cut <= start:
            cut = start + size
        pieces.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        pieces.append((start, end))
    return pieces


def chunk_spans(text: str, chunk_size: int, chunk_overlap: int) -> list[tuple[int, int]]:
    """Offsets of the chunks of ``text``."""
    units: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        if end - start > chunk_size:
            units.extend(_split_long(text, start, end, chunk_size))
        else:
            units.append((start, end))
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        j = i
        while j + 1 < len(units) and units[j + 1][1] - units[i][0] <= chunk_size:
            j += 1
        spans.append((units[i][0], units[j][1]))
        if j + 1 >= len(units):
            break
        # Next chunk starts at the earliest sentence whose tail overlap fits chunk_overlap,
        # and always moves forward.
        nxt = j + 1
        while nxt - 1 > i and units[j][1] - units[nxt - 1][0] <= chunk_overlap:
            nxt -= 1
        i = nxt
    return spans


def chunk_document(doc: Document, chunk_size: int, chunk_overlap: int) -> list[Chunk]:
    """Chunks of ``doc`` with ids ``f"{doc_id}:{position}"`` and metadata carried from it."""
    base: dict[str, str | int | float | bool] = {"doc_id": doc.doc_id, "title": doc.title}
    for key in ("url", "published", "published_ts", "source", "author"):
        value = getattr(doc, key)
        if value:
            base[key] = value
    chunks = []
    for position, (start, end) in enumerate(chunk_spans(doc.text, chunk_size, chunk_overlap)):
        text = doc.text[start:end]
        meta = dict(base)
        meta.update(position=position, start=start, end=end, text_hash=text_hash(text))
        chunks.append(
            Chunk(f"{doc.doc_id}:{position}", doc.doc_id, position, text, start, end, meta)
        )
    return chunks
