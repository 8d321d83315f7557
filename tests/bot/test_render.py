"""Pure rendering: Discord limits, link previews, refusals."""

from __future__ import annotations

from answering.models import Answer, Citation
from bot.render import (
    EMBED_TOTAL,
    FIELD_NAME,
    FIELD_VALUE,
    MAX_FIELDS,
    citations_embed,
    excerpt_embeds,
    hide_link_previews,
    reindex_report,
    render_answer,
    sources_pages,
)
from tests.bot.fakes import FakeDocument


def _citation(n: int, excerpt_len: int = 3000, title_len: int = 300) -> Citation:
    excerpt = ("word " * (excerpt_len // 5)).strip()
    return Citation(
        n=n,
        doc_id=f"doc-{n}",
        title="T" * title_len,
        excerpt=excerpt,
        start=0,
        end=len(excerpt),
        url=f"https://n.example/{n}",
    )


def test_embed_respects_limits_with_many_huge_citations() -> None:
    citations = [_citation(n) for n in range(1, 40)]
    embed = citations_embed(citations)
    assert embed is not None
    assert len(embed) <= EMBED_TOTAL
    assert len(embed.fields) == MAX_FIELDS
    assert all(len(f.name) <= FIELD_NAME and len(f.value) <= FIELD_VALUE for f in embed.fields)
    assert "14 more not shown" in (embed.description or "")
    assert all(f"`doc-{i}`" in embed.fields[i - 1].value for i in range(1, 26))


def test_single_citation_keeps_whole_short_excerpt() -> None:
    c = Citation(
        n=1, doc_id="d", title="Title", excerpt="A short verbatim excerpt.", start=5, end=30
    )
    embed = citations_embed([c])
    assert embed is not None
    assert embed.fields[0].value == "> A short verbatim excerpt.\n`d`"


def test_excerpt_embeds_group_within_message_limits() -> None:
    groups = excerpt_embeds([_citation(n, excerpt_len=5000) for n in range(1, 13)])
    assert sum(len(g) for g in groups) == 12
    for group in groups:
        assert len(group) <= 10
        assert sum(len(e) for e in group) <= EMBED_TOTAL
        assert all(len(e.description or "") <= 4096 and len(e.title or "") <= 256 for e in group)


def test_refusal_renders_without_embed() -> None:
    rendered = render_answer(Answer(question="q", answer="Not in the articles.", refused=True))
    assert rendered.contents == ("Not in the articles.",) and rendered.embed is None


def test_links_are_wrapped_but_not_twice() -> None:
    text = "See https://a.example/x, and <https://b.example/y> or (https://c.example/z)."
    assert hide_link_previews(text) == (
        "See <https://a.example/x>, and <https://b.example/y> or (https://c.example/z)."
    )


def test_sources_pages_and_reindex_report() -> None:
    pages = sources_pages(
        [FakeDocument("b", "Beta"), FakeDocument("a", "Alpha", "https://x.example")]
    )
    assert pages == ["**2 indexed articles**\n• **Alpha** `a` <https://x.example>\n• **Beta** `b`"]
    assert sources_pages([])[0].startswith("The index holds no articles")
    report = reindex_report(
        {
            "added": 2,
            "updated": 1,
            "removed": 0,
            "unchanged": 3,
            "chunks_embedded": 7,
            "seconds": 1.25,
            "warnings": [],
        }
    )
    assert report == (
        "Index rebuilt in 1.2 s: 2 added, 1 updated, 0 removed, 3 unchanged; 7 chunks embedded."
    )
