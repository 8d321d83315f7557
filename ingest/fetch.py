"""Polite HTTP fetching: a User-Agent, a time limit, a size limit, robots.txt and a per-host delay.

The standard library's ``urllib`` is enough here (redirects, timeouts, robots.txt parsing);
what it lacks, a total deadline and a byte limit while reading, is the read loop below.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
import urllib.error
import urllib.request
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from newsdesk.errors import NewsdeskError

log = logging.getLogger(__name__)

READ_BLOCK = 64 * 1024


class IngestError(NewsdeskError):
    """An article or feed could not be added; nothing was written for it."""


class FetchFailed(IngestError):
    """HTTP error status, timeout, refused connection, too large."""

    def __init__(self, message: str, *, hint: str | None = None, status: int | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status  # the HTTP status, if the server answered with an error


class RobotsDisallowed(IngestError):
    """robots.txt of the site does not allow our User-Agent to fetch the URL."""


class NotAnArticle(IngestError):
    """The response is not an HTML article (wrong content type, too little text, a paywall stub)."""


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # as asked
    final_url: str  # after redirects
    status: int
    content_type: str  # lower-case media type without parameters, e.g. "text/html"
    charset: str | None
    body: bytes

    def text(self) -> str:
        return self.body.decode(self.charset or "utf-8", errors="replace")


def check_url(url: str) -> str:
    """Only absolute http(s) URLs are fetched (no file:, ftp:, data:)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise IngestError(
            f"Not an http(s) URL: {url!r}", hint="pass a full address such as https://example.org/story"
        )
    return url.strip()


class Fetcher:
    """Fetches pages for one ingest run; caches robots.txt per origin. Thread-safe."""

    def __init__(
        self,
        *,
        user_agent: str,
        timeout_s: float,
        max_bytes: int,
        delay_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.user_agent = user_agent
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.delay_s = delay_s
        self._clock = clock
        self._sleep = sleep
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._last_request: dict[str, float] = {}
        self._lock = threading.Lock()

    # --- robots.txt ----------------------------------------------------------------------
    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            rules = self._robots.get(origin)
        if rules is None:
            rules = self._load_robots(origin)
            with self._lock:
                self._robots[origin] = rules
        return rules.can_fetch(self.user_agent, url)

    def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser:
        """RFC 9309: a 4xx robots.txt allows everything; 5xx or unreachable disallows all."""
        rules = urllib.robotparser.RobotFileParser(urljoin(origin, "/robots.txt"))
        try:
            got = self._get(urljoin(origin, "/robots.txt"), max_bytes=500 * 1024)
        except FetchFailed as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                rules.parse([])  # no rules: everything allowed
            else:
                log.warning("robots.txt of %s unreachable (%s): not fetching from it", origin, exc.message)
                rules.parse(["User-agent: *", "Disallow: /"])
            return rules
        rules.parse(got.text().splitlines())
        return rules

    def crawl_delay(self, url: str) -> float:
        parts = urlsplit(url)
        rules = self._robots.get(f"{parts.scheme}://{parts.netloc}")
        delay = rules.crawl_delay(self.user_agent) if rules is not None else None
        return max(self.delay_s, float(delay or 0))

    # --- fetching ------------------------------------------------------------------------
    def fetch(self, url: str) -> Fetched:
        """GET ``url`` if robots.txt allows it; raises ``RobotsDisallowed`` or ``FetchFailed``."""
        url = check_url(url)
        if not self.allowed(url):
            raise RobotsDisallowed(
                f"robots.txt of {urlsplit(url).netloc} disallows {url} for our User-Agent",
                hint="the site asks crawlers not to fetch this page; save it yourself if you may",
            )
        self._wait_turn(url)
        got = self._get(url, max_bytes=self.max_bytes)
        if got.final_url != url and not self.allowed(got.final_url):  # redirected elsewhere
            raise RobotsDisallowed(
                f"{url} redirects to {got.final_url}, which robots.txt of "
                f"{urlsplit(got.final_url).netloc} disallows for our User-Agent",
                hint="the site asks crawlers not to fetch this page; save it yourself if you may",
            )
        return got

    def _wait_turn(self, url: str) -> None:
        host = urlsplit(url).netloc
        delay = self.crawl_delay(url)
        with self._lock:
            last = self._last_request.get(host)
            now = self._clock()
            wait = 0.0 if last is None else max(0.0, last + delay - now)
            self._last_request[host] = now + wait
        if wait > 0:
            self._sleep(wait)

    def _get(self, url: str, *, max_bytes: int) -> Fetched:
        request = urllib.request.Request(
            url, headers={"User-Agent": self.user_agent, "Accept": "text/html,application/xhtml+xml,*/*"}
        )
        deadline = time.monotonic() + self.timeout_s
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                length = response.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > max_bytes:
                    raise FetchFailed(
                        f"{url} is {int(length):,} bytes, over the {max_bytes:,}-byte limit",
                        hint="raise NEWSDESK_INGEST_MAX_BYTES if this page is really an article",
                    )
                chunks: list[bytes] = []
                size = 0
                while True:
                    if time.monotonic() > deadline:
                        raise TimeoutError("total time limit")
                    block = response.read(READ_BLOCK)
                    if not block:
                        break
                    size += len(block)
                    if size > max_bytes:
                        raise FetchFailed(
                            f"{url} is over the {max_bytes:,}-byte limit",
                            hint="raise NEWSDESK_INGEST_MAX_BYTES if this page is really an article",
                        )
                    chunks.append(block)
                content_type = response.headers.get_content_type().lower()
                charset = response.headers.get_content_charset()
                return Fetched(url, response.geturl(), response.status, content_type, charset, b"".join(chunks))
        except urllib.error.HTTPError as exc:
            raise FetchFailed(
                f"{url} answered HTTP {exc.code} {exc.reason}",
                hint="check the address; nothing was added for it",
                status=exc.code,
            ) from None
        except TimeoutError as exc:
            raise FetchFailed(
                f"{url} did not answer within {self.timeout_s:g} s",
                hint="try again later or raise NEWSDESK_INGEST_TIMEOUT_S",
            ) from exc
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise FetchFailed(
                    f"{url} did not answer within {self.timeout_s:g} s",
                    hint="try again later or raise NEWSDESK_INGEST_TIMEOUT_S",
                ) from exc
            raise FetchFailed(f"Cannot reach {url} ({reason})", hint="check the address and network") from exc
        except (OSError, http.client.HTTPException) as exc:  # reset, truncated body, ...
            raise FetchFailed(f"Cannot fetch {url} ({exc})", hint="check the address and network") from exc
