"""`newsdesk ask` and `newsdesk chat`: the answering core in the terminal.

Errors (no index, empty question, LLM server down) are NewsdeskErrors translated by the CLI's
one handler in ``newsdesk.cli.main``; in `chat` a failed turn prints the error and the
conversation goes on.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsdesk.errors import NewsdeskError

if TYPE_CHECKING:
    from answering.models import Answer, Citation
    from answering.service import AnsweringService
    from newsdesk.settings import Settings

ANSWERERS = ["extractive", "ollama", "openai"]
EXIT_WORDS = {"exit", "quit", ":q", "/exit", "/quit"}


def _service(settings: Settings, answerer: str | None) -> AnsweringService:
    from newsdesk.app import build_runtime

    if sys.stderr.isatty():
        click.echo("Loading the embedding model and the index...", err=True)
    return build_runtime(settings, answerer=answerer, check_llm=True).service


HISTORY_FILE = "chat_history"
HISTORY_LINES = 1000


@contextmanager
def line_editing(history_file: Path) -> Iterator[None]:
    """Arrow keys, Ctrl-R and history across sessions for ``input()`` (GNU readline / libedit).

    The history is read from ``history_file`` and written back on the way out. Without a
    readline module (some platforms) ``input()`` still works, just without editing.
    """
    try:
        import readline
    except ImportError:  # e.g. Windows without pyreadline
        yield
        return
    readline.set_history_length(HISTORY_LINES)
    try:
        readline.read_history_file(history_file)
    except FileNotFoundError:
        pass
    except OSError as exc:
        click.echo(f"(chat history not read from {history_file}: {exc.strerror or exc})", err=True)
    try:
        yield
    finally:
        try:
            history_file.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(history_file)
        except OSError as exc:
            click.echo(f"(chat history not saved to {history_file}: {exc.strerror or exc})", err=True)


def render_text(answer: Answer) -> str:
    """The answer, then numbered sources with their verbatim excerpts (pure function)."""
    lines = [answer.answer, ""]
    if answer.citations:
        header = "Closest excerpts, for reference:" if answer.refused else "Sources:"
        lines.append(header)
        for c in answer.citations:
            meta = c.byline(lead=" \u2014 ")
            lines.append(f"  [{c.n}] {c.title}{meta} ({_where(c)})")
            lines.append(f"      \u201c{' '.join(c.excerpt.split())}\u201d")
    return "\n".join(lines).rstrip()


def _where(c: Citation) -> str:
    """Where to find the excerpt: the file and line it was loaded from when it is still there,
    and the character offsets in the stored (cleaned) text, which is what they index."""
    from index.locate import locate

    stored = f"{c.doc_id}, characters {c.start}-{c.end} of the stored text"
    found = locate(c.path, c.excerpt) if c.path else None
    return f"{found}; {stored}" if found is not None else stored


def _echo_answer(answer: Answer) -> None:
    head, _, rest = render_text(answer).partition("\n")
    click.secho(head, fg="yellow" if answer.refused else None, bold=not answer.refused)
    if rest:
        click.echo(rest)


@click.command(
    epilog="""\b
Examples:
  newsdesk ask "Who denied involvement in the attack?"
  newsdesk ask --json "Where did the drone strike?"
  newsdesk ask --answerer ollama "What did Ned Price say?"
"""
)
@click.argument("question", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option(
    "--answerer",
    type=click.Choice(ANSWERERS),
    default=None,
    help="Override NEWSDESK_ANSWERER (default: extractive, offline).",
)
@click.pass_obj
def ask(settings: Settings, question: tuple[str, ...], as_json: bool, answerer: str | None) -> None:
    """Answer QUESTION from the indexed articles, with numbered cited excerpts."""
    from answering.service import clean_question

    text = clean_question(" ".join(question), settings.max_question_chars)  # before loading
    service = _service(settings, answerer)
    answer = service.answer(text)
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        _echo_answer(answer)


@click.command(
    epilog="""\b
Type a question and press Enter; follow-up questions ("What did their spokesman
claim?") are understood in the context of the conversation. Up/down recall earlier
questions, also from past sessions.
  /new    start a new conversation
  exit    leave (or Ctrl-D)
Examples:
  newsdesk chat
  newsdesk chat --answerer ollama
Reads from a pipe too:
  printf 'Who denied involvement?\\nWhat did their spokesman claim?\\n' | newsdesk chat
"""
)
@click.option(
    "--answerer",
    type=click.Choice(ANSWERERS),
    default=None,
    help="Override NEWSDESK_ANSWERER (default: extractive, offline).",
)
@click.pass_obj
def chat(settings: Settings, answerer: str | None) -> None:
    """Interactive conversation about the articles, with follow-up questions.

    Line editing and history (arrow keys, Ctrl-R) are kept in <data dir>/chat_history.
    """
    service = _service(settings, answerer)
    interactive = sys.stdin.isatty()
    with ExitStack() as stack:
        if interactive:
            stack.enter_context(line_editing(settings.data_dir / HISTORY_FILE))
            click.echo("Ask about the articles. /new starts over, exit leaves; arrow keys recall.")
        _converse(service, interactive)


def _converse(service: AnsweringService, interactive: bool) -> None:
    from answering.models import Turn

    history: list[Turn] = []
    while True:
        try:
            line = input("you> " if interactive else "")
        except EOFError:
            break
        question = line.strip()
        if not question:
            continue
        if question.lower() in EXIT_WORDS:
            break
        if question.lower() in ("/new", "/reset"):
            history.clear()
            click.echo("(new conversation)")
            continue
        if not interactive:
            click.echo(f"you> {question}")
        try:
            answer = service.answer(question, history)
        except NewsdeskError as exc:  # this turn failed; the conversation goes on
            click.secho(f"Error: {exc.message}", fg="red", err=True)
            if exc.hint:
                click.echo(f"  -> {exc.hint}", err=True)
            continue
        if answer.standalone_question and answer.standalone_question != answer.question:
            click.secho(f"(understood as: {answer.standalone_question})", dim=True)
        _echo_answer(answer)
        click.echo()
        history.append(Turn(question=answer.question, answer=answer.answer))
