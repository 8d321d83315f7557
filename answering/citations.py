"""Citations as data: build, verify against the stored text, parse and renumber [n] markers.

Every excerpt that leaves the answering core is ``document.text[start:end]``, and lies inside a
chunk that was retrieved for this question; anything else is dropped here, loudly.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from answering.models import Citation
from index.models import Chunk, Document

log = logging.getLogger(__name__)

MARKER = re.compile(r"\[(\d{1,3})\]")
_MULTI_MARKER = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})+)\]")


def make_citation(n: int, doc: Document, start: int, end: int) -> Citation:
    """A citation of ``doc.text[start:end]`` (the excerpt is taken from the document itself)."""
    if not 0 <= start < end <= len(doc.text):
        raise ValueError(f"bad span {start}:{end} for {doc.doc_id} ({len(doc.text)} chars)")
    return Citation(
        n=n,
        doc_id=doc.doc_id,
        title=doc.title,
        excerpt=doc.text[start:end],
        start=start,
        end=end,
        url=doc.url,
        source=doc.source,
        published=doc.published,
        path=doc.path,
    )


def is_verbatim(citation: Citation, document: Callable[[str], Document]) -> bool:
    try:
        text = document(citation.doc_id).text
    except Exception:  # noqa: BLE001 - a missing document simply fails verification
        log.warning("citation [%d] names unknown document %s", citation.n, citation.doc_id)
        return False
    return bool(citation.excerpt) and text[citation.start : citation.end] == citation.excerpt


def within_retrieved(citation: Citation, chunks: Iterable[Chunk]) -> bool:
    """True if the excerpt overlaps a retrieved chunk of the same document."""
    return any(
        c.doc_id == citation.doc_id and citation.start < c.end and c.start < citation.end for c in chunks
    )


def verify(
    citations: Sequence[Citation],
    document: Callable[[str], Document],
    retrieved: Sequence[Chunk],
) -> tuple[list[Citation], list[Citation]]:
    """Split citations into (good, rejected): verbatim in their document and from retrieved text."""
    good: list[Citation] = []
    bad: list[Citation] = []
    for c in citations:
        if is_verbatim(c, document) and within_retrieved(c, retrieved):
            good.append(c)
        else:
            log.error("dropping unverifiable citation [%d] %s %d:%d", c.n, c.doc_id, c.start, c.end)
            bad.append(c)
    return good, bad


def expand_marker_lists(text: str) -> str:
    """'[1, 2]' -> '[1][2]' so every marker has one number."""
    return _MULTI_MARKER.sub(lambda m: "".join(f"[{x.strip()}]" for x in m.group(1).split(",")), text)


# "... results. [1]" or "... results.[1][2]": markers after the full stop belong to the
# sentence before it (a style many models use); moved inside so sentence splitting keeps them.
_TRAILING_MARKERS = re.compile(r"([.!?][\"\u201d\u2019)]*)((?:[ \t]*\[\d{1,3}\])+)")


def attach_trailing_markers(text: str) -> str:
    """'It fell. [1] Next.' -> 'It fell [1]. Next.'"""
    return _TRAILING_MARKERS.sub(lambda m: " " + re.sub(r"\s+", "", m.group(2)) + m.group(1), text)


def markers(text: str) -> list[int]:
    """Marker numbers in order of first appearance."""
    seen: list[int] = []
    for m in MARKER.finditer(expand_marker_lists(text)):
        n = int(m.group(1))
        if n not in seen:
            seen.append(n)
    return seen


def renumber(text: str, mapping: dict[int, int]) -> str:
    """Rewrite markers by ``mapping``; markers not in it are removed (they point at nothing)."""

    def sub(m: re.Match[str]) -> str:
        new = mapping.get(int(m.group(1)))
        return f"[{new}]" if new is not None else ""

    out = MARKER.sub(sub, expand_marker_lists(text))
    out = re.sub(r"(\[\d+\])(?:\1)+", r"\1", out)  # [1][1] -> [1]
    out = re.sub(r"[ \t]+([.,;:!?])", r"\1", out)
    return re.sub(r"[ \t]{2,}", " ", out).strip()


def renumber_citations(text: str, citations: Sequence[Citation]) -> tuple[str, tuple[Citation, ...]]:
    """Number citations 1..n in order of first use in ``text``; unused ones are dropped."""
    by_n = {c.n: c for c in citations}
    order = [n for n in markers(text) if n in by_n]
    mapping = {old: new for new, old in enumerate(order, start=1)}
    renumbered = tuple(
        replace(by_n[old], n=mapping[old]) for old in order
    )
    return renumber(text, mapping), renumbered


def render_sources(citations: Sequence[Citation]) -> list[str]:
    """Plain-text source lines: '[1] Title — Outlet, 2021-11-07 (doc_id): “excerpt”'."""
    dash = " \u2014 "
    return [
        f"[{c.n}] {c.title}{c.byline(lead=dash)} ({c.doc_id}): \u201c{c.excerpt}\u201d"
        for c in citations
    ]
