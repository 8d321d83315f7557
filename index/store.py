"""The Chroma side of the index: clients, generation collections and the active pointer.

Layout (``<base>`` = ``settings.collection``):

- ``<base>__gNNNNNN``        chunks of one generation (cosine space; stamp in its metadata)
- ``<base>__gNNNNNN__docs``  the cleaned documents of that generation (full text + metadata)
- ``<base>__meta``           the ``active`` pointer record (and the server-mode build lease)

Readers only ever follow the pointer, and a build switches it with one upsert after the new
generation is complete and checked: that single write is the atomic switch.
Every record carries explicit embeddings, so Chroma's default embedding function (which would
download a model) never runs.
"""

from __future__ import annotations

import json
import logging
import re
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from index.disk import SQLITE_NAME, DiskUsage, Reclaimed, measure, other_processes_using, reclaim
from newsdesk.errors import ConfigError, IndexCorrupt, IndexMissing, NewsdeskError, StoreUnavailable

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from newsdesk.settings import Settings

log = logging.getLogger(__name__)

POINTER_ID = "active"
HTTP_TIMEOUT_S = 60.0  # per write request to a Chroma server (large upserts during builds)
HTTP_CONNECT_TIMEOUT_S = 5.0
# Requests that write: they may legitimately take long; every other request is a read and gets
# settings.chroma_timeout_s, so a hung server costs a question seconds, not minutes.
_WRITE_PATHS = ("/add", "/upsert", "/update", "/delete")
PLACEHOLDER_EMBEDDING: Sequence[float] = (
    1.0,
)  # records of docs/meta collections are looked up by id only
_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,400}[a-zA-Z0-9]$")
BUILD_HINT = "run `newsdesk index build`"
# Stores opened for reading in this process (an IndexReader keeps its own): compaction waits
# until none is open (see Store.reclaim_disk).
_READERS: weakref.WeakSet[Store] = weakref.WeakSet()
FORCE_HINT = "run `newsdesk index build --force`"


@dataclass(frozen=True, slots=True)
class Pointer:
    """Which generation readers serve, and what is known about it."""

    generation: str
    stamp: dict[str, Any]
    built_at: str
    documents: int
    chunks: int
    previous: str | None = None
    build_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> Pointer:
        data = json.loads(raw)
        return cls(**data)


def as_vectors(rows: Iterable[Iterable[float]]) -> list[Sequence[float]]:
    """Plain float lists, typed the way Chroma's signatures want them."""
    return [[float(x) for x in row] for row in rows]


def chroma_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / "chroma"


def location(settings: Settings) -> str:
    """Where the index lives, for messages and `index status`."""
    return settings.chroma_url or str(chroma_path(settings))


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


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


def _forget_client(path: Path) -> None:
    """Drop Chroma's per-process cached system for ``path`` after a failed open.

    Chroma keeps one system per persist directory for the life of the process; a failed
    open leaves a broken one behind, so the `--force` rebuild (which moves the corrupt
    folder aside and opens a fresh one at the same path) would fail with
    ``'RustBindingsAPI' object has no attribute 'bindings'``.
    """
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        with SharedSystemClient._refcount_lock:
            SharedSystemClient._identifier_to_system.pop(str(path), None)
            SharedSystemClient._identifier_to_refcount.pop(str(path), None)
    except (ImportError, AttributeError):  # a Chroma without this cache: nothing to forget
        log.debug("could not reset Chroma's client cache for %s", path, exc_info=True)


def _heartbeat(base_url: str, timeout_s: float) -> None:
    import httpx

    response = httpx.get(f"{base_url}/api/v2/heartbeat", timeout=timeout_s)
    if response.status_code != 200:
        raise ConnectionError(f"heartbeat answered HTTP {response.status_code}")


def _request_timeouts(read_s: float) -> Any:
    """An httpx request hook giving reads ``read_s`` and writes ``max(read_s, HTTP_TIMEOUT_S)``.

    chromadb sends every request through one session per server and process, with no timeout
    argument; httpx reads the timeout of each request from ``request.extensions``, which a
    request hook may set.
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
    """chromadb's HTTP session waits forever by default; a hung server must not hang the bot."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(HTTP_TIMEOUT_S, connect=HTTP_CONNECT_TIMEOUT_S)
        hooks = session.event_hooks
        hooks["request"] = [h for h in hooks["request"] if not hasattr(h, "newsdesk_read_s")]
        hooks["request"].append(_request_timeouts(read_s))
        session.event_hooks = hooks
    else:  # a chromadb upgrade moved it: keep working, without the timeout
        log.warning("could not set a timeout on the Chroma HTTP client")


def validate_base(name: str) -> str:
    if not _NAME_RE.match(name) or "__" in name:
        raise ConfigError(
            f"Invalid collection name {name!r}",
            hint="NEWSDESK_COLLECTION must be 3-400 characters of letters, digits, '.', '_' or '-' "
            "(no '__'), starting and ending with a letter or digit",
        )
    return name


class Store:
    """A Chroma client plus the naming scheme of one index (``settings.collection``)."""

    def __init__(self, client: ClientAPI, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.base = validate_base(settings.collection)
        self.ef_search = settings.hnsw_ef_search
        self.location = location(settings)
        self.remote = settings.chroma_url is not None
        self._gen_re = re.compile(rf"^{re.escape(self.base)}__g(\d{{6,}})$")

    # --- opening ------------------------------------------------------------------------
    @classmethod
    def open(cls, settings: Settings, *, create: bool) -> Store:
        """Connect. ``create=False`` (readers) never creates a data directory."""
        import chromadb

        validate_base(settings.collection)
        if settings.chroma_url:
            host, port, ssl = _parse_url(settings.chroma_url)
            base = f"{'https' if ssl else 'http'}://{host}:{port}"
            try:
                # Chroma's client has no timeouts: fail fast on a hung server
                _heartbeat(base, min(settings.chroma_timeout_s, HTTP_CONNECT_TIMEOUT_S))
                client = chromadb.HttpClient(
                    host=host, port=port, ssl=ssl, settings=_chroma_settings()
                )
            except Exception as exc:
                if is_connection_error(exc):
                    raise unavailable(
                        settings.chroma_url, exc, read_timeout_s=settings.chroma_timeout_s
                    ) from exc
                raise
            _set_http_timeout(client, settings.chroma_timeout_s)
            return cls(client, settings)
        path = chroma_path(settings)
        if not create and not (path / "chroma.sqlite3").exists():
            raise IndexMissing(f"No index at {path}", hint=BUILD_HINT)
        if create:
            path.mkdir(parents=True, exist_ok=True)
        try:
            client = chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
            client.heartbeat()
        except Exception as exc:
            _forget_client(path)
            raise IndexCorrupt(
                f"The index at {path} cannot be opened ({type(exc).__name__}: {exc})",
                hint=FORCE_HINT,
            ) from exc
        store = cls(client, settings)
        if not create:
            _READERS.add(store)
        return store

    @contextmanager
    def errors(self, what: str, *, corrupt: bool = True) -> Iterator[None]:
        """Translate Chroma/transport failures into typed errors naming the store.

        ``corrupt=False`` (builds) maps only connection failures; anything else propagates.
        """
        try:
            yield
        except NewsdeskError:
            raise
        except Exception as exc:
            if self.remote and is_connection_error(exc):
                raise unavailable(
                    self.location, exc, read_timeout_s=self.settings.chroma_timeout_s
                ) from exc
            if not corrupt:
                raise
            raise IndexCorrupt(
                f"Reading the index at {self.location} failed while {what} "
                f"({type(exc).__name__}: {exc})",
                hint=FORCE_HINT,
            ) from exc

    # --- names --------------------------------------------------------------------------
    @property
    def meta_name(self) -> str:
        return f"{self.base}__meta"

    def generation_name(self, number: int) -> str:
        return f"{self.base}__g{number:06d}"

    @staticmethod
    def docs_name(generation: str) -> str:
        return f"{generation}__docs"

    def generation_number(self, name: str) -> int | None:
        match = self._gen_re.match(name)
        return int(match.group(1)) if match else None

    def collection_names(self) -> list[str]:
        return [c if isinstance(c, str) else c.name for c in self.client.list_collections()]

    def generations(self) -> list[str]:
        """Every generation (chunk collection) of this base, complete or not, oldest first."""
        names = [n for n in self.collection_names() if self.generation_number(n) is not None]
        return sorted(names, key=lambda n: self.generation_number(n) or 0)

    def next_generation(self) -> str:
        numbers = [self.generation_number(n) for n in self.collection_names()]
        numbers += [
            self.generation_number(n.removesuffix("__docs")) for n in self.collection_names()
        ]
        return self.generation_name(max([n for n in numbers if n is not None], default=0) + 1)

    # --- collections --------------------------------------------------------------------
    def meta(self, *, create: bool) -> Collection | None:
        from chromadb.errors import NotFoundError

        if create:
            return self.client.get_or_create_collection(self.meta_name, embedding_function=None)
        try:
            return self.client.get_collection(self.meta_name, embedding_function=None)
        except NotFoundError:
            return None

    def chunks(self, generation: str) -> Collection:
        return self.client.get_collection(generation, embedding_function=None)

    def docs(self, generation: str) -> Collection:
        return self.client.get_collection(self.docs_name(generation), embedding_function=None)

    def create_generation(
        self, generation: str, stamp: dict[str, Any]
    ) -> tuple[Collection, Collection]:
        metadata = {"newsdesk_stamp": json.dumps(stamp, sort_keys=True), "newsdesk_base": self.base}
        chunks = self.client.create_collection(
            generation,
            embedding_function=None,
            metadata=metadata,
            configuration={"hnsw": {"space": "cosine", "ef_search": self.ef_search}},
        )
        docs = self.client.create_collection(
            self.docs_name(generation), embedding_function=None, metadata=metadata
        )
        return chunks, docs

    def drop_generation(self, generation: str) -> None:
        from chromadb.errors import NotFoundError

        for name in (generation, self.docs_name(generation)):
            try:
                self.client.delete_collection(name)
                log.info("deleted collection %s", name)
            except NotFoundError:
                pass

    def drop_all_generations_except(self, keep: set[str]) -> list[str]:
        """Delete leftovers (crashed builds, garbage-collected generations), then give their
        disk space back (embedded store)."""
        dropped = []
        for name in self.collection_names():
            gen = name.removesuffix("__docs")
            if self.generation_number(gen) is not None and gen not in keep:
                self.drop_generation(gen)
                dropped.append(gen)
        self.reclaim_disk()
        return sorted(set(dropped))

    def reclaim_disk(self, *, compact: bool | None = None) -> Reclaimed | None:
        """Remove segment directories of dropped collections, and compact SQLite when worth it
        (``index.disk``; Chroma 1.5.9 leaves both behind). None with a server: its disk is
        the server's (docs/reliability.md).

        ``compact=None``: compact only when nothing else uses the store (no reader open in
        this process, no other process holding ``chroma.sqlite3``): Chroma cannot share it
        with a writer outside itself. The bot, which keeps a reader open, leaves compaction to
        `newsdesk index compact`.
        """
        if self.remote:
            return None
        path = chroma_path(self.settings)
        if compact is None:
            others = other_processes_using(path / SQLITE_NAME)
            readers = [s for s in _READERS if s.location == self.location]
            compact = others == [] and not readers
            if not compact:
                log.debug("SQLite compaction skipped: in use (%s, %d readers)", others, len(readers))
        return reclaim(path, compact_sqlite=compact)

    def disk_usage(self, active: str | None, previous: str | None) -> DiskUsage | None:
        """Bytes held on disk, by what holds them; None with a server."""
        if self.remote:
            return None
        return measure(chroma_path(self.settings), active, previous, self.base)

    # --- pointer ------------------------------------------------------------------------
    def active_pointer(self) -> Pointer:
        """The pointer readers follow; IndexMissing (with the build hint) if nothing was built."""
        with self.errors("reading the active pointer"):
            pointer = self.read_pointer()
        if pointer is None:
            raise IndexMissing(f"No index at {self.location}", hint=BUILD_HINT)
        return pointer

    def read_pointer(self) -> Pointer | None:
        meta = self.meta(create=False)
        if meta is None:
            return None
        got = meta.get(ids=[POINTER_ID], include=["documents"])
        docs = got.get("documents") or []
        if not got["ids"] or not docs or not docs[0]:
            return None
        try:
            return Pointer.from_json(docs[0])
        except (ValueError, TypeError) as exc:
            raise IndexCorrupt(
                f"The active-index pointer in {self.location} is unreadable ({exc})",
                hint=FORCE_HINT,
            ) from exc

    def write_pointer(self, pointer: Pointer) -> None:
        """The atomic switch: one upsert of one record."""
        meta = self.meta(create=True)
        assert meta is not None
        meta.upsert(
            ids=[POINTER_ID],
            embeddings=as_vectors([PLACEHOLDER_EMBEDDING]),
            documents=[pointer.to_json()],
            metadatas=[{"generation": pointer.generation, "built_at": pointer.built_at}],
        )
