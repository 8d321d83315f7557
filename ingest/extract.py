"""The article in a fetched page: main text by trafilatura (no navigation, related-story boxes,
cookie banners or comments), metadata as the page states it (JSON-LD, OpenGraph, ``<meta>``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from index.cleaning import clean_line, clean_text
from index.html_text import visible_html
from index.loaders import html_fields
from ingest.fetch import NotAnArticle

# "BAGHDAD, Nov. 7, 2021 (Wire) —": a leading dateline that states a full date.
_DATE_LIKE_RE = re.compile(
    r"\b\d{4}-\d{2}-\d{2}\b|\b[A-Za-z]{3,9}\.? \d{1,2},? \d{4}\b|\b\d{1,2} [A-Za-z]{3,9}\.? \d{4}\b"
)
_STRICT_DATE: dict[str, object] = {"STRICT_PARSING": True, "REQUIRE_PARTS": ["day", "month", "year"]}
_DATELINE_RE = re.compile(r"^(?P<head>[^\n]{3,80}?)\s+(?:\u2014|\u2013|--|-)\s", re.S)


@dataclass(frozen=True, slots=True)
class Article:
    url: str
    title: str
    text: str
    published: str | None = None  # ISO date
    source: str | None = None  # outlet: the site's stated name, else its host name
    author: str | None = None

    def to_record(self, doc_id: str) -> dict[str, str]:
        """The ``.jsonl`` line the corpus loader reads."""
        record = {"id": doc_id, "url": self.url, "title": self.title, "text": self.text}
        for key in ("published", "source", "author"):
            value = getattr(self, key)
            if value:
                record[key] = value
        return record


def extract_article(html: str, url: str, *, min_chars: int = 300) -> Article:
    """Raises ``NotAnArticle`` when there is too little main text (a paywall stub, a teaser)."""
    from trafilatura import bare_extraction

    visible = visible_html(html)
    result = bare_extraction(
        visible,
        url=url,
        include_comments=False,
        include_tables=False,
        include_images=False,
        favor_precision=True,
        with_metadata=False,
    )
    raw_text = str(getattr(result, "text", None) or "") if result is not None else ""
    meta = html_fields(visible, url)
    title = meta.get("title") or ""
    text = clean_text(_drop_heading_lines(raw_text, title, meta.get("author")))
    if len(text) < min_chars:
        raise NotAnArticle(
            f"{url} has only {len(text)} characters of article text (fewer than {min_chars}): "
            "a paywall, a teaser or not an article",
            hint="nothing was added; lower NEWSDESK_INGEST_MIN_CHARS if short articles are expected",
        )
    published = meta.get("published") or dateline_date(text)
    source = meta.get("source")
    netloc = urlsplit(url).netloc.lower()
    if not source or source.lower() in (netloc, netloc.removeprefix("www.")):
        source = _host(url)  # no name stated: the host, without port or "www."
    return Article(
        url=meta.get("url") or url,
        title=title or _first_words(text),
        text=text,
        published=published,
        source=source,
        author=meta.get("author"),
    )


def _drop_heading_lines(text: str, title: str, author: str | None) -> str:
    """trafilatura keeps the headline and the byline as the first lines: they are metadata."""
    lines = text.split("\n")
    while lines:
        first = clean_line(lines[0])
        if not first:
            lines.pop(0)
        elif title and first.casefold() == title.casefold():
            lines.pop(0)
        elif author and len(first) <= 100 and author.casefold() in first.casefold():
            lines.pop(0)  # "By Jane Roe", "Jane Roe, Baghdad correspondent"
        else:
            break
    return "\n".join(lines)


def dateline_date(text: str) -> str | None:
    """The date of a leading dateline that states a full date ("BAGHDAD, Nov. 7, 2021 —")."""
    import dateparser

    match = _DATELINE_RE.match(text)
    if not match:
        return None
    # Without a stated year the date cannot be known from the dateline; dateparser decides
    # whether the word is a month.
    for candidate in _DATE_LIKE_RE.findall(match.group("head")):
        parsed = dateparser.parse(candidate, languages=["en"], settings=_STRICT_DATE)
        if parsed is not None:
            return parsed.date().isoformat()
    return None


def _host(url: str) -> str | None:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or None


def _first_words(text: str, limit: int = 100) -> str:
    first = text.split("\n", 1)[0]
    return first if len(first) <= limit else first[: limit - 1].rsplit(" ", 1)[0] + "\u2026"
