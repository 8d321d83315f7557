"""`newsdesk ingest URL...` and `newsdesk ingest --feed URL`: add web articles, then index them.

A URL that fails (404, timeout, robots.txt, not HTML, too little text) is reported with its
reason and nothing is written for it; the others are added. Exit status 1 if any failed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ingest.run import IngestReport
    from newsdesk.settings import Settings


def _print_report(report: IngestReport) -> None:
    for a in report.added:
        meta = ", ".join(x for x in (a.source, a.published) if x)
        click.echo(f"added   {a.doc_id}  {a.title}" + (f" ({meta})" if meta else ""))
    for url in report.known:
        click.echo(f"known   {url} (already in the corpus)")
    for url, error in report.failed:
        click.secho(f"failed  {url}: {error}", fg="red", err=True)
    click.echo(
        f"{len(report.added)} added, {len(report.known)} already known, {len(report.failed)} failed."
    )


@click.command(
    epilog="""\b
Examples:
  newsdesk ingest https://example.org/news/drone-strike
  newsdesk ingest --feed https://example.org/world/rss.xml
  newsdesk ingest --no-index --json https://example.org/a https://example.org/b
Articles are written to <corpus>/ingested/web-<hash>.jsonl (review or delete them there).
Politeness: NEWSDESK_INGEST_USER_AGENT, _TIMEOUT_S, _MAX_BYTES, _DELAY_S; robots.txt is obeyed."""
)
@click.argument("urls", nargs=-1)
@click.option("--feed", "feed_url", default=None, help="An RSS or Atom feed: add its new items.")
@click.option(
    "--corpus",
    "corpus_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Corpus folder (default: NEWSDESK_CORPUS_DIR or ./corpus).",
)
@click.option("--no-index", is_flag=True, help="Only write the articles; do not update the index.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def ingest(
    ctx: click.Context,
    urls: tuple[str, ...],
    feed_url: str | None,
    corpus_dir: Path | None,
    no_index: bool,
    as_json: bool,
) -> None:
    """Fetch articles (URLS, or the items of --feed) into the corpus and index them."""
    from ingest.run import ingest_feed, ingest_urls

    settings: Settings = ctx.find_root().obj
    if not urls and not feed_url:
        raise click.UsageError("give one or more article URLs, or --feed URL")
    corpus = corpus_dir or Path(settings.corpus_dir)
    report = ingest_urls(settings, urls, corpus_dir=corpus) if urls else None
    if feed_url:
        from_feed = ingest_feed(settings, feed_url, corpus_dir=corpus)
        if report is None:
            report = from_feed
        else:
            report.added += from_feed.added
            report.known += from_feed.known
            report.failed += from_feed.failed
    assert report is not None
    summary = None
    if report.added and not no_index:
        from index.build import build_index
        from index.lazy import LazyEmbeddings

        written = [Path(a.path) for a in report.added]  # only these changed: no folder listing
        summary = build_index(settings, LazyEmbeddings(settings), corpus_dir=corpus, changed_files=written)
    if as_json:
        data = report.to_dict()
        data["index"] = summary.to_dict() if summary else None
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        _print_report(report)
        if summary is not None:
            click.echo(
                f"Index updated: {summary.added} added, {summary.chunks_embedded} chunks embedded "
                f"({summary.seconds:.2f}s)."
            )
    if report.failed:
        ctx.exit(1)
