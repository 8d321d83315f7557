"""Each compose service started here the way its container runs it, against a real Chroma server.

- chroma: the compose healthcheck's exact bash probe against a real `chroma run` server.
- indexer: the compose `command:` with the compose `environment:` (Chroma URL swapped for the
  test server, the corpus a read-only temp copy like the `:ro` mount), as a subprocess.
- bot: the image HEALTHCHECK (`newsdesk health`) before and after the index exists, and
  `newsdesk ask --json` through the server giving a cited answer with verbatim excerpts.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.deploy.conftest import SHIPPED_CORPUS, Indexed, free_port, run_newsdesk
from tests.deploy.deployfiles import interpolate, load_compose

pytestmark = [pytest.mark.slow, pytest.mark.integration]

QUESTION = "Who denied involvement in the attack?"


# --- chroma -----------------------------------------------------------------------------------


def _chroma_probe(port: int, path: str = "/api/v2/heartbeat") -> list[str]:
    """The chroma service's healthcheck command as Docker would exec it, aimed at `port`."""
    test = load_compose()["services"]["chroma"]["healthcheck"]["test"]
    assert test[0] == "CMD"
    argv = [interpolate(part) for part in test[1:]]  # compose turns `$$` into `$`
    script = argv[-1]
    assert "/dev/tcp/127.0.0.1/8000" in script and "/api/v2/heartbeat" in script
    script = script.replace("/dev/tcp/127.0.0.1/8000", f"/dev/tcp/127.0.0.1/{port}")
    argv[-1] = script.replace("/api/v2/heartbeat", path)
    return argv


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def _exit_code(argv: list[str]) -> int:
    return subprocess.run(argv, capture_output=True, timeout=30, check=False).returncode


def test_chroma_healthcheck_passes_on_a_real_server(chroma_server: str) -> None:
    assert _exit_code(_chroma_probe(_port(chroma_server))) == 0


def test_chroma_healthcheck_fails_on_a_wrong_path_or_a_dead_port(
    chroma_server: str,
) -> None:
    # Chroma 1.x answers the old v1 heartbeat with 410 Gone: the probe must call that a failure
    assert _exit_code(_chroma_probe(_port(chroma_server), "/api/v1/heartbeat")) != 0
    assert _exit_code(_chroma_probe(_port(chroma_server), "/no/such/endpoint")) != 0
    assert _exit_code(_chroma_probe(free_port())) != 0


def test_heartbeat_path_of_newsdesk_health_answers_200(chroma_server: str) -> None:
    from newsdesk.cli.health_cmd import CHROMA_HEARTBEAT

    with urllib.request.urlopen(chroma_server + CHROMA_HEARTBEAT, timeout=10) as response:
        assert response.status == 200
        assert "heartbeat" in " ".join(json.loads(response.read()))


# --- indexer ----------------------------------------------------------------------------------


def test_indexer_command_builds_the_index_on_the_server(indexed: Indexed) -> None:
    assert indexed.build.returncode == 0, indexed.build.stderr[-3000:]
    assert indexed.corpus_after == indexed.corpus_before  # the read-only mount is untouched


def test_index_status_through_the_server(indexed: Indexed) -> None:
    status = run_newsdesk(
        ["newsdesk", "index", "status", "--json"], indexed.settings, cwd=indexed.workdir
    )
    assert status.returncode == 0, status.stderr[-3000:]
    data = json.loads(status.stdout)
    assert data["documents"] == len(list(SHIPPED_CORPUS.glob("*.txt")))
    assert data["chunks"] >= data["documents"]
    assert data["location"] == indexed.settings["NEWSDESK_CHROMA_URL"]


# --- bot: healthcheck and answers ---------------------------------------------------------------


def test_health_is_red_before_the_index_and_says_how_to_build_it(
    chroma_server: str, tmp_path: Path
) -> None:
    settings = {
        "NEWSDESK_CHROMA_URL": chroma_server,
        "NEWSDESK_COLLECTION": "never-built",
        "NEWSDESK_ANSWERER": "extractive",
    }
    result = run_newsdesk(["newsdesk", "health", "--json"], settings, cwd=tmp_path, timeout=120)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    store = next(c for c in report["checks"] if c["name"] == "store")
    assert not store["ok"]
    assert "indexer" in store["hint"]


def test_health_is_green_once_indexed(indexed: Indexed) -> None:
    settings = {**indexed.settings, "NEWSDESK_ANSWERER": "extractive"}
    result = run_newsdesk(["newsdesk", "health"], settings, cwd=indexed.workdir, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert "5 documents" in result.stdout


def test_health_is_red_when_chroma_is_down(tmp_path: Path) -> None:
    settings = {"NEWSDESK_CHROMA_URL": f"http://127.0.0.1:{free_port()}"}
    result = run_newsdesk(["newsdesk", "health"], settings, cwd=tmp_path, timeout=120)
    assert result.returncode == 1
    assert "Chroma server unavailable" in result.stdout
    assert "NEWSDESK_CHROMA_URL" in result.stdout


def _normalised(text: str) -> str:
    return " ".join(text.split())


def _check_cited_answer(payload: dict[str, object]) -> None:
    assert payload["refused"] is False, payload
    citations = payload["citations"]
    assert isinstance(citations, list) and citations, payload
    corpus_text = {
        p.stem: _normalised(p.read_text(encoding="utf-8")) for p in SHIPPED_CORPUS.iterdir()
    }
    for citation in citations:
        assert citation["doc_id"] in corpus_text, citation
        assert citation["excerpt"].strip()
        assert _normalised(citation["excerpt"]) in corpus_text[citation["doc_id"]], citation
        assert f"[{citation['n']}]" in str(payload["answer"])


def test_ask_answers_with_verbatim_citations_through_the_server(indexed: Indexed) -> None:
    settings = {**indexed.settings, "NEWSDESK_ANSWERER": "extractive"}
    result = run_newsdesk(["newsdesk", "ask", "--json", QUESTION], settings, cwd=indexed.workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    payload = json.loads(result.stdout)
    assert payload["answerer"] == "extractive"
    _check_cited_answer(payload)
