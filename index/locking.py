"""One build at a time per index, and a safe way to break a lock left by a killed build.

Local store: an ``flock`` on ``<data_dir>/build.lock`` (released by the OS even on SIGKILL).
Chroma server: a lease record in ``<base>__meta``. While a build runs, a heartbeat thread
rewrites it every ``HEARTBEAT_SECONDS`` with a growing ``beat`` counter. A lease is taken over
at once when its owner is a dead process on this host, or when it was not renewed for
``LEASE_SECONDS``. ``unlock`` breaks a lease held by a build killed on another host (a
container) without waiting: it watches the record for longer than a heartbeat and deletes it
only if it did not change, so a live build (whose heartbeat moves it) is never unlocked.
Watching, not comparing clocks, keeps this safe across hosts whose clocks disagree.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.records import PLACEHOLDER_EMBEDDING, as_vectors
from index.store import Store
from newsdesk.errors import IndexBusy

log = logging.getLogger(__name__)

LEASE_ID = "build-lease"
LEASE_SECONDS = 120.0  # a lease not renewed for this long is stale (by the local clock)
HEARTBEAT_SECONDS = 10.0
UNLOCK_HINT = (
    "if that build was killed (e.g. its container stopped), run `newsdesk index unlock`; "
    "otherwise wait for it to finish"
)


class Lease:
    """The held build lock; with a server, a heartbeat thread keeps the lease record fresh."""

    def __init__(self, store: Store | None, owner: str) -> None:
        self._store = store
        self.owner = owner
        self.beat = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def renew(self) -> None:
        """Kept for callers that mark progress; the heartbeat thread does the renewing."""

    def start(self) -> None:
        if self._store is None:
            return
        self._thread = threading.Thread(target=self._run, name="newsdesk-lease", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=HEARTBEAT_SECONDS + 5)

    def _run(self) -> None:
        assert self._store is not None
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                current = _read_lease(self._store)
                if current is not None and current.get("owner") != self.owner:
                    log.error("the build lease was taken over by %s", current.get("host"))
                    return
                self.beat += 1
                _write_lease(self._store, self.owner, self.beat)
            except Exception as exc:  # noqa: BLE001 - the build itself reports a lost server
                log.warning("could not renew the build lease (%s: %s)", type(exc).__name__, exc)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lease_record(owner: str, beat: int) -> dict[str, Any]:
    now = time.time()
    return {
        "owner": owner,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "beat": beat,
        "renewed": now,
        "expires": now + LEASE_SECONDS,
    }


def _write_lease(store: Store, owner: str, beat: int = 0) -> None:
    meta = store.meta(create=True)
    assert meta is not None
    meta.upsert(
        ids=[LEASE_ID],
        embeddings=as_vectors([PLACEHOLDER_EMBEDDING]),
        documents=[json.dumps(_lease_record(owner, beat))],
    )


def _read_lease(store: Store) -> dict[str, Any] | None:
    meta = store.meta(create=False)
    if meta is None:
        return None
    got = meta.get(ids=[LEASE_ID], include=["documents"])
    docs = got.get("documents") or []
    if not docs or not docs[0]:
        return None
    try:
        data = json.loads(docs[0])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _same_host(lease: dict[str, Any]) -> bool:
    return lease.get("host") == socket.gethostname()


def _lease_is_live(lease: dict[str, Any]) -> bool:
    if float(lease.get("expires", 0)) < time.time():
        return False
    if _same_host(lease):
        return _pid_alive(int(lease.get("pid", 0)))
    return True


def _busy(lease: dict[str, Any]) -> IndexBusy:
    return IndexBusy(
        f"Another build of this index is running (host {lease.get('host')}, "
        f"pid {lease.get('pid')})",
        hint=UNLOCK_HINT,
    )


def _release(store: Store, owner: str) -> None:
    """Delete our lease. Never raises: when the build failed (e.g. the server went away), its
    error is the one to report, not this clean-up's."""
    try:
        meta = store.meta(create=False)
        if meta is not None:
            current = _read_lease(store)
            if current and current.get("owner") == owner:
                meta.delete(ids=[LEASE_ID])
    except Exception as exc:  # noqa: BLE001
        log.warning(
            "could not release the build lease (%s: %s); it expires within %.0f s, or run "
            "`newsdesk index unlock`",
            type(exc).__name__,
            exc,
            LEASE_SECONDS,
        )


@contextmanager
def build_lock(store: Store) -> Iterator[Lease]:
    """Hold the build lock of ``store``'s index or raise IndexBusy."""
    owner = uuid.uuid4().hex
    if not store.remote:
        yield from _file_lock(Path(store.settings.data_dir) / "build.lock", owner)
        return
    current = _read_lease(store)
    if current and _lease_is_live(current):
        raise _busy(current)
    _write_lease(store, owner)
    time.sleep(0.05)
    current = _read_lease(store)
    if not current or current.get("owner") != owner:
        raise IndexBusy("Another build of this index started at the same time", hint="try again")
    lease = Lease(store, owner)
    lease.start()
    try:
        yield lease
    finally:
        lease.stop()
        _release(store, owner)


def _file_lock(path: Path, owner: str) -> Iterator[Lease]:
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise IndexBusy(
                f"Another build of this index is running ({holder})",
                hint="wait for it to finish, then run `newsdesk index build` again",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        try:
            yield Lease(None, owner)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True, slots=True)
class UnlockResult:
    removed: bool
    message: str


def unlock(store: Store, *, watch_s: float | None = None) -> UnlockResult:
    """Break a build lock whose build is gone; raise IndexBusy if that build is alive.

    Local store: the ``flock`` dies with its process, so there is nothing to break; a held
    lock means a live build on this machine. Server: a lease of a dead pid on this host, or
    one that did not change while watched for ``watch_s`` (default: 2.5 heartbeats), is
    deleted; one that changed belongs to a live build.
    """
    if not store.remote:
        return _unlock_local(Path(store.settings.data_dir) / "build.lock")
    lease = _read_lease(store)
    if lease is None:
        return UnlockResult(False, "No build lease is held; nothing to unlock.")
    if _same_host(lease) and not _pid_alive(int(lease.get("pid", 0))):
        return _delete_if_unchanged(store, lease, "its process is gone")
    if _same_host(lease):
        raise _busy_alive(lease, "its process is running on this host")
    watch = 2.5 * HEARTBEAT_SECONDS if watch_s is None else watch_s
    time.sleep(watch)
    later = _read_lease(store)
    if later is None:
        return UnlockResult(False, "The build lease was released meanwhile; nothing to unlock.")
    if later != lease:
        raise _busy_alive(later, f"its heartbeat renewed the lease within {watch:.0f} s")
    return _delete_if_unchanged(store, lease, f"its heartbeat stopped (no renewal in {watch:.0f} s)")


def _busy_alive(lease: dict[str, Any], why: str) -> IndexBusy:
    return IndexBusy(
        f"The build holding the lock (host {lease.get('host')}, pid {lease.get('pid')}) is "
        f"alive: {why}; not unlocking",
        hint="wait for it to finish, or stop it first",
    )


def _delete_if_unchanged(store: Store, lease: dict[str, Any], why: str) -> UnlockResult:
    current = _read_lease(store)
    if current != lease:
        raise IndexBusy("The build lease changed while unlocking", hint="try again")
    meta = store.meta(create=False)
    assert meta is not None
    meta.delete(ids=[LEASE_ID])
    return UnlockResult(
        True,
        f"Removed the build lease of host {lease.get('host')}, pid {lease.get('pid')}: {why}.",
    )


def _unlock_local(path: Path) -> UnlockResult:
    import fcntl

    if not path.exists():
        return UnlockResult(False, "No build lock file; nothing to unlock.")
    with open(path, encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = handle.read().strip() or "unknown"
            raise IndexBusy(
                f"A build on this machine holds the lock ({holder}) and is alive; not unlocking",
                hint="wait for it to finish, or stop it first",
            ) from None
        fcntl.flock(handle, fcntl.LOCK_UN)
    return UnlockResult(
        False, "No build holds the lock (a killed local build releases it by itself)."
    )
