"""A timeline: the dated events of the corpus (or of a topic), in date order, each a cited sentence.

Sentences come from the index's sentence splitter; spaCy finds the DATE entities that name a
calendar day, month or year ("on November 6", "Oct. 10", "May 6, 2020", "in 2018"); dateparser
places them relative to the article's date (a date without a year in an undated article keeps
no year: it is shown as written and ordered as if in the newest article year). The same
sentence in several articles (wire copy) is one entry, carried by the others.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from answering.agreement import nlp
from answering.citations import make_citation
from answering.dates import CALENDAR_RE
from answering.models import Citation
from answering.wire import normalize, outlet_label
from index.chunking import sentence_spans
from index.models import Chunk, Document

MAX_SENTENCES = 5000  # sentences parsed for one timeline (spaCy: ~1-2 ms each on 2 cores)
MAX_SENTENCE_CHARS = 600  # longer "sentences" are lists or captions run together
_YEAR_RE = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_DAY_RE = re.compile(r"\b\d{1,2}(?:st|nd|rd|th)?\b")


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    when: str  # "2021-11-06"; "2021-11" / "2021" for a month / year; "--11-06" when no year is known
    written: str  # the date as the sentence writes it
    citation: Citation  # the verbatim sentence with its outlet and article date

    def to_dict(self) -> dict[str, Any]:
        return {"when": self.when, "written": self.written, "citation": self.citation.to_dict()}


@dataclass(frozen=True, slots=True)
class Timeline:
    topic: str | None
    entries: tuple[TimelineEntry, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.topic, "entries": [e.to_dict() for e in self.entries]}

    def lines(self) -> list[str]:
        """'2021-11-06  [1] “sentence” — Outlet, 2021-11-07 (doc_id)' per entry (pure)."""
        out = []
        for e in self.entries:
            c = e.citation
            meta = c.byline(lead=" \u2014 ")
            out.append(f"{e.when:<10}  [{c.n}] \u201c{' '.join(c.excerpt.split())}\u201d{meta} ({c.doc_id})")
        return out


def _parse(written: str, published: date | None) -> tuple[str, tuple[int, int, int]] | None:
    """(shown date, sort key) of a DATE entity, or None if it names no calendar date."""
    placed = _parse_phrase(written, published)
    if placed is None:  # "November 6, a day": the calendar part alone
        for m in CALENDAR_RE.finditer(written):
            if m.group(0) != written and (placed := _parse_phrase(m.group(0), published)) is not None:
                break
    return placed


def _parse_phrase(written: str, published: date | None) -> tuple[str, tuple[int, int, int]] | None:
    import dateparser

    if not re.search(r"\d", written):
        return None  # "Sunday", "last month": not placeable without guessing
    year_stated = _YEAR_RE.search(written)
    has_day = bool(_DAY_RE.search(_YEAR_RE.sub("", written)))
    settings: dict[str, Any] = {"PREFER_DATES_FROM": "past"}
    if published is not None:
        settings["RELATIVE_BASE"] = datetime(published.year, published.month, published.day)
    if not has_day:
        if year_stated is None:
            return None
        parsed = dateparser.parse(
            written, languages=["en"], settings=settings | {"PREFER_DAY_OF_MONTH": "first"}
        )
        year = int(year_stated.group(0))
        month_named = parsed is not None and re.search(r"[A-Za-z]{3}", written) and parsed.year == year
        if (
            month_named
            and parsed is not None
            and not re.fullmatch(r"\W*(?:in\s+|late\s+|early\s+)?\d{4}\W*", written)
        ):
            return f"{year}-{parsed.month:02d}", (year, parsed.month, 0)
        return str(year), (year, 0, 0)
    parsed = dateparser.parse(written, languages=["en"], settings=settings)
    if parsed is None:
        return None
    if year_stated is None and published is None:
        return f"--{parsed.month:02d}-{parsed.day:02d}", (0, parsed.month, parsed.day)
    return parsed.date().isoformat(), (parsed.year, parsed.month, parsed.day)


def _published(doc: Document) -> date | None:
    try:
        return date.fromisoformat(doc.published[:10]) if doc.published else None
    except ValueError:
        return None


def build_timeline(
    documents: Sequence[Document],
    *,
    topic: str | None = None,
    within: Sequence[Chunk] | None = None,
    limit: int = 50,
) -> Timeline:
    """Dated sentences of ``documents`` (only those inside ``within`` chunks, if given), oldest first."""
    regions: dict[str, list[tuple[int, int]]] | None = None
    if within is not None:
        regions = {}
        for chunk in within:
            regions.setdefault(chunk.doc_id, []).append((chunk.start, chunk.end))
    candidates: list[tuple[Document, int, int]] = []
    for doc in documents:
        if regions is not None and doc.doc_id not in regions:
            continue
        for start, end in sentence_spans(doc.text):
            if end - start > MAX_SENTENCE_CHARS or not re.search(r"\d", doc.text[start:end]):
                continue
            if regions is not None and not any(s < end and start < e for s, e in regions[doc.doc_id]):
                continue
            candidates.append((doc, start, end))
            if len(candidates) >= MAX_SENTENCES:
                break
        if len(candidates) >= MAX_SENTENCES:
            break
    found: list[tuple[tuple[int, int, int], str, str, Document, int, int]] = []
    texts = [doc.text[s:e] for doc, s, e in candidates]
    for (doc, start, end), parsed in zip(candidates, nlp().pipe(texts), strict=True):
        for ent in parsed.ents:
            if ent.label_ != "DATE":
                continue
            placed = _parse(ent.text, _published(doc))
            if placed is not None:
                shown, key = placed
                found.append((key, shown, ent.text, doc, start, end))
                break  # one entry per sentence: its first calendar date
    newest = max((d.year for d in map(_published, documents) if d is not None), default=0)
    found.sort(key=lambda f: ((f[0][0] or newest), f[0][1], f[0][2], f[3].published or "", f[3].doc_id, f[4]))
    entries: list[TimelineEntry] = []
    seen: dict[str, int] = {}
    carried: dict[int, list[str]] = {}
    for _key, shown, written, doc, start, end in found:
        norm = normalize(doc.text[start:end])
        if norm in seen:  # wire copy: the same sentence in another article
            carried[seen[norm]].append(outlet_label(doc))
            continue
        if len(entries) >= limit:
            continue
        seen[norm] = len(entries)
        carried[len(entries)] = []
        citation = make_citation(len(entries) + 1, doc, start, end)
        entries.append(TimelineEntry(shown, written, citation))
    final = tuple(
        TimelineEntry(e.when, e.written, Citation(**{**_fields(e.citation), "carried_by": tuple(carried[i])}))
        if carried[i]
        else e
        for i, e in enumerate(entries)
    )
    return Timeline(topic, final)


def _fields(c: Citation) -> dict[str, Any]:
    return {name: getattr(c, name) for name in Citation.__dataclass_fields__}


def timeline(
    reader: Any, retriever: Any, topic: str | None = None, *, limit: int = 50, k: int = 30
) -> Timeline:
    """The timeline of the whole index, or of the ``k`` chunks retrieved for ``topic``.

    ``reader``: ``documents()`` (``index.reader.IndexReader``); ``retriever``: ``retrieve(query,
    k)`` (``answering.retrieval.HybridRetriever``). Without a topic, the newest articles are
    read first, up to ``MAX_SENTENCES`` dated-looking sentences.
    """
    topic = " ".join((topic or "").split()) or None
    documents: list[Document] = list(reader.documents())
    within: list[Chunk] | None = None
    if topic:
        within = [r.chunk for r in retriever.retrieve(topic, k)]
        wanted = {c.doc_id for c in within}
        documents = [d for d in documents if d.doc_id in wanted]
    else:
        documents.sort(key=lambda d: d.published or "", reverse=True)
    return build_timeline(documents, topic=topic, within=within, limit=limit)
