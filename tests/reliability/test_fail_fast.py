"""`newsdesk ask` fails before it loads the embedding model (seconds) when it cannot answer
anyway: no index, or the configured LLM server down. Checked by what the process imported
(`python -X importtime` lists every module), not by a timed assert."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def _ask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "newsdesk", "ask", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env, "PYTHONPATH": str(PROJECT_ROOT)},
    )


def _imported(stderr: str) -> set[str]:
    return {line.rsplit("|", 1)[1].strip() for line in stderr.splitlines() if line.startswith("import time:")}


def test_ask_on_a_missing_index_never_imports_torch(isolated_env: Path) -> None:
    done = _ask({}, "Who denied involvement?")
    assert done.returncode == 1, done.stderr[-2000:]
    assert "No index at" in done.stderr and "newsdesk index build" in done.stderr
    imported = _imported(done.stderr)
    assert "newsdesk.app" in imported  # the path through build_service was taken
    assert "torch" not in imported and "sentence_transformers" not in imported


def test_ask_with_the_llm_server_down_never_imports_torch(rel_settings) -> None:  # noqa: ANN001
    from index.build import build_index
    from tests.index.fakes import CountingEmbeddings

    emb = CountingEmbeddings(size=384)
    emb.stamp_model = "all-MiniLM-L6-v2"  # type: ignore[attr-defined]  # the real stamp
    build_index(rel_settings, emb)
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        "NEWSDESK_ANSWERER": "openai",
        "NEWSDESK_OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1",
        "NEWSDESK_CORPUS_DIR": str(rel_settings.corpus_dir),
    }
    done = _ask(env, "Who denied involvement?")
    assert done.returncode == 1, done.stderr[-2000:]
    assert f"127.0.0.1:{port}" in done.stderr
    imported = _imported(done.stderr)
    assert "newsdesk.app" in imported and "index.status" in imported
    assert "torch" not in imported and "sentence_transformers" not in imported
