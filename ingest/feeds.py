"""RSS and Atom feeds (feedparser): the article links, in feed order."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ingest.fetch import NotAnArticle


@dataclass(frozen=True, slots=True)
class FeedItem:
    url: str
    title: str | None = None
    published: str | None = None  # ISO date the feed states for the item


@dataclass(frozen=True, slots=True)
class Feed:
    title: str | None
    items: tuple[FeedItem, ...]


def parse_feed(body: bytes, url: str) -> Feed:
    """Raises ``NotAnArticle`` when ``body`` is not a feed (HTML, garbage, empty)."""
    import feedparser

    parsed = feedparser.parse(body, response_headers={"content-location": url})
    version = parsed.get("version") or ""
    if not version:
        reason = parsed.get("bozo_exception")
        raise NotAnArticle(
            f"{url} is not an RSS or Atom feed" + (f" ({reason})" if reason else ""),
            hint="pass the feed's address (often ending in /rss, /feed or .xml); pages go without --feed",
        )
    items: list[FeedItem] = []
    seen: set[str] = set()
    for entry in parsed.entries:
        link = entry.get("link") or ""
        if not link or link in seen:
            continue
        seen.add(link)
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = time.strftime("%Y-%m-%d", stamp) if stamp else None
        items.append(FeedItem(url=link, title=entry.get("title") or None, published=published))
    return Feed(title=parsed.feed.get("title") or None, items=tuple(items))
