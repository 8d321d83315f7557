"""A real HTTP LLM server on 127.0.0.1 with scripted replies, for tests of the LLM answerers.

Speaks the OpenAI ``POST /v1/chat/completions`` API (JSON, or SSE when ``"stream": true``) and
the Ollama ``POST /api/chat`` API (JSON, or NDJSON when streaming, Ollama's default). Reusable by
any test area::

    with ScriptedLLMServer() as server:
        server.script(Reply("Kata'ib Hezbollah denied it [1]."))
        settings = Settings(answerer="openai", openai_base_url=server.openai_url)
        ...
        assert "Kata" in server.requests[0].prompt

A reply can be plain text (streamed in small pieces), ``garbage`` (a 200 response that is not
the protocol), an HTTP ``status`` error, or ``delay_s`` before answering (for timeouts). With an
empty script the ``default`` reply is used; ``responder`` may compute a reply per request.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    text: str = ""
    garbage: bool = False
    status: int = 200
    delay_s: float = 0.0
    piece_chars: int = 7  # streamed in pieces of this many characters


@dataclass
class Request:
    api: str  # "openai" or "ollama"
    path: str
    body: dict[str, Any]
    stream: bool

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or [])

    @property
    def prompt(self) -> str:
        """All message contents joined (system + user)."""
        return "\n".join(str(m.get("content", "")) for m in self.messages)


@dataclass
class _State:
    script: deque[Reply] = field(default_factory=deque)
    default: Reply = field(default_factory=lambda: Reply("NOT IN ARTICLES"))
    responder: Callable[[Request], Reply] | None = None
    requests: list[Request] = field(default_factory=list)
    models: list[str] = field(default_factory=list)  # what /api/tags and /v1/models list
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_reply(self, request: Request) -> Reply:
        with self.lock:
            self.requests.append(request)
            if self.script:
                return self.script.popleft()
        if self.responder is not None:
            return self.responder(request)
        return self.default


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet in tests
        return

    def do_GET(self) -> None:  # noqa: N802
        if self.path.rstrip("/") in ("/api/tags", "/v1/models"):
            names = list(self.server.state.models)
            self._json(
                200,
                {
                    "models": [{"name": n, "model": n} for n in names],
                    "data": [{"id": n, "object": "model"} for n in names],
                    "object": "list",
                },
            )
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._json(400, {"error": "bad json"})
            return
        path = self.path.split("?")[0].rstrip("/")
        if path.endswith("/chat/completions"):
            api, stream = "openai", bool(body.get("stream", False))
        elif path == "/api/chat":
            api, stream = "ollama", bool(body.get("stream", True))
        else:
            self._json(404, {"error": f"unknown path {path}"})
            return
        reply = self.server.state.next_reply(Request(api, path, body, stream))
        if reply.delay_s:
            time.sleep(reply.delay_s)
        if reply.status != 200:
            self._json(reply.status, {"error": {"message": "scripted failure", "type": "server"}})
            return
        if reply.garbage:
            self._send(200, "application/json", b"<html>this is not an API response</html>")
            return
        model = str(body.get("model", "scripted"))
        if api == "openai":
            self._openai(reply, model, stream)
        else:
            self._ollama(reply, model, stream)

    # --- protocols ---------------------------------------------------------------------
    def _openai(self, reply: Reply, model: str, stream: bool) -> None:
        base = {"id": "chatcmpl-test", "created": int(time.time()), "model": model}
        if not stream:
            self._json(
                200,
                {
                    **base,
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": reply.text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                },
            )
            return
        events = []
        for i, piece in enumerate(_pieces(reply.text, reply.piece_chars)):
            delta: dict[str, Any] = {"content": piece}
            if i == 0:
                delta["role"] = "assistant"
            events.append(
                {
                    **base,
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                }
            )
        events.append(
            {
                **base,
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            }
        )
        payload = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
        self._send(200, "text/event-stream", payload.encode())

    def _ollama(self, reply: Reply, model: str, stream: bool) -> None:
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        final = {
            "model": model,
            "created_at": now,
            "message": {"role": "assistant", "content": "" if stream else reply.text},
            "done": True,
            "done_reason": "stop",
            "total_duration": 1000,
            "eval_count": 5,
            "prompt_eval_count": 10,
        }
        if not stream:
            self._json(200, final)
            return
        lines = [
            json.dumps(
                {
                    "model": model,
                    "created_at": now,
                    "message": {"role": "assistant", "content": piece},
                    "done": False,
                }
            )
            for piece in _pieces(reply.text, reply.piece_chars)
        ]
        lines.append(json.dumps(final))
        self._send(200, "application/x-ndjson", ("\n".join(lines) + "\n").encode())

    def _json(self, status: int, obj: Any) -> None:
        self._send(status, "application/json", json.dumps(obj).encode())

    def _send(self, status: int, content_type: str, data: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # client gave up (timeout tests)
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: _State


class ScriptedLLMServer:
    """Start with ``with ScriptedLLMServer() as s:`` (or ``start()``/``stop()``)."""

    def __init__(self, default: Reply | None = None) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = _State()
        if default is not None:
            self._server.state.default = default
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def serve_models(self, names: list[str]) -> None:
        """Name the models the server lists (an Ollama server must have the configured one)."""
        self._server.state.models = list(names)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def ollama_url(self) -> str:
        return self.url

    def url_for(self, api: str) -> str:
        """The base URL a newsdesk answerer named ``api`` ("openai" or "ollama") is given."""
        return self.openai_url if api == "openai" else self.ollama_url

    @property
    def requests(self) -> list[Request]:
        with self._server.state.lock:
            return list(self._server.state.requests)

    def script(self, *replies: Reply) -> None:
        """Queue replies, used in order; then the default (or the responder)."""
        with self._server.state.lock:
            self._server.state.script.extend(replies)

    def respond_with(self, responder: Callable[[Request], Reply] | None) -> None:
        self._server.state.responder = responder

    def set_default(self, reply: Reply) -> None:
        self._server.state.default = reply

    def start(self) -> ScriptedLLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def unused_port() -> int:
    """A port nothing listens on (bound then released), for "unreachable server" tests."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
