"""Fetched articles as reviewable ``.jsonl`` files in the corpus folder, written atomically.

One file per article under ``<corpus>/ingested/`` (``web-<hash>.jsonl``, one JSON line the
corpus loader reads): easy to review, edit or delete, and a half-written file never exists (a
hidden temporary file, fsynced, then renamed). An article is known by the address it was asked
for and by its canonical address; either one seen before means it is not a new article.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ingest.extract import Article

log = logging.getLogger(__name__)

INGEST_FOLDER = "ingested"
_TRACKING_PREFIXES = ("utm_",)  # campaign tags: the same article behind different links


def normalize_url(url: str) -> str:
    """Scheme and host lower-case, no fragment, no utm_* tags, no trailing slash on the path."""
    parts = urlsplit(url.strip())
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode([(k, v) for k, v in pairs if not k.startswith(_TRACKING_PREFIXES)])
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def doc_id_for(url: str) -> str:
    return "web-" + hashlib.sha256(normalize_url(url).encode("utf-8")).hexdigest()[:16]


class IngestFolder:
    """The ``ingested/`` folder of a corpus: which URLs it has, and adding one article."""

    def __init__(self, corpus_dir: Path) -> None:
        self.corpus_dir = Path(corpus_dir)
        self.path = self.corpus_dir / INGEST_FOLDER
        self._known: set[str] | None = None

    def known_urls(self) -> set[str]:
        if self._known is None:
            known: set[str] = set()
            for file in sorted(self.path.glob("*.jsonl")) if self.path.is_dir() else []:
                try:
                    lines = file.read_text("utf-8").splitlines()
                except (OSError, UnicodeDecodeError) as exc:
                    log.warning("cannot read %s (%s): its URL is not known", file, exc)
                    continue
                for line in lines:
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    if isinstance(record, dict):
                        known.update(
                            normalize_url(str(record[k])) for k in ("url", "fetched_url") if record.get(k)
                        )
            self._known = known
        return self._known

    def has(self, url: str) -> bool:
        return normalize_url(url) in self.known_urls()

    def add(self, article: Article, fetched_url: str) -> tuple[str, Path]:
        """Write one article; returns (doc id, file). Atomic: the file is complete or absent."""
        doc_id = doc_id_for(article.url)
        record: dict[str, str] = dict(article.to_record(doc_id))
        if normalize_url(fetched_url) != normalize_url(article.url):
            record["fetched_url"] = fetched_url
        self.path.mkdir(parents=True, exist_ok=True)
        target = self.path / f"{doc_id}.jsonl"
        fd, tmp = tempfile.mkstemp(prefix=f".{doc_id}.", suffix=".tmp", dir=self.path)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.known_urls().update({normalize_url(article.url), normalize_url(fetched_url)})
        return doc_id, target
