"""Wire copy: the same sentence carried by several outlets is cited once, "carried by N outlets".

The index groups near-duplicate articles (``Document.duplicate_cluster``, see
``index.duplicates``). Here, per answer: citations whose excerpts are the same text are merged
into the first (its marker replaces theirs), and each citation lists the other articles of its
cluster (``cluster(id)``: read per answer, only for the clusters cited) that carry the excerpt
verbatim (after whitespace/quote normalisation) in ``carried_by``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from answering.citations import renumber, renumber_citations
from answering.models import Citation
from index.models import Document

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_WS = re.compile(r"\s+")


def normalize(text: str) -> str:
    return _WS.sub(" ", text.translate(_QUOTES)).strip().casefold()


def outlet_label(doc: Document) -> str:
    """'Outlet (2021-11-07)', or the document id when the article names no outlet."""
    name = doc.source or doc.doc_id
    return f"{name} ({doc.published})" if doc.published else name


def collapse(
    text: str,
    citations: Sequence[Citation],
    document: Callable[[str], Document],
    cluster: Callable[[str], Sequence[Document]],
) -> tuple[str, tuple[Citation, ...]]:
    """Merge citations of the same excerpt; fill ``carried_by`` from the excerpt's cluster."""
    if not citations:
        return text, tuple(citations)
    first_of: dict[str, Citation] = {}
    mapping: dict[int, int] = {}
    extra: dict[int, list[str]] = {}
    kept: list[Citation] = []
    for c in citations:
        key = normalize(c.excerpt)
        if key in first_of:
            mapping[c.n] = first_of[key].n
            extra[first_of[key].n].append(c.doc_id)
            continue
        first_of[key] = c
        mapping[c.n] = c.n
        extra[c.n] = []
        kept.append(c)
    out: list[Citation] = []
    for c in kept:
        doc = document(c.doc_id)
        key = normalize(c.excerpt)
        members = cluster(doc.duplicate_cluster) if doc.duplicate_cluster else ()
        carriers = {d.doc_id: d for d in members if d.doc_id != c.doc_id}
        for doc_id in extra[c.n]:
            if doc_id != c.doc_id and doc_id not in carriers:
                carriers[doc_id] = document(doc_id)
        carried = tuple(
            outlet_label(d) for _, d in sorted(carriers.items()) if key in normalize(d.text)
        )
        out.append(replace(c, carried_by=carried) if carried else c)
    if len(kept) == len(citations) and all(c is o for c, o in zip(kept, out, strict=True)):
        return text, tuple(citations)
    return renumber_citations(drop_repeated_sentences(renumber(text, mapping)), out)


_CITED_PIECE = re.compile(r"[^\[\]]*?(?:\[\d+\])+[.!?\"\u201d\u2019)]*\s*")


def drop_repeated_sentences(text: str) -> str:
    """'X [1]. X [1].' -> 'X [1].': the same cited sentence, once (after markers were merged)."""
    seen: set[str] = set()
    pieces: list[str] = []
    pos = 0
    for m in _CITED_PIECE.finditer(text):
        if m.start() != pos:
            break
        pos = m.end()
        key = normalize(m.group(0))
        if key in seen:
            continue
        seen.add(key)
        pieces.append(m.group(0))
    return ("".join(pieces) + text[pos:]).strip()
