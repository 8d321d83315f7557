"""Builds interrupted on another host, a server lost mid-build, and a hung Chroma server.

- A build killed on *another host* (a real second UTS namespace: `unshare --uts` gives the
  worker its own host name, as a container would have) leaves its lease behind; `newsdesk
  index unlock` watches the lease, refuses while the build's heartbeat renews it, and removes
  it once the build is dead, so the next build runs at once instead of after the lease expires.
- A Chroma server that dies mid-build is reported as the first cause (StoreUnavailable
  naming the server), not as the lock clean-up's connection error.
- A Chroma server that accepts connections and never answers (a real TCP proxy on 127.0.0.1
  that swallows traffic) fails each question within `chroma_timeout_s`, saying so; answers
  resume when it answers again.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from answering.factory import build_answering
from index.build import build_index
from index.locking import LEASE_ID, _read_lease
from index.reader import open_reader
from index.store import Store
from index.verify import verify_index
from newsdesk.errors import IndexBusy, StoreUnavailable
from tests.conftest import PROJECT_ROOT, start_chroma_server, stop_chroma_server
from tests.index.fakes import CountingEmbeddings

pytestmark = [pytest.mark.slow, pytest.mark.integration]

WORKER = Path(__file__).with_name("crash_worker.py")
OTHER_HOST = "build-container-7"
MEASURED: dict[str, float] = {}


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsdesk", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ.copy(),
    )


def _worker_on_another_host(marker: Path) -> subprocess.Popen[bytes]:
    """A build (crash_worker, stopped inside the embedder) in its own UTS namespace."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare for a second host name")
    script = f"hostname {OTHER_HOST} && exec {sys.executable} {WORKER} {marker} embed"
    proc = subprocess.Popen(
        ["unshare", "--uts", "sh", "-c", script], cwd=PROJECT_ROOT, env=os.environ.copy()
    )
    started = time.monotonic()
    while not marker.exists():
        assert proc.poll() is None, f"worker exited early ({proc.returncode})"
        assert time.monotonic() - started < 180, "worker never reached the embedder"
        time.sleep(0.05)
    return proc


def test_a_build_killed_on_another_host_is_unlocked_safely(
    chroma_server: str,
    rel_settings,  # noqa: ANN001
    corpus: Path,
    fake_emb,  # noqa: ANN001
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    collection = f"lease-{tmp_path.name[-12:]}".replace("_", "-").strip("-")
    settings = rel_settings.model_copy(update={"chroma_url": chroma_server, "collection": collection})
    first = build_index(settings, fake_emb)
    monkeypatch.setenv("NEWSDESK_CHROMA_URL", chroma_server)
    monkeypatch.setenv("NEWSDESK_COLLECTION", collection)
    monkeypatch.setenv("NEWSDESK_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("NEWSDESK_EMBEDDING_BATCH_SIZE", "8")
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))

    proc = _worker_on_another_host(tmp_path / "marker")
    try:
        lease = _read_lease(Store.open(settings, create=False))
        assert lease is not None and lease["host"] == OTHER_HOST
        with pytest.raises(IndexBusy) as busy:
            build_index(settings, fake_emb)
        assert OTHER_HOST in busy.value.message and "newsdesk index unlock" in (busy.value.hint or "")
        # The build is alive: its heartbeat renews the lease, so unlock refuses.
        alive = _cli("index", "unlock")
        assert alive.returncode == 1, alive.stdout + alive.stderr
        assert "is alive" in alive.stderr and "heartbeat renewed" in alive.stderr
    finally:
        proc.send_signal(signal.SIGKILL)  # the container is killed
        proc.wait(timeout=30)
    with pytest.raises(IndexBusy):  # its lease outlives it ...
        build_index(settings, fake_emb)
    started = time.monotonic()
    dead = _cli("index", "unlock")  # ... until unlock sees no heartbeat
    MEASURED["unlock_s"] = time.monotonic() - started
    assert dead.returncode == 0, dead.stderr
    assert "Removed the build lease" in dead.stdout and OTHER_HOST in dead.stdout
    again = build_index(settings, fake_emb, force=True)
    assert again.changed and again.chunks == first.chunks
    assert verify_index(settings).ok
    meta = Store.open(settings, create=False).meta(create=False)
    assert meta is not None and meta.get(ids=[LEASE_ID])["ids"] == []  # released after the build
    nothing = _cli("index", "unlock", "--watch", "1")
    assert nothing.returncode == 0 and "nothing to unlock" in nothing.stdout
    print(f"\nunlock of a dead build's lease took {MEASURED['unlock_s']:.1f} s")


def test_unlock_of_a_local_index_never_breaks_a_live_lock(
    rel_settings,  # noqa: ANN001
    fake_emb,  # noqa: ANN001
) -> None:
    from index.locking import build_lock, unlock

    build_index(rel_settings, fake_emb)
    store = Store.open(rel_settings, create=False)
    assert not unlock(store).removed
    with build_lock(Store.open(rel_settings, create=True)), pytest.raises(IndexBusy, match="alive"):
        unlock(store)


class _StopServerAt:
    """An embedder that stops the real Chroma server on its ``n``-th batch."""

    def __init__(self, proc: subprocess.Popen[bytes], n: int = 2) -> None:
        self.inner = CountingEmbeddings(size=64)
        self.proc, self.n, self.calls = proc, n, 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        if self.calls == self.n:
            stop_chroma_server(self.proc)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def test_a_server_lost_mid_build_is_reported_as_the_first_cause(
    rel_settings,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    url, proc = start_chroma_server(tmp_path / "lost")
    try:
        settings = rel_settings.model_copy(update={"chroma_url": url, "embedding_batch_size": 8})
        build_index(settings, CountingEmbeddings(size=64))
        with pytest.raises(StoreUnavailable) as info:
            build_index(settings, _StopServerAt(proc), force=True)  # type: ignore[arg-type]
    finally:
        stop_chroma_server(proc)
    assert url in info.value.message and "chroma run" in (info.value.hint or "")
    assert "Index build failed" not in info.value.message


class HangingProxy:
    """A TCP proxy on 127.0.0.1 in front of a real Chroma server; ``hang`` makes it accept
    and read requests but never forward or answer them (a hung server, seen from outside)."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.hang = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, socket.create_connection(self.upstream) as up:
            back = threading.Thread(target=self._pump, args=(up, conn), daemon=True)
            back.start()
            self._pump(conn, up)

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                if not self.hang.is_set():
                    dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._closed.set()
        self.sock.close()


@pytest.fixture
def proxy(chroma_server: str) -> Iterator[HangingProxy]:
    p = HangingProxy(chroma_server)
    yield p
    p.close()


def test_a_hung_chroma_server_bounds_each_question(
    chroma_server: str,
    proxy: HangingProxy,
    rel_settings,  # noqa: ANN001
    fake_emb,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    timeout_s = 1.5
    collection = f"hung-{tmp_path.name[-12:]}".replace("_", "-").strip("-")
    direct = rel_settings.model_copy(update={"chroma_url": chroma_server, "collection": collection})
    build_index(direct, fake_emb)
    settings = direct.model_copy(update={"chroma_url": proxy.url, "chroma_timeout_s": timeout_s})
    reader = open_reader(settings, fake_emb)
    service = build_answering(settings, reader, fake_emb, answerer="extractive")
    question = "Who denied involvement in the attack?"
    before = service.answer(question)
    assert before.citations

    proxy.hang.set()
    timings = []
    for _ in range(3):
        time.sleep(1.1)  # past the reader's once-a-second pointer refresh
        started = time.monotonic()
        with pytest.raises(StoreUnavailable) as info:
            service.answer(question)
        timings.append(time.monotonic() - started)
        assert "did not answer in time" in info.value.message and proxy.url in info.value.message
        assert "NEWSDESK_CHROMA_TIMEOUT_S" in info.value.message
    # At most two requests per question (pointer refresh + search), each bounded.
    assert max(timings) < 2 * timeout_s + 2.0, timings
    assert min(timings) >= timeout_s * 0.8, timings

    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="did not answer in time"):  # a fresh open too
        open_reader(settings, fake_emb)
    opened = time.monotonic() - started
    assert opened < timeout_s + 2.0, opened

    proxy.hang.clear()
    after = service.answer(question)
    assert after.answer == before.answer
    MEASURED["hung_question_s"] = max(timings)
    print(f"\nhung server: each question failed after {', '.join(f'{t:.2f}' for t in timings)} s "
          f"(chroma_timeout_s={timeout_s}); fresh open {opened:.2f} s")
