"""index.chroma_client against the installed chromadb: the behaviour the store relies on, and the
one place it reaches past chromadb's public API (``http_session``). A chromadb upgrade that
changes either fails here, by name, instead of silently losing a timeout or a recovery."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import httpx
import pytest

from index.chroma_client import (
    HTTP_CONNECT_TIMEOUT_S,
    HTTP_TIMEOUT_S,
    chroma_path,
    http_session,
    open_persistent,
)
from index.store import Store
from newsdesk.errors import IndexCorrupt


def test_a_corrupt_store_can_be_replaced_at_the_same_path_in_the_same_process(
    index_settings,  # noqa: ANN001
) -> None:
    """What `newsdesk index build --force` does after a failed open: move the folder aside and
    create a fresh one at the same path. Chroma caches a system per path before starting it;
    without dropping the one that failed, the fresh open fails too."""
    path = chroma_path(index_settings)
    path.mkdir(parents=True)
    (path / "chroma.sqlite3").write_bytes(random.Random(7).randbytes(64 * 1024))
    with pytest.raises(IndexCorrupt, match="cannot be opened"):
        Store.open(index_settings, create=False)
    shutil.move(path, Path(f"{path}.corrupt"))

    store = Store.open(index_settings, create=True)
    store.write_update_log("g", {"doc": None}, "d")
    assert store.read_update_log() == {"generation": "g", "docs": {"doc": None}, "delta": "d"}


def test_a_failed_open_leaves_other_open_stores_working(tmp_path: Path, index_settings) -> None:  # noqa: ANN001
    """Dropping Chroma's cache after a failed open (it is process-wide) keeps clients that are
    already open working."""
    healthy = Store.open(index_settings, create=True)
    healthy.write_update_log("g", {}, "d1")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "chroma.sqlite3").write_bytes(b"not a database" * 1000)
    with pytest.raises(Exception):  # noqa: B017 - whatever Chroma raises for a corrupt file
        open_persistent(broken)
    assert healthy.read_update_log() == {"generation": "g", "docs": {}, "delta": "d1"}
    healthy.write_update_log("g", {}, "d2")
    assert Store.open(index_settings, create=False).read_update_log()["delta"] == "d2"  # type: ignore[index]


def test_the_http_session_is_where_chromadb_keeps_it_and_gets_our_timeouts(
    chroma_server: str,
    index_settings,  # noqa: ANN001
) -> None:
    settings = index_settings.model_copy(update={"chroma_url": chroma_server, "chroma_timeout_s": 3.0})
    store = Store.open(settings, create=False)
    session = http_session(store.client)
    assert session is not None, "chromadb moved its HTTP session: update index.chroma_client.http_session"
    assert session.timeout.read == HTTP_TIMEOUT_S
    assert session.timeout.connect == HTTP_CONNECT_TIMEOUT_S

    hooks = [h for h in session.event_hooks["request"] if hasattr(h, "newsdesk_read_s")]
    assert len(hooks) == 1 and hooks[0].newsdesk_read_s == 3.0
    read = httpx.Request("POST", f"{chroma_server}/api/v2/tenants/t/databases/d/collections/c/query")
    write = httpx.Request("POST", f"{chroma_server}/api/v2/tenants/t/databases/d/collections/c/upsert")
    hooks[0](read)
    hooks[0](write)
    assert read.extensions["timeout"]["read"] == 3.0
    assert write.extensions["timeout"]["read"] == HTTP_TIMEOUT_S
    assert isinstance(store.collection_names(), list)  # requests go through the hook
