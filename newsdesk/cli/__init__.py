"""The `newsdesk` command line.

Subcommands live in their own modules and are imported only when run, so
`newsdesk --help` stays fast (torch and sentence-transformers take seconds to import).
Every NewsdeskError is translated here, once, into a clear message and a non-zero exit.
"""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path
from typing import Any

import click

from newsdesk.errors import CorpusError, IndexMissing, NewsdeskError

log = logging.getLogger(__name__)

# command name -> "module:attribute"
_COMMANDS: dict[str, str] = {
    "index": "newsdesk.cli.index_cmd:index",
    "ask": "newsdesk.cli.ask_cmd:ask",
    "chat": "newsdesk.cli.ask_cmd:chat",
    "bot": "newsdesk.cli.bot_cmd:bot",
    "eval": "newsdesk.cli.eval_cmd:eval_command",
    "health": "newsdesk.cli.health_cmd:health",
    "ingest": "newsdesk.cli.ingest_cmd:ingest",
    "timeline": "newsdesk.cli.timeline_cmd:timeline",
}

_SHORT_HELP: dict[str, str] = {
    "index": "Build, inspect and verify the article index.",
    "ask": "Answer one question with cited excerpts.",
    "chat": "Interactive conversation with follow-up questions.",
    "bot": "Run the Discord bot.",
    "eval": "Score answers, citations and refusals on a question set.",
    "health": "Check the store and LLM server are reachable (Docker HEALTHCHECK).",
    "ingest": "Add articles from URLs or an RSS/Atom feed, then index them.",
    "timeline": "Dated events of the corpus (or of a topic) in order, each cited.",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None  # not built yet
            raise
        command = getattr(module, attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help without importing every subcommand module.
        rows = [(name, _SHORT_HELP.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def configure_logging(level: str, verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Chatty third-party loggers stay quiet unless asked.
    for name in ("httpx", "chromadb", "sentence_transformers", "urllib3", "discord.gateway"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="""\b
Examples:
  newsdesk index build                      # index ./corpus (incremental)
  newsdesk index status
  newsdesk ask "Who denied involvement in the attack?"
  newsdesk chat
  NEWSDESK_DISCORD_TOKEN=... newsdesk bot
  newsdesk eval --report eval-report/

Settings come from NEWSDESK_* environment variables or a .env file (see .env.example).""",
)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.version_option(package_name="newsdesk")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """newsdesk: answers about news articles, every claim backed by a verbatim cited excerpt."""
    from pydantic import ValidationError

    from newsdesk.settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        raise click.ClickException(f"Invalid NEWSDESK_* setting:\n{exc}") from exc
    configure_logging(settings.log_level, verbose)
    ctx.obj = settings


def nearby_hint(exc: NewsdeskError, cwd: Path | None = None) -> str | None:
    """Run from a subfolder, the default ./.newsdesk and ./corpus are not there: point at the
    nearest parent folder that has them, so the hint leads somewhere."""
    if isinstance(exc, IndexMissing):
        wanted, advice = ".newsdesk", "cd {dir} (or set NEWSDESK_DATA_DIR={path})"
    elif isinstance(exc, CorpusError):
        wanted, advice = "corpus", "cd {dir} (or pass --corpus {path})"
    else:
        return None
    if "://" in exc.message:
        return None  # a Chroma server: local folders are beside the point
    here = (cwd or Path.cwd()).absolute()
    for folder in here.parents:
        path = folder / wanted
        if path.is_dir() and str(path) not in exc.message:
            return f"found {path}: " + advice.format(dir=folder, path=path)
    return None


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point: translate typed errors into messages and exit codes."""
    try:
        return cli.main(args=argv, prog_name="newsdesk", standalone_mode=False)
    except NewsdeskError as exc:
        click.secho(f"Error: {exc.message}", fg="red", err=True)
        if exc.hint:
            click.echo(f"  -> {exc.hint}", err=True)
        nearby = nearby_hint(exc)
        if nearby:
            click.echo(f"  -> {nearby}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
