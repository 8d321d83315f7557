"""The `ollama` service's part, exercised without Ollama: a real HTTP server on 127.0.0.1 that
speaks Ollama's API (`tests/llm_server.py`, scripted replies), used exactly as the bot uses
http://ollama:11434 in compose — by `newsdesk ask` and by the image HEALTHCHECK.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import SHIPPED_CORPUS, Indexed, run_newsdesk
from tests.deploy.deployfiles import load_compose, service_environment
from tests.llm_server import Reply, Request, ScriptedLLMServer

pytestmark = [pytest.mark.slow, pytest.mark.integration]

QUESTION = "Who denied involvement in the attack?"
COMPOSE_MODEL = service_environment(load_compose()["services"]["bot"])["NEWSDESK_LLM_MODEL"]


def _quote_first_excerpt(request: Request) -> Reply:
    """Answer like a well-behaved model: one sentence of excerpt [1], cited as [1]."""
    match = re.search(r"\[1\] \(article: [^\n]*\)\n([^\n]+)", request.prompt)
    if not match:
        return Reply("NOT IN ARTICLES")
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", match.group(1)) if len(s) > 40]
    sentence = (sentences or [match.group(1)])[0].rstrip(".!?")
    return Reply(f"{sentence} [1].")


@pytest.fixture
def ollama() -> Iterator[ScriptedLLMServer]:
    with ScriptedLLMServer() as server:
        yield server


def test_ask_with_the_ollama_answerer_through_the_chroma_server(
    indexed: Indexed, ollama: ScriptedLLMServer
) -> None:
    replies: list[str] = []

    def respond(request: Request) -> Reply:
        reply = _quote_first_excerpt(request)
        replies.append(reply.text)
        return reply

    ollama.respond_with(respond)
    ollama.serve_models([COMPOSE_MODEL])  # `newsdesk ask` checks the model is there before loading
    settings = {
        **indexed.settings,  # the bot service's environment: NEWSDESK_ANSWERER=ollama, model
        "NEWSDESK_OLLAMA_URL": ollama.ollama_url,  # http://ollama:11434 inside compose
    }
    assert settings["NEWSDESK_ANSWERER"] == "ollama"
    result = run_newsdesk(["newsdesk", "ask", "--json", QUESTION], settings, cwd=indexed.workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    payload = json.loads(result.stdout)

    chats = [r for r in ollama.requests if r.api == "ollama" and r.path == "/api/chat"]
    assert chats, ollama.requests
    assert chats[-1].body["model"] == COMPOSE_MODEL
    assert QUESTION in chats[-1].prompt
    assert payload["answerer"] == "ollama"
    assert payload["refused"] is False
    said = replies[-1].removesuffix(" [1].")
    assert said[:60] in " ".join(payload["answer"].split()), (said, payload["answer"])
    assert payload["citations"], payload
    for citation in payload["citations"]:
        article = SHIPPED_CORPUS / f"{citation['doc_id']}.txt"
        text = " ".join(article.read_text(encoding="utf-8").split())
        assert " ".join(citation["excerpt"].split()) in text  # verbatim from the article


def test_ask_says_what_to_do_when_ollama_is_down(indexed: Indexed) -> None:
    from tests.llm_server import unused_port

    url = f"http://127.0.0.1:{unused_port()}"
    settings = {**indexed.settings, "NEWSDESK_OLLAMA_URL": url}
    result = run_newsdesk(["newsdesk", "ask", QUESTION], settings, cwd=indexed.workdir)
    assert result.returncode != 0
    assert url in result.stderr
    assert "NEWSDESK_OLLAMA_URL" in result.stderr or "extractive" in result.stderr


def test_health_names_the_missing_model_and_the_pull_command(
    indexed: Indexed, ollama: ScriptedLLMServer
) -> None:
    settings = {**indexed.settings, "NEWSDESK_OLLAMA_URL": ollama.ollama_url}
    result = run_newsdesk(["newsdesk", "health", "--json"], settings, cwd=indexed.workdir)
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["store"]["ok"] is True
    assert checks["llm"]["ok"] is False
    assert f"docker compose exec ollama ollama pull {COMPOSE_MODEL}" in checks["llm"]["hint"]


class _TagsHandler(BaseHTTPRequestHandler):
    """`GET /api/tags` listing the pulled model, the way `ollama list` sees it."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        return

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        body = json.dumps({"models": [{"name": COMPOSE_MODEL, "model": COMPOSE_MODEL}]}).encode()
        self.send_response(200 if self.path == "/api/tags" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_health_is_green_once_the_model_is_pulled(indexed: Indexed, tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TagsHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        settings = {**indexed.settings, "NEWSDESK_OLLAMA_URL": url}
        result = run_newsdesk(["newsdesk", "health"], settings, cwd=indexed.workdir)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert f"serves {COMPOSE_MODEL}" in result.stdout
