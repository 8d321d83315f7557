"""`newsdesk ingest` against saved news pages and feeds served by a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from index.build import build_index
from index.loaders import load_corpus
from ingest.corpus import IngestFolder, doc_id_for, normalize_url
from ingest.run import ingest_feed, ingest_urls
from newsdesk.settings import Settings
from tests.index.fakes import CountingEmbeddings
from tests.ingest.site import PAGES as PAGE_DIR
from tests.ingest.site import Route, Site, feed_item_page, rss_feed, serve

UA = "newsdesk-test/1.0 (+tests)"

# page file -> (title, published, outlet, author, a sentence of the article, text that must be gone)
EXPECTED: dict[str, tuple[str, str, str, str | None, str, list[str]]] = {
    "og_jsonld.html": (
        "Drone strike hits port warehouse, officials say",
        "2024-03-14",
        "Harbor Ledger",
        "Mara Ellison",
        "A drone struck a grain warehouse at the northern port of Velmora before dawn on Thursday",
        ["cookies", "Ferry service resumes", "third time this year", "All rights reserved", "By Mara"],
    ),
    "byline_dateline.html": (
        "Parliament approves budget after all-night session",
        "2023-12-02",
        "The Capital Post",
        "Tomas Varga",
        "LINDHOLM, Dec. 2 (Capital Post) \u2014 Lawmakers approved next year's budget",
        ["Ten recipes", "Subscribe", "political correspondent"],
    ),
    "dateline_only.html": (
        "Mountain road reopens after landslide",
        "2022-06-09",  # from the dateline: the page has no date markup
        "Valley Courier",
        None,
        "Road crews worked in shifts around the clock",
        ["morning briefing", "Weather"],
    ),
    "cookie_wall.html": (
        "Hospital opens new cancer wing",
        "2025-01-20",
        "Northern Herald",
        None,
        "The wing houses four new radiotherapy machines and thirty beds.",
        ["cookies", "privacy", "Accept"],
    ),
    "comments_heavy.html": (
        "Council votes to close coal plant by 2030",
        "2023-05-17",
        "Riverside Times",
        "Jo Okafor",
        "About 240 people work at the plant.",
        ["asthma", "bills will double", "nice word for unemployment", "42 comments"],
    ),
    "itemprop_microdata.html": (
        "Rail strike halts trains across the country",
        "2023-10-05",
        "Daily Tribune",
        "Lena Brandt",
        "The union is demanding a raise of 9 percent over two years.",
        ["weekend breaks"],
    ),
    "jsonld_graph.html": (
        "Scientists map glacier retreat with drones",
        "2022-08-30",
        "Polar Science Weekly",
        "Kai Lindqvist; Ruth Amadi",
        "retreated 41 metres over the summer alone",
        ["Penguin colony", "Climate"],
    ),
    "header_clock.html": (  # a "today" clock and a "latest" box with times before/after the article
        "Wildfire forces evacuation of mountain villages",
        "2022-02-03",
        "Southern Observer",
        "Nadia Haddad",
        "Around 1,200 residents spent the night in schools and sports halls in the valley.",
        ["Today is", "Storm warnings", "Minister resigns"],
    ),
    "no_site_name.html": (  # no outlet name anywhere: the host name stands in
        "Library reopens after two-year renovation",
        "2021-09-14",
        "127.0.0.1",
        None,
        "About 3,000 visitors came through the doors on the first day",
        ["Unsubscribe", "newsletter"],
    ),
    "live_updates.html": (
        "Floods: thousands evacuated as river bursts banks",
        "2024-11-02",
        "Metro Wire",
        "Sofia Reyes",
        "Rescue teams used boats to reach residents trapped on upper floors.",
        ["Advertisement", "How to prepare your home", "Share on"],
    ),
}


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    s.routes["/robots.txt"] = Route(
        b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"
    )
    with serve(s) as running:
        for name in EXPECTED:
            running.add_page(f"/news/{name.removesuffix('.html')}", name)
        running.add_page("/news/paywalled", "paywall_stub.html")
        running.routes["/news/report.pdf"] = Route(b"%PDF-1.7 ...", content_type="application/pdf")
        running.routes["/news/slow"] = Route(PAGE_DIR.joinpath("og_jsonld.html").read_bytes(), delay_s=3)
        running.add_page("/private/leak", "og_jsonld.html")
        running.routes["/news/moved"] = Route(b"", status=301, headers={"Location": "/private/leak"})
        running.routes["/news/huge"] = Route(b"<html><body>" + b"<p>x</p>" * 300_000 + b"</body></html>")
        yield running


@pytest.fixture
def ingest_settings(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    return Settings(
        corpus_dir=corpus,
        ingest_user_agent=UA,
        ingest_timeout_s=1.0,
        ingest_delay_s=0,
        ingest_max_bytes=1024 * 1024,
    )


def test_each_page_shape_gives_the_right_text_title_date_and_outlet(
    site: Site, ingest_settings: Settings
) -> None:
    assert len(EXPECTED) >= 8
    urls = [site.url(f"/news/{name.removesuffix('.html')}") for name in EXPECTED]
    report = ingest_urls(ingest_settings, urls)
    assert report.failed == [] and len(report.added) == len(urls)
    docs = {d.url: d for d in load_corpus(ingest_settings.corpus_dir).documents}
    for name, (title, published, outlet, author, sentence, gone) in EXPECTED.items():
        doc = docs[site.url(f"/news/{name.removesuffix('.html')}")]
        assert (doc.title, doc.published, doc.source, doc.author) == (title, published, outlet, author), name
        assert sentence in doc.text, name
        assert not doc.text.startswith(title), name  # the headline is metadata, not text
        for junk in gone:
            assert junk not in doc.text, (name, junk)
    # every request carried our User-Agent, and robots.txt was asked once for the host
    assert {ua for _, ua in site.requests} == {UA}
    assert [p for p, _ in site.requests].count("/robots.txt") == 1


def test_failures_are_clear_and_write_nothing(site: Site, ingest_settings: Settings) -> None:
    cases = {
        "/news/paywalled": "characters of article text",
        "/news/report.pdf": "application/pdf, not an HTML page",
        "/news/missing": "HTTP 404",
        "/news/slow": "did not answer within 1 s",
        "/private/leak": "robots.txt",
        "/news/huge": "byte limit",
        "/news/moved": "which robots.txt of",  # a redirect into a disallowed path
    }
    report = ingest_urls(ingest_settings, [site.url(p) for p in cases])
    assert report.added == []
    errors = dict(report.failed)
    assert len(errors) == len(cases)
    for path, expected in cases.items():
        assert expected in errors[site.url(path)], (path, errors[site.url(path)])
    # asked directly: refused before any request; reached once only by following the redirect
    assert [p for p, _ in site.requests].count("/private/leak") == 1
    ingested = ingest_settings.corpus_dir / "ingested"
    assert not ingested.exists() or list(ingested.iterdir()) == []  # no half-written files


def test_the_same_url_twice_is_not_a_new_article(site: Site, ingest_settings: Settings) -> None:
    url = site.url("/news/og_jsonld")
    first = ingest_urls(ingest_settings, [url])
    again = ingest_urls(ingest_settings, [url, url + "?utm_source=feed#top"])
    assert len(first.added) == 1
    assert again.added == [] and again.known == [url, url + "?utm_source=feed#top"]
    files = list((ingest_settings.corpus_dir / "ingested").glob("*.jsonl"))
    assert [f.name for f in files] == [f"{doc_id_for(url)}.jsonl"]
    record = json.loads(files[0].read_text("utf-8"))  # reviewable: one JSON line
    assert record["source"] == "Harbor Ledger" and record["url"] == url


def test_a_feed_of_30_items_ingests_incrementally_and_then_adds_nothing(
    site: Site, ingest_settings: Settings
) -> None:
    for n in range(30):
        site.routes[f"/coast/story-{n}"] = Route(feed_item_page(n))
    site.routes["/feed.xml"] = Route(rss_feed(site, 20), content_type="application/rss+xml")
    first = ingest_feed(ingest_settings, site.url("/feed.xml"))
    assert len(first.added) == 20 and first.failed == []

    embeddings = CountingEmbeddings()
    built = build_index(ingest_settings, embeddings)
    assert built.added == 20

    site.routes["/feed.xml"] = Route(rss_feed(site, 30), content_type="application/rss+xml")
    second = ingest_feed(ingest_settings, site.url("/feed.xml"))
    assert len(second.added) == 10 and len(second.known) == 20
    fetched = [p for p, _ in site.requests if p.startswith("/coast/")]
    assert len(fetched) == 30  # known items were not fetched again

    embeddings.embedded.clear()
    rebuilt = build_index(ingest_settings, embeddings)
    assert (rebuilt.added, rebuilt.unchanged) == (10, 20)
    new_ids = {doc_id_for(site.url(f"/coast/story-{n}")) for n in range(20, 30)}
    assert set(rebuilt.added_ids) == new_ids
    assert len(embeddings.embedded) == rebuilt.chunks_embedded > 0

    third = ingest_feed(ingest_settings, site.url("/feed.xml"))
    assert third.added == [] and len(third.known) == 30
    docs = load_corpus(ingest_settings.corpus_dir).documents
    assert len(docs) == 30
    story_7 = next(d for d in docs if d.title == "Storm update 7: ferry line 7 suspended")
    assert (story_7.source, story_7.published) == ("Coast Daily", "2024-02-08")


def test_a_page_given_as_feed_is_a_clear_error(site: Site, ingest_settings: Settings) -> None:
    from ingest.fetch import NotAnArticle

    with pytest.raises(NotAnArticle, match="not an RSS or Atom feed"):
        ingest_feed(ingest_settings, site.url("/news/og_jsonld"))


def test_cli_ingest_reports_added_known_and_failed(
    site: Site, ingest_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsdesk.cli import cli

    monkeypatch.setenv("NEWSDESK_CORPUS_DIR", str(ingest_settings.corpus_dir))
    monkeypatch.setenv("NEWSDESK_INGEST_DELAY_S", "0")
    args = ["ingest", "--no-index", "--json", site.url("/news/cookie_wall"), site.url("/news/missing")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1  # one URL failed
    data = json.loads(result.output)
    assert [a["title"] for a in data["added"]] == ["Hospital opens new cancer wing"]
    assert "HTTP 404" in data["failed"][0]["error"]
    again = CliRunner().invoke(cli, ["ingest", "--no-index", site.url("/news/cookie_wall")])
    assert again.exit_code == 0 and "0 added, 1 already known, 0 failed" in again.output


def test_url_normalisation() -> None:
    assert normalize_url("HTTPS://Example.org/a/?utm_medium=x&id=3#frag") == "https://example.org/a?id=3"
    assert IngestFolder(Path("/nonexistent")).known_urls() == set()
