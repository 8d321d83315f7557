"""Readable text and metadata from an HTML article (BeautifulSoup, stdlib parser).

Scripts, styles and elements a reader cannot see (``hidden``, ``display:none``,
``aria-hidden``) are dropped: hidden text is a classic way to smuggle instructions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "object", "canvas", "nav")
_BLOCK_TAGS = (
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "blockquote",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "table",
    "tr",
    "figure",
    "figcaption",
    "address",
    "hr",
    "form",
    "fieldset",
)
_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0", re.I)
_WS_RE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class HtmlArticle:
    text: str
    title: str | None = None
    url: str | None = None
    published: str | None = None
    source: str | None = None


def _meta(soup: object, *names: str) -> str | None:
    from bs4 import BeautifulSoup, Tag

    assert isinstance(soup, BeautifulSoup)
    for name in names:
        tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
        if isinstance(tag, Tag):
            content = tag.get("content")
            if isinstance(content, str) and content.strip():
                return content.strip()
    return None


def html_to_article(raw: str) -> HtmlArticle:
    from bs4 import BeautifulSoup, Comment, NavigableString, Tag

    soup = BeautifulSoup(raw, "html.parser")
    title_tag = soup.find("title")
    title = _meta(soup, "og:title") or (title_tag.get_text(" ", strip=True) if title_tag else None)
    h1 = soup.find("h1")
    if not title and isinstance(h1, Tag):
        title = h1.get_text(" ", strip=True)
    url = _meta(soup, "og:url")
    canonical = soup.find("link", attrs={"rel": "canonical"})
    if not url and isinstance(canonical, Tag):
        href = canonical.get("href")
        url = href if isinstance(href, str) else None
    published = _meta(soup, "article:published_time", "date", "pubdate", "publish-date")
    time_tag = soup.find("time")
    if not published and isinstance(time_tag, Tag):
        dt = time_tag.get("datetime")
        published = dt if isinstance(dt, str) else None
    source = _meta(soup, "og:site_name", "publisher")

    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    _drop_hidden(soup)
    if soup.head:
        soup.head.decompose()

    # HTML whitespace collapses to one space, except inside <pre>.
    for string in soup.find_all(string=True):
        if isinstance(string, NavigableString) and not string.find_parent("pre"):
            string.replace_with(_WS_RE.sub(" ", str(string)))
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    body = soup.body or soup
    return HtmlArticle(body.get_text(), title, url, published, source)


def visible_html(raw: str) -> str:
    """The page without scripts (JSON-LD kept for metadata), styles and hidden elements.

    For extractors that work on HTML (trafilatura): hidden text never reaches the index.
    """
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(raw, "html.parser")
    for tag in soup.find_all(_DROP_TAGS):
        if isinstance(tag, Tag) and not (tag.name == "script" and tag.get("type") == "application/ld+json"):
            tag.decompose()
    _drop_hidden(soup)
    return str(soup)


def _drop_hidden(soup: Any) -> None:
    """Remove elements a reader never sees (hidden, aria-hidden, display:none/visibility:hidden)."""
    from bs4 import Tag

    for tag in soup.find_all(True):
        if not isinstance(tag, Tag) or tag.decomposed:
            continue
        style = tag.get("style")
        if (
            tag.has_attr("hidden")
            or str(tag.get("aria-hidden", "")).lower() == "true"
            or (isinstance(style, str) and _HIDDEN_STYLE_RE.search(style))
        ):
            tag.decompose()
