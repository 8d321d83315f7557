"""Connecting to Chroma (embedded on disk, or a server) and naming its transport failures.

chromadb 1.5.9's public API covers what we need but one thing: its HTTP client has no timeout
setting. ``http_session`` is the one place that reaches past the public API (see its reason);
``tests/index/test_chroma_client.py`` fails if a chromadb upgrade moves what it reads, or stops
letting a corrupt store be replaced at the same path (``open_persistent``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from newsdesk.errors import ConfigError, StoreUnavailable

if TYPE_CHECKING:
    import httpx
    from chromadb.api import ClientAPI

    from newsdesk.settings import Settings

log = logging.getLogger(__name__)

HTTP_TIMEOUT_S = 60.0  # per write request to a Chroma server (large upserts during builds)
HTTP_CONNECT_TIMEOUT_S = 5.0
# Requests that write: they may legitimately take long; every other request is a read and gets
# settings.chroma_timeout_s, so a hung server costs a question seconds, not minutes.
_WRITE_PATHS = ("/add", "/upsert", "/update", "/delete")


def chroma_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / "chroma"


def location(settings: Settings) -> str:
    """Where the index lives, for messages and `index status`."""
    return settings.chroma_url or str(chroma_path(settings))


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def open_persistent(path: Path) -> ClientAPI:
    """An embedded client on ``path``; on failure Chroma's error, and the path can be reopened.

    Chroma keeps one system per persist directory for the life of the process, and caches it
    before starting it: a store that fails to start (a corrupt ``chroma.sqlite3``) leaves a
    broken system behind, and the `--force` rebuild (which moves the corrupt folder aside and
    opens a fresh one at the same path) would fail with ``'RustBindingsAPI' object has no
    attribute 'bindings'``. The one public way to drop it is ``clear_system_cache()`` (a
    ``ClientAPI`` static method, documented as meant for tests; ``close()`` needs a client,
    which a failed construction never returns). It clears every path's cache: clients already
    open keep their systems, and the next open of any path starts a new one, as a new process
    would. Called only after a failed construction.
    """
    import chromadb
    from chromadb.api.client import Client, SharedSystemClient

    try:
        client = chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
    except Exception:
        SharedSystemClient.clear_system_cache()
        raise
    try:
        client.heartbeat()
    except Exception:
        if isinstance(client, Client):
            client.close()  # releases this client's share of the system (stops it if the last)
        raise
    return client


def connect_server(url: str, read_timeout_s: float) -> ClientAPI:
    """An HTTP client whose reads give up after ``read_timeout_s`` (writes after
    ``max(read_timeout_s, HTTP_TIMEOUT_S)``); ``StoreUnavailable`` if the server does not answer."""
    import chromadb

    host, port, ssl = _parse_url(url)
    base = f"{'https' if ssl else 'http'}://{host}:{port}"
    try:
        # chromadb's client has no timeouts and talks to the server on construction: fail fast
        _heartbeat(base, min(read_timeout_s, HTTP_CONNECT_TIMEOUT_S))
        client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=_chroma_settings())
    except Exception as exc:
        if is_connection_error(exc):
            raise unavailable(url, exc, read_timeout_s=read_timeout_s) from exc
        raise
    _set_http_timeout(client, read_timeout_s)
    return client


def _parse_url(url: str) -> tuple[str, int, bool]:
    parsed = urlparse(url if "://" in url else f"http://{url}")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(
            f"Invalid NEWSDESK_CHROMA_URL: {url!r}", hint="use a URL like http://127.0.0.1:8000"
        )
    ssl = parsed.scheme == "https"
    try:
        port = parsed.port or (443 if ssl else 8000)
    except ValueError as exc:
        raise ConfigError(f"Invalid port in NEWSDESK_CHROMA_URL: {url!r}") from exc
    return parsed.hostname, port, ssl


def _heartbeat(base_url: str, timeout_s: float) -> None:
    import httpx

    response = httpx.get(f"{base_url}/api/v2/heartbeat", timeout=timeout_s)
    if response.status_code != 200:
        raise ConnectionError(f"heartbeat answered HTTP {response.status_code}")


def unavailable(
    url: str, exc: BaseException | None = None, *, read_timeout_s: float | None = None
) -> StoreUnavailable:
    detail = f" ({type(exc).__name__}: {exc})" if exc else ""
    what = "is unreachable"
    if exc is not None and _is_timeout(exc):
        what = "did not answer in time"
        if read_timeout_s is not None:
            detail = f" ({type(exc).__name__}; reads wait {read_timeout_s:g} s: NEWSDESK_CHROMA_TIMEOUT_S)"
    return StoreUnavailable(
        f"Chroma server at {url} {what}{detail}",
        hint="start it (e.g. `chroma run --path DIR --host 127.0.0.1 --port 8000`) "
        "or unset NEWSDESK_CHROMA_URL to use the local store",
    )


def _is_timeout(exc: BaseException) -> bool:
    import httpx

    return isinstance(exc, httpx.TimeoutException | TimeoutError)


def is_connection_error(exc: BaseException) -> bool:
    """True for the ways the HTTP client reports an unreachable server."""
    import httpx

    if isinstance(exc, httpx.TransportError | ConnectionError | TimeoutError):
        return True
    return isinstance(exc, ValueError) and "Could not connect" in str(exc)


def http_session(client: ClientAPI) -> httpx.Client | None:
    """The httpx session of a chromadb HTTP client (None if it has none where 1.5.9 keeps it).

    Reason: chromadb 1.5.9 builds it with ``timeout=None`` (``chromadb/api/fastapi.py``) and
    neither its ``Settings`` nor ``HttpClient`` has a client timeout; a hung server must not
    hang the bot.
    """
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    return session if isinstance(session, httpx.Client) else None


def _request_timeouts(read_s: float) -> Any:
    """An httpx request hook giving reads ``read_s`` and writes ``max(read_s, HTTP_TIMEOUT_S)``.

    chromadb sends every request through one session per server and process, with no timeout
    argument; httpx reads the timeout of each request from ``request.extensions``, which a
    request hook may set (httpx's public API).
    """
    import httpx

    write_s = max(read_s, HTTP_TIMEOUT_S)

    def hook(request: httpx.Request) -> None:
        path = request.url.path.rstrip("/")
        writes = request.method == "DELETE" or path.endswith(_WRITE_PATHS)
        seconds = write_s if writes else read_s
        request.extensions["timeout"] = httpx.Timeout(
            seconds, connect=min(seconds, HTTP_CONNECT_TIMEOUT_S)
        ).as_dict()

    hook.newsdesk_read_s = read_s  # type: ignore[attr-defined]
    return hook


def _set_http_timeout(client: ClientAPI, read_s: float) -> None:
    import httpx

    session = http_session(client)
    if session is None:  # a chromadb upgrade moved it: keep working, without the timeout
        log.warning("could not set a timeout on the Chroma HTTP client")
        return
    session.timeout = httpx.Timeout(HTTP_TIMEOUT_S, connect=HTTP_CONNECT_TIMEOUT_S)
    hooks = session.event_hooks
    hooks["request"] = [h for h in hooks["request"] if not hasattr(h, "newsdesk_read_s")]
    hooks["request"].append(_request_timeouts(read_s))
    session.event_hooks = hooks
