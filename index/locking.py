"""One build at a time per index.

Local store: an ``flock`` on ``<data_dir>/build.lock`` (released by the OS even on SIGKILL).
Chroma server: a lease record in ``<base>__meta`` that expires (and is taken over at once when
its owner is a dead process on this host), renewed as the build progresses.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from index.store import PLACEHOLDER_EMBEDDING, Store, as_vectors
from newsdesk.errors import IndexBusy

log = logging.getLogger(__name__)

LEASE_ID = "build-lease"
LEASE_SECONDS = 600.0


class Lease:
    """Keeps the build lock alive; ``renew()`` is cheap to call often."""

    def __init__(self, store: Store | None, owner: str) -> None:
        self._store = store
        self.owner = owner
        self._renewed = time.time()

    def renew(self) -> None:
        if self._store is None or time.time() - self._renewed < LEASE_SECONDS / 4:
            return
        _write_lease(self._store, self.owner)
        self._renewed = time.time()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lease_record(owner: str) -> dict[str, Any]:
    return {
        "owner": owner,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "expires": time.time() + LEASE_SECONDS,
    }


def _write_lease(store: Store, owner: str) -> None:
    meta = store.meta(create=True)
    assert meta is not None
    meta.upsert(
        ids=[LEASE_ID],
        embeddings=as_vectors([PLACEHOLDER_EMBEDDING]),
        documents=[json.dumps(_lease_record(owner))],
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


def _lease_is_live(lease: dict[str, Any]) -> bool:
    if float(lease.get("expires", 0)) < time.time():
        return False
    if lease.get("host") == socket.gethostname():
        return _pid_alive(int(lease.get("pid", 0)))
    return True


@contextmanager
def build_lock(store: Store) -> Iterator[Lease]:
    """Hold the build lock of ``store``'s index or raise IndexBusy."""
    owner = uuid.uuid4().hex
    if not store.remote:
        yield from _file_lock(Path(store.settings.data_dir) / "build.lock", owner)
        return
    current = _read_lease(store)
    if current and _lease_is_live(current):
        raise IndexBusy(
            f"Another build of this index is running (host {current.get('host')}, "
            f"pid {current.get('pid')})",
            hint="wait for it to finish, then run `newsdesk index build` again",
        )
    _write_lease(store, owner)
    time.sleep(0.05)
    current = _read_lease(store)
    if not current or current.get("owner") != owner:
        raise IndexBusy("Another build of this index started at the same time", hint="try again")
    try:
        yield Lease(store, owner)
    finally:
        meta = store.meta(create=False)
        if meta is not None:
            current = _read_lease(store)
            if current and current.get("owner") == owner:
                meta.delete(ids=[LEASE_ID])


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
