"""`newsdesk ingest`: fetch pages or a feed, write new articles into the corpus folder.

Each URL succeeds or fails on its own: a 404, a timeout, a robots.txt refusal, a PDF or a
paywall stub is reported with its reason and nothing is written for it; the others are added.
Indexing is left to the caller (``index.build.build_index`` is incremental).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.corpus import IngestFolder
from ingest.extract import Article, extract_article
from ingest.feeds import parse_feed
from ingest.fetch import Fetcher, IngestError, NotAnArticle, check_url

if TYPE_CHECKING:
    from newsdesk.settings import Settings

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True, slots=True)
class Added:
    url: str
    doc_id: str
    title: str
    source: str | None
    published: str | None
    path: str


@dataclass(slots=True)
class IngestReport:
    added: list[Added] = field(default_factory=list)
    known: list[str] = field(default_factory=list)  # URLs already in the corpus: not fetched
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": [asdict(a) for a in self.added],
            "known": list(self.known),
            "failed": [{"url": u, "error": e} for u, e in self.failed],
        }


def make_fetcher(settings: Settings) -> Fetcher:
    return Fetcher(
        user_agent=settings.ingest_user_agent,
        timeout_s=settings.ingest_timeout_s,
        max_bytes=settings.ingest_max_bytes,
        delay_s=settings.ingest_delay_s,
    )


def fetch_article(fetcher: Fetcher, url: str, *, min_chars: int) -> Article:
    got = fetcher.fetch(url)
    if got.content_type not in HTML_TYPES:
        raise NotAnArticle(
            f"{url} is {got.content_type or 'of no stated type'}, not an HTML page",
            hint="only HTML articles can be ingested; save other formats as .txt in the corpus folder",
        )
    return extract_article(got.text(), got.final_url, min_chars=min_chars)


def ingest_urls(
    settings: Settings,
    urls: Iterable[str],
    *,
    corpus_dir: Path | None = None,
    fetcher: Fetcher | None = None,
    feed_dates: dict[str, str] | None = None,
) -> IngestReport:
    """``feed_dates``: url -> the date a feed states for it (used when the page states none)."""
    folder = IngestFolder(Path(corpus_dir or settings.corpus_dir))
    fetcher = fetcher or make_fetcher(settings)
    report = IngestReport()
    for url in urls:
        _ingest_one(folder, fetcher, url, settings.ingest_min_chars, report, (feed_dates or {}).get(url))
    return report


def ingest_feed(
    settings: Settings,
    feed_url: str,
    *,
    corpus_dir: Path | None = None,
    fetcher: Fetcher | None = None,
) -> IngestReport:
    """Add the feed's items not yet in the corpus (the same run again adds nothing)."""
    fetcher = fetcher or make_fetcher(settings)
    got = fetcher.fetch(check_url(feed_url))
    feed = parse_feed(got.body, got.final_url)
    log.info("feed %s: %d items", feed_url, len(feed.items))
    return ingest_urls(
        settings,
        [item.url for item in feed.items],
        corpus_dir=corpus_dir,
        fetcher=fetcher,
        feed_dates={item.url: item.published for item in feed.items if item.published},
    )


def _ingest_one(
    folder: IngestFolder,
    fetcher: Fetcher,
    url: str,
    min_chars: int,
    report: IngestReport,
    feed_date: str | None,
) -> None:
    try:
        url = check_url(url)
        if folder.has(url):
            report.known.append(url)
            return
        article = fetch_article(fetcher, url, min_chars=min_chars)
        if article.published is None and feed_date:
            article = replace(article, published=feed_date)
        if folder.has(article.url):  # another address of an article we have (its canonical URL)
            report.known.append(url)
            return
        doc_id, path = folder.add(article, url)
    except IngestError as exc:
        log.debug("not added: %s", exc.message)  # reported to the caller in IngestReport.failed
        report.failed.append((url, exc.message))
        return
    report.added.append(Added(url, doc_id, article.title, article.source, article.published, str(path)))
