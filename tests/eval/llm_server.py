"""A scripted OpenAI-compatible chat server on 127.0.0.1 (a real HTTP server, real client)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[list[dict[str, Any]]], str | int]  # messages -> text, or an HTTP error code


@dataclass
class ScriptedLLM:
    reply: Reply
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)

    def prompts(self) -> list[str]:
        return [str(r["messages"][-1]["content"]) for r in self.requests]


def _handler(llm: ScriptedLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server API
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            llm.requests.append(body)
            reply = llm.reply(body["messages"])
            if isinstance(reply, int):
                payload = json.dumps({"error": {"message": "scripted failure"}}).encode()
                self.send_response(reply)
            else:
                payload = json.dumps(
                    {
                        "id": "chatcmpl-test",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body.get("model", "scripted"),
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "message": {"role": "assistant", "content": reply},
                            }
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    }
                ).encode()
                self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@contextmanager
def scripted_llm(reply: Reply) -> Iterator[ScriptedLLM]:
    """Serve ``reply`` on a free port; ``.url`` is the OpenAI base URL (…/v1)."""
    llm = ScriptedLLM(reply)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(llm))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    llm.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield llm
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
