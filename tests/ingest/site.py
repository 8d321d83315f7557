"""A real HTTP server on 127.0.0.1 serving saved news pages, feeds, robots.txt and failures."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

PAGES = Path(__file__).parent / "pages"


@dataclass
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Site:
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, user agent)
    base: str = ""

    def url(self, path: str) -> str:
        return self.base + path

    def add_page(self, path: str, name: str) -> str:
        self.routes[path] = Route(PAGES.joinpath(name).read_bytes())
        return self.url(path)


def feed_item_page(n: int) -> bytes:
    day = datetime(2024, 2, 1, tzinfo=UTC) + timedelta(days=n)
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>Storm update {n}: ferry line {n} suspended | Coast Daily</title>
<meta property="og:site_name" content="Coast Daily">
<meta property="og:title" content="Storm update {n}: ferry line {n} suspended">
<meta property="article:published_time" content="{day.isoformat()}">
</head><body><div class="cookie-banner">We use cookies. Accept?</div><article>
<h1>Storm update {n}: ferry line {n} suspended</h1>
<p>Ferry line {n} between the mainland and island {n} was suspended on day {n} of the storm,
the operator said, as waves of up to {n % 7 + 3} metres hit the harbour wall.</p>
<p>The operator said {100 + n} passengers had been rebooked onto later sailings and that the line
would reopen once the wind dropped below gale force. Coast guard crews remained on standby at the
port throughout the night.</p>
</article><aside class="related"><a href="/x">Other news</a></aside></body></html>""".encode()


def rss_feed(site: Site, count: int) -> bytes:
    items = []
    for n in range(count):
        day = datetime(2024, 2, 1, 8, tzinfo=UTC) + timedelta(days=n)
        items.append(
            f"<item><title>Storm update {n}</title><link>{escape(site.url(f'/coast/story-{n}'))}</link>"
            f"<guid>{escape(site.url(f'/coast/story-{n}'))}</guid><pubDate>{format_datetime(day)}</pubDate>"
            "<description>Ferry news.</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Coast Daily</title>'
        f"<link>{site.url('/')}</link><description>News</description>{''.join(items)}</channel></rss>"
    ).encode()


@contextmanager
def serve(site: Site) -> Iterator[Site]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            site.requests.append((self.path, self.headers.get("User-Agent", "")))
            route = site.routes.get(self.path.split("?", 1)[0])
            if route is None:
                route = Route(b"<html><body><h1>Not found</h1></body></html>", status=404)
            if route.delay_s:
                time.sleep(route.delay_s)
            try:
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
