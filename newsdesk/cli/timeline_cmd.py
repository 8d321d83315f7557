"""`newsdesk timeline [TOPIC]`: dated events in order, each a verbatim cited sentence."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from newsdesk.settings import Settings


@click.command(
    epilog="""\b
Examples:
  newsdesk timeline                       # the whole index
  newsdesk timeline protests              # sentences about a topic
  newsdesk timeline --json --limit 10 "the election"
Dates are placed as the articles write them; a date without a year in an undated
article is shown as --MM-DD."""
)
@click.argument("topic", nargs=-1)
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True, help="Most entries shown.")
@click.option("--json", "as_json", is_flag=True, help="Print the timeline as JSON.")
@click.pass_obj
def timeline(settings: Settings, topic: tuple[str, ...], limit: int, as_json: bool) -> None:
    """List the dated events of the articles (or of TOPIC) in date order, with citations."""
    from answering.timeline import timeline as build
    from newsdesk.app import build_service

    service = build_service(settings)
    result = build(service.reader, service.retriever, " ".join(topic) or None, limit=limit)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    if not result.entries:
        click.echo("No dated events found" + (f" about {result.topic!r}." if result.topic else "."))
        return
    for line in result.lines():
        click.echo(line)
