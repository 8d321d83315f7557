"""`newsdesk index build|status|verify`.

Heavy imports (torch, sentence-transformers, chromadb) happen inside the commands.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from index.build import BuildSummary
    from index.status import IndexStatus
    from index.verify import VerifyReport
    from newsdesk.settings import Settings


def _settings(ctx: click.Context) -> Settings:
    """The Settings the root `newsdesk` group read: never a second, silently different copy."""
    from newsdesk.settings import Settings

    obj = ctx.find_root().obj
    if not isinstance(obj, Settings):
        raise click.UsageError("`index` runs under the `newsdesk` command: newsdesk index ...")
    return obj


def _echo_json(data: dict[str, Any]) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@click.group(
    epilog="""\b
Examples:
  newsdesk index build                     # incremental: embeds only new/changed articles
  newsdesk index build --corpus ~/articles --json
  newsdesk index build --force             # re-embed everything (after changing the model)
  newsdesk index status
  newsdesk index verify
  newsdesk index unlock                    # after a build was killed on another host
  NEWSDESK_CHROMA_URL=http://127.0.0.1:8000 newsdesk index build   # a Chroma server"""
)
def index() -> None:
    """Build, inspect and verify the article index."""


class _ProgressBar:
    """A rich progress bar on stderr for the embedding stage (only on a terminal)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> _ProgressBar:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if total <= 0:
            return
        if stage not in self._tasks:
            label = {"embed": "Embedding chunks", "copy": "Copying unchanged"}.get(stage, stage)
            self._tasks[stage] = self._progress.add_task(label, total=total)
        self._progress.update(self._tasks[stage], completed=done, total=total)


class _HeldWarnings(logging.Filter):
    """Holds the index's WARNING log records during a build: those that are also in the
    summary's warnings are printed once, by the summary; the rest are logged afterwards."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and record.name.split(".")[0] == "index":
            self.held.append(record)
            return False
        return True


@contextmanager
def _warnings_once() -> Iterator[Callable[[list[str]], None]]:
    handlers = logging.getLogger().handlers
    held = _HeldWarnings()
    for handler in handlers:
        handler.addFilter(held)
    shown: set[str] = set()
    try:
        yield shown.update
    finally:
        for handler in handlers:
            handler.removeFilter(held)
        for record in held.held:
            if record.getMessage() not in shown:
                logging.getLogger(record.name).handle(record)


def _print_summary(summary: BuildSummary) -> None:
    for warning in summary.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    if not summary.changed:
        click.echo(
            f"Index is up to date: {summary.unchanged} documents unchanged, 0 chunks embedded "
            f"({summary.seconds:.2f}s)."
        )
    else:
        click.echo(
            f"Indexed {summary.documents} documents: {summary.added} added, {summary.updated} "
            f"updated, {summary.removed} removed, {summary.unchanged} unchanged."
        )
        click.echo(
            f"{summary.chunks} chunks: {summary.chunks_embedded} embedded, "
            f"{summary.chunks_copied} reused; {summary.seconds:.2f}s."
        )
        click.echo(f"Now serving {summary.generation} from {summary.location}.")


@index.command()
@click.option(
    "--corpus",
    "corpus_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder of .txt/.md/.html/.jsonl articles (default: NEWSDESK_CORPUS_DIR or ./corpus).",
)
@click.option("--force", is_flag=True, help="Re-embed everything (new embedder, corrupt index).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def build(ctx: click.Context, corpus_dir: Path | None, force: bool, as_json: bool) -> None:
    """Build or update the index (incremental, zero downtime).

    Only new or changed articles are embedded; removed articles are deleted. The new index
    is switched in only when complete, so readers keep answering during the build and a
    crashed build leaves the previous index serving.

    \b
    Examples:
      newsdesk index build
      newsdesk index build --corpus ./my-articles --force
      newsdesk index build --json | jq .chunks_embedded
    """
    from newsdesk.app import build_index_now

    settings = _settings(ctx)
    show_bar = not as_json and sys.stderr.isatty()
    with _warnings_once() as printed:
        if show_bar:
            with _ProgressBar() as bar:
                summary = build_index_now(settings, corpus_dir=corpus_dir, force=force, progress=bar)
        else:
            summary = build_index_now(settings, corpus_dir=corpus_dir, force=force)
        if as_json:
            _echo_json(summary.to_dict())  # the warnings are in the JSON and the log
        else:
            _print_summary(summary)
            printed(summary.warnings)


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _disk_line(disk: dict[str, Any] | None) -> str | None:
    """Where the embedded store's bytes are; None with a server."""
    if not disk:
        return None
    if "error" in disk:
        return f"not measured ({disk['error']})"
    parts = [
        f"previous generation {_mb(disk['previous_bytes'])}",
        f"leftovers {_mb(disk['leftover_bytes'])}",
        f"orphan segment dirs {_mb(disk['orphan_bytes'])} ({disk['orphan_dirs']})",
        f"SQLite free pages {_mb(disk['sqlite_free_bytes'])}",
    ]
    return (
        f"{_mb(disk['total_bytes'])}, of which {_mb(disk['not_serving_bytes'])} not serving: "
        + ", ".join(parts)
    )


def _print_status(status: IndexStatus) -> None:
    rows = [
        ("Documents", status.documents),
        ("Chunks", status.chunks),
        ("Model", f"{status.model} ({status.dimension} dimensions)"),
        ("Chunking", f"{status.chunk_size} chars, {status.chunk_overlap} overlap"),
        ("Generation", status.generation),
        ("Last build", status.built_at),
        ("Location", status.location),
    ]
    disk = _disk_line(status.disk)
    if disk:
        rows.append(("Disk", disk))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        click.echo(f"{name.ljust(width)}  {value}")
    for diff in status.stale:
        click.secho(f"warning: settings differ from the index: {diff}", fg="yellow", err=True)
    if status.stale:
        click.echo(
            "  -> run `newsdesk index build --force` to rebuild with the current settings", err=True
        )


@index.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show what is indexed: documents, chunks, model, last build, location.

    \b
    Examples:
      newsdesk index status
      newsdesk index status --json
    """
    from index.status import index_status

    result = index_status(_settings(ctx))
    if as_json:
        _echo_json(result.to_dict())
    else:
        _print_status(result)


def _print_verify(report: VerifyReport) -> None:
    if report.ok:
        click.echo(
            f"OK: {report.generation}: {report.documents} documents, {report.chunks} chunks; "
            "every chunk matches its document at its offsets, no orphans."
        )
    else:
        click.secho(f"FAILED: {report.generation}: {len(report.problems)} problem(s)", fg="red")
        for problem in report.problems:
            click.echo(f"  - {problem}")
    if report.leftovers:
        click.echo(
            f"Leftover collections (removed by the next build): {', '.join(report.leftovers)}"
        )
    disk = _disk_line(report.disk)
    if disk:
        click.echo(f"Disk: {disk}")


@index.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def verify(ctx: click.Context, as_json: bool) -> None:
    """Check the index: chunk texts match their documents, no orphans, pointer valid.

    Exits non-zero if a problem is found.

    \b
    Examples:
      newsdesk index verify
      newsdesk index verify --json
    """
    from index.verify import verify_index

    report = verify_index(_settings(ctx))
    if as_json:
        _echo_json(report.to_dict())
    else:
        _print_verify(report)
    if not report.ok:
        if not as_json:
            click.echo("  -> run `newsdesk index build --force` to rebuild the index", err=True)
        ctx.exit(1)


@index.command()
@click.option(
    "--watch",
    "watch_s",
    type=click.FloatRange(min=1.0),
    default=None,
    help="Seconds to watch a lease from another host for its heartbeat (default 25).",
)
@click.pass_context
def unlock(ctx: click.Context, watch_s: float | None) -> None:
    """Break the build lock left by a build that was killed (e.g. its container stopped).

    Safe: a lease whose build is alive is never broken. With a Chroma server the lease is
    watched for longer than a heartbeat and removed only if nothing renewed it (or its
    process on this host is gone). A local index needs no unlock: its lock dies with the
    build's process.

    \b
    Examples:
      newsdesk index unlock
      NEWSDESK_CHROMA_URL=http://chroma:8000 newsdesk index unlock
    """
    from index.locking import unlock as unlock_index
    from index.store import Store

    store = Store.open(_settings(ctx), create=False)
    if store.remote:
        click.echo("Checking whether the build holding the lock is alive...", err=True)
    result = unlock_index(store, watch_s=watch_s)
    click.echo(result.message)


@index.command()
@click.option(
    "--path",
    "persist_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="A Chroma server's data folder (its `chroma run --path`), with the server stopped.",
)
@click.pass_context
def compact(ctx: click.Context, persist_dir: Path | None) -> None:
    """Give disk back: remove dropped collections' files and compact the local store's SQLite.

    Builds do this by themselves when nothing else has the index open; with the bot serving
    from the same data folder, stop it and run this now and then (it refuses while another
    process has the index open, because Chroma cannot share the database with this).

    \b
    Examples:
      newsdesk index compact
      newsdesk index compact --path /srv/chroma    # a stopped Chroma server's folder
    """
    from index.chroma_client import chroma_path
    from index.disk import SQLITE_NAME, other_processes_using
    from index.locking import build_lock
    from index.store import Store
    from newsdesk.errors import IndexBusy

    settings = _settings(ctx)
    if persist_dir is not None:
        _compact_folder(persist_dir)
        return
    if settings.chroma_url:
        click.echo(
            "The index is on a Chroma server: compact on the server's host "
            "(see docs/reliability.md, 'Disk')."
        )
        return
    store = Store.open(settings, create=False)
    before = _mb_of(chroma_path(settings))
    with build_lock(store):
        others = other_processes_using(chroma_path(settings) / SQLITE_NAME)
        if others:
            raise IndexBusy(
                f"Other processes have the index open (pids {', '.join(map(str, others))})",
                hint="stop the bot and any other newsdesk command, then run this again",
            )
        result = store.reclaim_disk(compact=True)
    assert result is not None
    click.echo(
        f"Removed {len(result.removed_dirs)} orphan segment folders; "
        f"full-text indexes merged: {', '.join(result.fts_merged) or 'none needed'}; "
        f"SQLite {'compacted' if result.vacuumed else 'had little free space'}. "
        f"{before} -> {_mb_of(chroma_path(settings))}."
    )


def _mb_of(path: Path) -> str:
    from index.disk import tree_bytes

    return _mb(tree_bytes(path))


def _compact_folder(path: Path) -> None:
    """Compact a Chroma data folder no process has open (a stopped server's)."""
    from index.disk import SQLITE_NAME, reclaim
    from newsdesk.errors import ConfigError, IndexBusy

    if not (path / SQLITE_NAME).exists():
        raise ConfigError(f"No {SQLITE_NAME} in {path}", hint="pass the folder given to `chroma run --path`")
    others = _others(path / SQLITE_NAME)
    if others:
        raise IndexBusy(
            f"Other processes have {path} open (pids {', '.join(map(str, others))})",
            hint="stop the Chroma server first",
        )
    before = _mb_of(path)
    result = reclaim(path, compact_sqlite=True)
    click.echo(
        f"Removed {len(result.removed_dirs)} orphan segment folders; SQLite "
        f"{'compacted' if result.vacuumed else 'had little free space'}. "
        f"{before} -> {_mb_of(path)}."
    )


def _others(path: Path) -> list[int]:
    from index.disk import other_processes_using

    return other_processes_using(path) or []
