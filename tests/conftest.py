"""Shared fixtures. Every test runs with an isolated environment and data directory."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CORPUS = PROJECT_ROOT / "corpus"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No test sees the developer's NEWSDESK_* variables, .env or data directory."""
    for key in list(os.environ):
        if key.startswith("NEWSDESK_"):
            monkeypatch.delenv(key)
    data_dir = tmp_path / "newsdesk-data"
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    # Run from a temp folder so a developer's ./.env is never read.
    monkeypatch.chdir(tmp_path)
    yield data_dir


@pytest.fixture
def settings(isolated_env: Path):  # noqa: ANN201 - Settings imported lazily
    from newsdesk.settings import Settings

    return Settings(data_dir=isolated_env, corpus_dir=SHIPPED_CORPUS)


@pytest.fixture(scope="session")
def shipped_corpus() -> Path:
    return SHIPPED_CORPUS


# --- shared index fixtures (owned by the index area; lazy imports keep collection fast) ---------


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_chroma(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chroma run exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"chroma run did not become healthy at {url} within {timeout:.0f}s")


def start_chroma_server(data: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """Start `chroma run` on 127.0.0.1 with a free port, storing in ``data``; wait until healthy.

    For tests that need a server of their own (e.g. to stop it); most use ``chroma_server``.
    """
    import sys

    data.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    chroma = Path(sys.executable).with_name("chroma")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with open(data / "server.log", "ab") as log_file:
        proc = subprocess.Popen(
            [
                str(chroma),
                "run",
                "--path",
                str(data / "db"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_chroma(url, proc)
    except BaseException:
        stop_chroma_server(proc)
        raise
    return url, proc


def stop_chroma_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` server on 127.0.0.1 (free port, temp data dir); yields its URL.

    Shared by the whole session: tests must use their own collection names
    (e.g. ``Settings(collection=...)``) so they do not see each other's data.
    """
    url, proc = start_chroma_server(tmp_path_factory.mktemp("chroma-server"))
    try:
        yield url
    finally:
        stop_chroma_server(proc)


@pytest.fixture(scope="session")
def embeddings():  # noqa: ANN201 - langchain Embeddings imported lazily
    """The real bundled all-MiniLM-L6-v2 (offline), loaded once per session."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    from index.embeddings import load_embeddings
    from newsdesk.settings import Settings

    return load_embeddings(Settings.model_validate({"embedding_model": "all-MiniLM-L6-v2"}))


@pytest.fixture
def real_model(embeddings, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001, ANN201
    """In-process CLI/app code loads the bundled model as usual but gets the session's loaded
    copy (the same model: only the repeated ~1-3 s load is saved). Not for tests of start-up."""
    import index.embeddings
    import index.lazy

    monkeypatch.setattr(index.lazy, "load_embeddings", lambda settings: embeddings)
    monkeypatch.setattr(index.embeddings, "load_embeddings", lambda settings: embeddings)
    return embeddings


@pytest.fixture
def fake_embeddings():  # noqa: ANN201
    """Fast deterministic embeddings implementing the real LangChain interface."""
    from langchain_core.embeddings import DeterministicFakeEmbedding

    return DeterministicFakeEmbedding(size=64)
