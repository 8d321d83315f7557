"""Deploy fixtures: services started the way the containers run them, on 127.0.0.1.

- ``chroma_server`` (root conftest): a real ``chroma run --path TMP --host 127.0.0.1 --port FREE``,
  the same Rust server as the chromadb/chroma image, from the chromadb package; yields its URL.
- ``run_newsdesk()``: runs a ``newsdesk`` command line in a subprocess with a given environment,
  like ``docker compose run`` does with the service's ``command:`` and ``environment:``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.deployfiles import load_compose, service_environment

VENV_BIN = Path(sys.executable).parent
PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_CORPUS = PROJECT_ROOT / "corpus"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def newsdesk_env(settings: Mapping[str, str]) -> dict[str, str]:
    """The process environment of a container: no developer NEWSDESK_* leaks in, offline."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
    )
    env.update(settings)
    return env


def run_newsdesk(
    argv: list[str], settings: Mapping[str, str], cwd: Path, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """Run a compose-style `command:` list (``["newsdesk", ...]``) with the venv's newsdesk."""
    assert argv[0] == "newsdesk", argv
    return subprocess.run(
        [str(VENV_BIN / "newsdesk"), *argv[1:]],
        env=newsdesk_env(settings),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def read_only_copy(source: Path, target: Path) -> Path:
    """A copy of the corpus made read-only, like the indexer's `./corpus:/corpus:ro` mount."""
    shutil.copytree(source, target)
    for path in sorted(target.rglob("*"), reverse=True):
        path.chmod(0o444 if path.is_file() else 0o555)
    target.chmod(0o555)
    return target


def make_writable(root: Path) -> None:
    root.chmod(0o755)
    for path in root.rglob("*"):
        path.chmod(0o644 if path.is_file() else 0o755)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@dataclass
class Indexed:
    settings: dict[str, str]  # the bot's environment, aimed at the test server
    build: subprocess.CompletedProcess[str]
    corpus_before: dict[str, str]
    corpus_after: dict[str, str]
    workdir: Path


@pytest.fixture(scope="session")
def indexed(chroma_server: str, tmp_path_factory: pytest.TempPathFactory) -> Indexed:
    """The compose `indexer` service's command, run once against the test Chroma server."""
    root = tmp_path_factory.mktemp("deploy-stack")
    mount = read_only_copy(SHIPPED_CORPUS, root / "corpus")
    before = _digest(mount)
    indexer = load_compose()["services"]["indexer"]
    env = service_environment(indexer)
    assert env["NEWSDESK_CORPUS_DIR"] == "/corpus"
    overrides = {
        "NEWSDESK_CHROMA_URL": chroma_server,  # http://chroma:8000 inside compose
        "NEWSDESK_OLLAMA_URL": f"http://127.0.0.1:{free_port()}",  # nothing: not needed to index
        "NEWSDESK_DATA_DIR": str(root / "indexer-data"),  # the newsdesk-data volume
        "NEWSDESK_COLLECTION": "deploytest",
    }
    try:
        build = run_newsdesk(
            indexer["command"], {**env, **overrides, "NEWSDESK_CORPUS_DIR": str(mount)}, cwd=root
        )
        after = _digest(mount)
    finally:
        make_writable(mount)
    bot_env = service_environment(load_compose()["services"]["bot"])
    bot_env.pop("NEWSDESK_DISCORD_TOKEN_FILE")
    # the bot mounts the same newsdesk-data volume as the indexer (the keyword index lives there)
    bot_env.update(overrides, NEWSDESK_CORPUS_DIR=str(mount))
    return Indexed(bot_env, build, before, after, root)
