"""A scripted LLM server on 127.0.0.1 that misbehaves on purpose: slow, garbage, adversarial.

Speaks the OpenAI chat-completions API (JSON and SSE streaming) and Ollama's /api/chat
(NDJSON streaming) over a real HTTP server, so the real LangChain clients are exercised.
``script(prompt_text) -> Step`` decides each reply.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Step:
    text: str = ""
    delay_s: float = 0.0  # before answering (a hung server)
    raw: bytes | None = None  # sent as-is with ``status`` (garbage)
    status: int = 200


@dataclass
class FaultLLM:
    script: Callable[[str], Step]
    url: str = ""
    prompts: list[str] = field(default_factory=list)


def _prompt(body: dict[str, Any]) -> str:
    return "\n".join(str(m.get("content", "")) for m in body.get("messages", []))


def _handler(llm: FaultLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, ctype: str, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            try:
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timed out) first: that is the point of the test

        def do_GET(self) -> None:  # noqa: N802 - ollama probes /api/tags, /api/version
            self._send(200, "application/json", b'{"models": [], "version": "0.0.0"}')

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
            prompt = _prompt(body)
            llm.prompts.append(prompt)
            step = llm.script(prompt)
            if step.delay_s:
                time.sleep(step.delay_s)
            if step.raw is not None:
                self._send(step.status, "application/json", step.raw)
                return
            model = body.get("model", "scripted")
            if self.path.startswith("/api/"):
                self._ollama(model, step.text, bool(body.get("stream", True)))
            else:
                self._openai(model, step.text, bool(body.get("stream")))

        def _openai(self, model: str, text: str, stream: bool) -> None:
            if not stream:
                reply = {
                    "id": "x",
                    "object": "chat.completion",
                    "created": 0,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": text},
                        }
                    ],
                }
                self._send(200, "application/json", json.dumps(reply).encode())
                return
            events = []
            for piece in [text[i : i + 16] for i in range(0, len(text), 16)] or [""]:
                delta = {"role": "assistant", "content": piece}
                chunk = {
                    "id": "x",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                }
                events.append(f"data: {json.dumps(chunk)}\n\n")
            end = {
                "id": "x",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            }
            events.append(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n")
            self._send(200, "text/event-stream", "".join(events).encode())

        def _ollama(self, model: str, text: str, stream: bool) -> None:
            base = {"model": model, "created_at": "2026-01-01T00:00:00Z"}
            done = {
                **base,
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
            }
            if not stream:
                reply = {**done, "message": {"role": "assistant", "content": text}}
                self._send(200, "application/json", json.dumps(reply).encode())
                return
            lines = [
                json.dumps({**base, "message": {"role": "assistant", "content": p}, "done": False})
                for p in [text[i : i + 16] for i in range(0, len(text), 16)]
            ]
            lines.append(json.dumps(done))
            self._send(200, "application/x-ndjson", ("\n".join(lines) + "\n").encode())

    return Handler


@contextmanager
def fault_llm(script: Callable[[str], Step]) -> Iterator[FaultLLM]:
    llm = FaultLLM(script)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(llm))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    llm.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield llm
    finally:
        server.shutdown()
        server.server_close()
