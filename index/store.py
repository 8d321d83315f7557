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
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlparse

from index.disk import SQLITE_NAME, DiskUsage, Reclaimed, measure, other_processes_using, reclaim
from index.models import Chunk
from newsdesk.errors import ConfigError, IndexCorrupt, IndexMissing, NewsdeskError, StoreUnavailable

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from newsdesk.settings import Settings

log = logging.getLogger(__name__)

POINTER_ID = "active"
UPDATE_LOG_ID = "update-log"
# Documents and the pointer are read by id only (placeholder vectors): their vector index is
# written to disk every few records, so Chroma's write-ahead log for them stays short.
SMALL_COLLECTION: Any = {"hnsw": {"sync_threshold": 16, "batch_size": 16}}
LAYOUT = 2
HTTP_TIMEOUT_S = 60.0  # per write request to a Chroma server (large upserts during builds)
HTTP_CONNECT_TIMEOUT_S = 5.0
# Requests that write: they may legitimately take long; every other request is a read and gets
# settings.chroma_timeout_s, so a hung server costs a question seconds, not minutes.
_WRITE_PATHS = ("/add", "/upsert", "/update", "/delete")
PLACEHOLDER_EMBEDDING: Sequence[float] = (
    1.0,
)  # records of docs/meta collections are looked up by id only
_DELTA_RE = re.compile(r"__d\d{6,}$")
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
    # 2: chunk records carry ``doc_hash`` and versioned ids (``record_id``), so documents can be
    # replaced in place; 1 (older indexes): the next build writes a new generation.
    layout: int = 1
    revision: int = 0  # in-place updates of this generation (readers reload caches on change)
    # Chunk collections written by in-place updates (``<generation>__dNNNNNN``), searched with
    # the generation's own; each is complete before the pointer names it and never written again.
    deltas: list[str] = field(default_factory=list)
    superseded: int = 0  # stored chunks no document record serves (removed/replaced versions)

    @property
    def chunk_collections(self) -> list[str]:
        return [self.generation, *self.deltas]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> Pointer:
        data = json.loads(raw)
        return cls(**data)


def as_vectors(rows: Iterable[Iterable[float]]) -> list[Sequence[float]]:
    """Plain float lists, typed the way Chroma's signatures want them."""
    return [[float(x) for x in row] for row in rows]


def record_id(chunk: Chunk) -> str:
    """The Chroma id of a chunk record: ``doc_id:position@<document version>``.

    The version (the start of the document's content hash, ``chunk.metadata["doc_hash"]``) lets
    a new version of an article be written next to the old one and switched to by one write of
    its document record (see ``index.update``).
    """
    return f"{chunk.chunk_id}@{str(chunk.metadata['doc_hash'])[:12]}"


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

    @staticmethod
    def generation_of(name: str) -> str:
        """The generation a collection belongs to (its chunks, docs or a delta)."""
        return _DELTA_RE.sub("", name.removesuffix("__docs"))

    def deltas_of(self, generation: str) -> list[str]:
        names = self.collection_names()
        return sorted(n for n in names if n.startswith(f"{generation}__d") and _DELTA_RE.search(n))

    def next_delta(self, generation: str) -> str:
        numbers = [int(n.rsplit("__d", 1)[1]) for n in self.deltas_of(generation)]
        return f"{generation}__d{max(numbers, default=0) + 1:06d}"

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
            return self.client.get_or_create_collection(
                self.meta_name, embedding_function=None, configuration=SMALL_COLLECTION
            )
        try:
            return self.client.get_collection(self.meta_name, embedding_function=None)
        except NotFoundError:
            return None

    def chunks(self, generation: str) -> Collection:
        return self.client.get_collection(generation, embedding_function=None)

    def docs(self, generation: str) -> Collection:
        return self.client.get_collection(self.docs_name(generation), embedding_function=None)

    def _create_chunks(self, name: str, metadata: dict[str, Any]) -> Collection:
        hnsw: dict[str, Any] = {"space": "cosine", "ef_search": self.ef_search}
        if self.settings.hnsw_sync_threshold is not None:
            threshold = self.settings.hnsw_sync_threshold
            hnsw.update(sync_threshold=threshold, batch_size=min(100, threshold))
        return self.client.create_collection(
            name, embedding_function=None, metadata=metadata, configuration=cast(Any, {"hnsw": hnsw})
        )

    def create_delta(self, name: str, stamp: dict[str, Any]) -> Collection:
        metadata = {"newsdesk_stamp": json.dumps(stamp, sort_keys=True), "newsdesk_base": self.base}
        return self._create_chunks(name, metadata)

    def collection(self, name: str) -> Collection:
        return self.client.get_collection(name, embedding_function=None)

    def drop_collection(self, name: str) -> None:
        from chromadb.errors import NotFoundError

        try:
            self.client.delete_collection(name)
            log.info("deleted collection %s", name)
        except NotFoundError:
            pass

    def create_generation(
        self, generation: str, stamp: dict[str, Any]
    ) -> tuple[Collection, Collection]:
        metadata = {"newsdesk_stamp": json.dumps(stamp, sort_keys=True), "newsdesk_base": self.base}
        chunks = self._create_chunks(generation, metadata)
        docs = self.client.create_collection(
            self.docs_name(generation),
            embedding_function=None,
            metadata=metadata,
            configuration=SMALL_COLLECTION,
        )
        return chunks, docs

    def drop_generation(self, generation: str) -> None:
        from chromadb.errors import NotFoundError

        for name in (generation, self.docs_name(generation), *self.deltas_of(generation)):
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
            gen = self.generation_of(name)
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

    # --- update log (in-place updates) -----------------------------------------------------
    def read_update_log(self) -> dict[str, Any] | None:
        """The pending in-place update (``generation``, ``docs``: doc_id -> new hash or None),
        written before an update touches a record and cleared after it completed."""
        meta = self.meta(create=False)
        if meta is None:
            return None
        got = meta.get(ids=[UPDATE_LOG_ID], include=["documents"])
        docs = got.get("documents") or []
        if not got["ids"] or not docs or not docs[0]:
            return None
        try:
            data = json.loads(docs[0])
        except ValueError:
            log.warning("unreadable update log ignored")
            return None
        return data if isinstance(data, dict) else None

    def write_update_log(self, generation: str, docs: dict[str, str | None], delta: str) -> None:
        meta = self.meta(create=True)
        assert meta is not None
        entry = {"generation": generation, "docs": docs, "delta": delta}
        meta.upsert(
            ids=[UPDATE_LOG_ID],
            embeddings=as_vectors([PLACEHOLDER_EMBEDDING]),
            documents=[json.dumps(entry, sort_keys=True)],
        )

    def clear_update_log(self) -> None:
        meta = self.meta(create=False)
        if meta is not None:
            meta.delete(ids=[UPDATE_LOG_ID])
