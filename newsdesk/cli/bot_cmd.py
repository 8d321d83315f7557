"""`newsdesk bot`: run the Discord bot on the answering core (or export its feedback)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

log = logging.getLogger(__name__)


@click.command(
    "bot",
    epilog="""\b
Examples:
  NEWSDESK_DISCORD_TOKEN=... newsdesk bot
  newsdesk bot --guild-id 123456789012345678    # commands appear at once in that server
  newsdesk bot --sync                           # sync slash commands even if unchanged
  newsdesk bot --guild-id 1234... --clear-global  # and remove stale global duplicates
  newsdesk bot --no-reindex                     # hide rebuilds from Discord
  newsdesk bot --export-feedback feedback.jsonl # write 👍/👎 feedback as eval JSONL, then exit

\b
Against a Discord-compatible server instead of discord.com:
  NEWSDESK_DISCORD_API_BASE=http://127.0.0.1:8080/api/v10 \\
  NEWSDESK_DISCORD_GATEWAY_URL=ws://127.0.0.1:8080/gateway newsdesk bot""",
)
@click.option("--guild-id", type=int, default=None, help="Sync slash commands to one server only.")
@click.option("--no-reindex", is_flag=True, help="Do not allow /reindex from Discord.")
@click.option(
    "--sync",
    is_flag=True,
    help="Sync slash commands now (otherwise only when they changed since the last sync).",
)
@click.option(
    "--clear-global",
    is_flag=True,
    help="With --guild-id: remove this bot's global slash commands (stale duplicates).",
)
@click.option(
    "--export-feedback",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write collected feedback as JSONL and exit (no token needed).",
)
@click.pass_obj
def bot(
    settings: Any,
    guild_id: int | None,
    no_reindex: bool,
    sync: bool,
    clear_global: bool,
    export_feedback: Path | None,
) -> None:
    """Run the Discord bot: /ask, mentions and threads, /sources, /reindex, feedback buttons.

    Needs NEWSDESK_DISCORD_TOKEN and a built index (`newsdesk index build`).
    """
    if export_feedback is not None:
        from bot.feedback import FeedbackStore, export_jsonl

        count = export_jsonl(FeedbackStore.in_data_dir(settings.data_dir), export_feedback)
        click.echo(f"Wrote {count} rated answer(s) to {export_feedback}")
        return

    from bot.runner import require_token, run

    if guild_id is not None:
        settings = settings.model_copy(update={"discord_guild_id": guild_id})
    require_token(settings)  # fail fast, before loading the model
    click.echo("Loading the index and the embedding model…", err=True)
    from newsdesk.app import build_bot_deps

    deps = build_bot_deps(settings, allow_reindex=not no_reindex)
    run(settings, deps, sync=sync, clear_global=clear_global)
