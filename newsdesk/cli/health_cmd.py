"""`newsdesk health`: can this process serve answers right now?

The container HEALTHCHECK runs it every 30 s, so it stays cheap: the standard library's
HTTP client for the servers' health endpoints, the index's own status read (chromadb client,
no model load), no torch.
Exit 0 when every check passes, 1 otherwise; each failure says what to do next.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from typing import Any

import click

from newsdesk.errors import IndexMissing, NewsdeskError
from newsdesk.settings import Settings

log = logging.getLogger(__name__)

# Chroma 1.x serves only the v2 API (/api/v1/* answers 410 Gone).
CHROMA_HEARTBEAT = "/api/v2/heartbeat"
OLLAMA_TAGS = "/api/tags"  # what `ollama list` calls


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    hint: str | None = None


class _HttpFailure(Exception):
    """A request that did not answer 200 with JSON; the message is user-safe."""


def _get_json(url: str, timeout: float, headers: dict[str, str] | None = None) -> Any:
    try:
        request = urllib.request.Request(url, headers=headers or {})
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - our URLs
            body = response.read()
    except ValueError as exc:  # not an http(s) URL at all
        raise _HttpFailure(f"invalid URL {url!r}: {exc}") from exc
    except urllib.error.HTTPError as exc:
        raise _HttpFailure(f"HTTP {exc.code} from {url}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _HttpFailure(f"cannot reach {url}: {reason}") from exc
    try:
        return json.loads(body)
    except ValueError as exc:
        raise _HttpFailure(f"{url} did not answer JSON") from exc


def check_store(settings: Settings, timeout: float) -> Check:
    """Server up (fast HTTP heartbeat), then the index's own status: built and not stale."""
    if settings.chroma_url:
        base = settings.chroma_url.rstrip("/")
        try:
            _get_json(base + CHROMA_HEARTBEAT, timeout)
        except _HttpFailure as exc:
            return Check(
                "store",
                False,
                f"Chroma server unavailable: {exc}",
                "start it (`docker compose up -d chroma`, or `chroma run --path DIR`) "
                "and check NEWSDESK_CHROMA_URL",
            )
    from index.status import index_status  # chromadb client only; no model load

    try:
        status = index_status(settings)
    except NewsdeskError as exc:
        hint = exc.hint
        if settings.chroma_url and isinstance(exc, IndexMissing):
            hint = (
                "build it: `docker compose --profile indexer run --rm indexer`, "
                "or `newsdesk index build` with this NEWSDESK_CHROMA_URL"
            )
        return Check("store", False, exc.message, hint)
    if status.stale:
        return Check(
            "store",
            False,
            f"index at {status.location} was built with other settings: {'; '.join(status.stale)}",
            "rebuild it: `newsdesk index build --force` (or the indexer service)",
        )
    return Check(
        "store",
        True,
        f"index {status.generation} at {status.location}: "
        f"{status.documents} documents, {status.chunks} chunks",
    )


def _model_present(wanted: str, available: list[str]) -> bool:
    if wanted in available:
        return True
    return ":" not in wanted and f"{wanted}:latest" in available


def check_llm(settings: Settings, timeout: float) -> Check:
    if settings.answerer == "extractive":
        return Check("llm", True, "extractive answerer: no LLM server needed")
    if settings.answerer == "ollama":
        base = settings.ollama_url.rstrip("/")
        try:
            tags = _get_json(base + OLLAMA_TAGS, timeout)
        except _HttpFailure as exc:
            return Check(
                "llm",
                False,
                f"Ollama server unavailable: {exc}",
                "start it (`docker compose up -d ollama` or `ollama serve`) "
                "and check NEWSDESK_OLLAMA_URL",
            )
        models = [m.get("name", "") for m in tags.get("models", []) if isinstance(m, dict)]
        if not _model_present(settings.llm_model, models):
            return Check(
                "llm",
                False,
                f"Ollama at {base} does not have model {settings.llm_model}",
                f"pull it once: `docker compose exec ollama ollama pull {settings.llm_model}` "
                f"(or `ollama pull {settings.llm_model}`)",
            )
        return Check("llm", True, f"Ollama at {base} serves {settings.llm_model}")
    base = settings.openai_base_url.rstrip("/")
    key = settings.openai_api_key.get_secret_value()
    try:
        _get_json(base + "/models", timeout, {"Authorization": f"Bearer {key}"})
    except _HttpFailure as exc:
        return Check(
            "llm",
            False,
            f"OpenAI-compatible endpoint unavailable: {exc}",
            "check NEWSDESK_OPENAI_BASE_URL and NEWSDESK_OPENAI_API_KEY",
        )
    return Check("llm", True, f"OpenAI-compatible endpoint {base} answers /models")


def check_discord(settings: Settings) -> Check:
    """The bot's gateway connection, from the heartbeat file `newsdesk bot` keeps fresh."""
    from bot.heartbeat import MAX_AGE_S, age_s, heartbeat_path, read_heartbeat  # no discord import

    if settings.discord_token is None:
        return Check("discord", True, "no Discord bot configured (NEWSDESK_DISCORD_TOKEN unset)")
    beat = read_heartbeat(settings.data_dir)
    if beat is None:
        return Check(
            "discord",
            False,
            f"no gateway heartbeat at {heartbeat_path(settings.data_dir).resolve()}",
            "start the bot (`newsdesk bot`); it writes the heartbeat once connected to Discord",
        )
    age = age_s(beat)
    if age > MAX_AGE_S:
        return Check(
            "discord",
            False,
            f"last gateway heartbeat {age:.0f} s ago (more than {MAX_AGE_S:.0f} s)",
            "the bot lost its Discord connection or stopped: check its log and the network",
        )
    return Check("discord", True, f"gateway heartbeat {age:.0f} s ago ({beat.get('event')})")


def run_checks(settings: Settings, timeout: float) -> list[Check]:
    return [check_store(settings, timeout), check_llm(settings, timeout), check_discord(settings)]


@click.command(
    "health",
    epilog="""\b
Examples:
  newsdesk health
  newsdesk health --json
  NEWSDESK_CHROMA_URL=http://127.0.0.1:8000 newsdesk health

Used as the Docker HEALTHCHECK of the newsdesk image.""",
)
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1, max=60),
    default=5.0,
    show_default=True,
    help="Seconds to wait for each server.",
)
@click.pass_obj
def health(settings: Settings, as_json: bool, timeout: float) -> None:
    """Check the store, the LLM server and (with a bot token) the bot's Discord connection."""
    checks = run_checks(settings, timeout)
    healthy = all(c.ok for c in checks)
    if as_json:
        click.echo(json.dumps({"ok": healthy, "checks": [asdict(c) for c in checks]}, indent=2))
    else:
        for c in checks:
            mark = click.style("ok  ", fg="green") if c.ok else click.style("FAIL", fg="red")
            click.echo(f"{mark} {c.name:<6} {c.detail}")
            if c.hint:
                click.echo(f"            -> {c.hint}")
    if not healthy:
        log.debug("health check failed: %s", [c.name for c in checks if not c.ok])
        raise click.exceptions.Exit(1)
