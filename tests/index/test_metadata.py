"""Article metadata is what the input states (JSON-LD, OpenGraph, <title>, .jsonl, datelines)."""

from __future__ import annotations

import json
from pathlib import Path

from answering.citations import make_citation, render_sources
from answering.models import Answer
from index.chunking import chunk_document
from index.loaders import load_corpus
from index.models import day_timestamp
from newsdesk.cli.ask_cmd import render_text

JSONLD_ONLY = """<!doctype html><html><head><title>Page title</title>
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
"headline": "Guards hurt in drone strike", "datePublished": "2021-11-08T09:30:00+03:00",
"author": {"@type": "Person", "name": "Ada Byline"},
"publisher": {"@type": "Organization", "name": "Gazette of Record"}}</script></head>
<body><article><p>Seven guards were hurt in the strike, two officials said on Monday.</p>
</article></body></html>"""

SUFFIXED_TITLE = """<html><head><title>Drone hits PM home | The Daily Planet</title>
<meta property="og:site_name" content="The Daily Planet"></head>
<body><p>A drone hit the home of the prime minister.</p></body></html>"""

NO_METADATA = "<html><body><p>A drone hit the home of the prime minister.</p></body></html>"


def test_html_metadata_from_json_ld(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(JSONLD_ONLY, "utf-8")
    (doc,) = load_corpus(tmp_path).documents
    assert doc.source == "Gazette of Record"
    assert doc.author == "Ada Byline"
    assert doc.published == "2021-11-08"
    assert doc.title == "Page title"  # <title> is what the page calls itself


def test_title_drops_the_site_name_suffix(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(SUFFIXED_TITLE, "utf-8")
    (doc,) = load_corpus(tmp_path).documents
    assert (doc.title, doc.source) == ("Drone hits PM home", "The Daily Planet")


def test_nothing_is_invented_for_a_bare_page(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(NO_METADATA, "utf-8")
    (doc,) = load_corpus(tmp_path).documents
    assert (doc.source, doc.published, doc.author, doc.url) == (None, None, None, None)


def test_jsonl_author_and_date_reach_chunks_as_strings_and_integers(tmp_path: Path) -> None:
    row = {
        "id": "w1",
        "title": "Drone strike",
        "text": "A drone hit the residence. Seven guards were hurt.",
        "source": "Wire Service",
        "published": "2021-11-07T05:00:00Z",
        "author": "Sam Reporter",
        "url": "https://wire.example/1",
    }
    (tmp_path / "a.jsonl").write_text(json.dumps(row) + "\n", "utf-8")
    (doc,) = load_corpus(tmp_path).documents
    assert (doc.source, doc.published, doc.author) == ("Wire Service", "2021-11-07", "Sam Reporter")
    (chunk,) = chunk_document(doc, 500, 50)
    assert chunk.metadata["published_ts"] == day_timestamp("2021-11-07") == 1636243200
    assert chunk.metadata["source"] == "Wire Service"
    assert chunk.metadata["author"] == "Sam Reporter"


def test_a_leading_dateline_is_the_date_and_the_text_keeps_the_article(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(
        "date 2021-11-07 Iraq PM attack: The prime minister survived.\nMore text.", "utf-8"
    )
    (doc,) = load_corpus(tmp_path).documents
    assert doc.published == "2021-11-07"
    assert doc.text.startswith("Iraq PM attack")
    assert doc.title == "Iraq PM attack"


def test_author_does_not_change_hashes_of_articles_without_one(tmp_path: Path) -> None:
    row = {"id": "w1", "title": "T", "text": "Some text here."}
    (tmp_path / "a.jsonl").write_text(json.dumps(row) + "\n", "utf-8")
    before = load_corpus(tmp_path).documents[0].content_hash
    row["author"] = "Someone"
    (tmp_path / "a.jsonl").write_text(json.dumps(row) + "\n", "utf-8")
    assert load_corpus(tmp_path).documents[0].content_hash != before
    del row["author"]
    (tmp_path / "a.jsonl").write_text(json.dumps(row) + "\n", "utf-8")
    assert load_corpus(tmp_path).documents[0].content_hash == before


def test_citations_carry_outlet_and_date_to_text_and_json(tmp_path: Path) -> None:
    row = {
        "id": "w1",
        "title": "Drone strike",
        "text": "A drone hit the residence. Seven guards were hurt.",
        "source": "Wire Service",
        "published": "2021-11-07",
    }
    (tmp_path / "a.jsonl").write_text(json.dumps(row) + "\n", "utf-8")
    (doc,) = load_corpus(tmp_path).documents
    c = make_citation(1, doc, 0, 26)
    assert (c.source, c.published) == ("Wire Service", "2021-11-07")
    answer = Answer("q", "A drone hit it [1].", False, (c,))
    assert "[1] Drone strike \u2014 Wire Service, 2021-11-07 (" in render_text(answer)
    assert "w1, characters 0-26 of the stored text" in render_text(answer)
    assert answer.to_dict()["citations"][0]["source"] == "Wire Service"
    assert answer.to_dict()["citations"][0]["published"] == "2021-11-07"
    assert "Wire Service, 2021-11-07" in render_sources([c])[0]


def test_discord_sources_show_outlet_and_date() -> None:
    from answering.models import Citation
    from bot.render import citations_embed, excerpt_embeds

    c = Citation(1, "w1", "Drone strike", "A drone hit.", 0, 12, None, "Wire Service", "2021-11-07")
    embed = citations_embed([c])
    assert embed is not None
    assert "Wire Service, 2021-11-07" in embed.fields[0].value
    assert "Wire Service, 2021-11-07" in (excerpt_embeds([c])[0][0].footer.text or "")
