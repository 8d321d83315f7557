"""Load a corpus folder into cleaned ``Document`` objects.

Formats: ``.txt``, ``.md``, ``.html``/``.htm`` (text extracted, scripts, styles and hidden
elements dropped) and ``.jsonl`` (one article per line: ``id``, ``title``, ``text``, optional
``url``, ``published``, ``source``, ``author``). Metadata is only what the input states: HTML
``<title>``, OpenGraph, ``article:published_time`` and JSON-LD (via trafilatura's metadata
extraction), front matter or a leading dateline (``date 2021-11-07``) in text files. A bad file
or line is skipped with a warning naming it; the rest is loaded. Document id = file stem
(``.jsonl``: the ``id`` field); on duplicate ids the first (in sorted path order) wins.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from index.chunking import sentence_spans
from index.cleaning import clean_line, clean_text
from index.corpus_files import Refused, printable, read_bounded, scan_corpus
from index.html_text import html_to_article
from index.models import Document
from newsdesk.errors import CorpusError

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl")
MAX_FILE_BYTES = 50 * 1024 * 1024
TITLE_MAX_CHARS = 100  # derived titles are shortened to this
HEADLINE_MAX_CHARS = 160  # a first line this short (no final period) is taken as the headline

_DATE_PREFIX_RE = re.compile(
    r"^\s*(?:date|published|dated)\s*[:\-]?\s*(\d{4}-\d{2}-\d{2})\b\s*", re.I
)
_FRONT_MATTER_RE = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_MD_HEADING_RE = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)


@dataclass(slots=True)
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # paths of files skipped entirely

    def warn(self, message: str) -> None:
        message = printable(message)  # file names must not write to the terminal
        log.warning("%s", message)
        self.warnings.append(message)


def content_hash(doc: Document) -> str:
    """Hash of everything stored for a document: decides whether it is rebuilt."""
    fields: list[str | None] = [doc.doc_id, doc.title, doc.text, doc.url, doc.published, doc.source]
    if doc.author:  # appended only when present: hashes of articles without one are unchanged
        fields.append(doc.author)
    payload = json.dumps(fields, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def make_document(
    doc_id: str,
    title: str,
    text: str,
    *,
    url: str | None = None,
    published: str | None = None,
    source: str | None = None,
    path: str | None = None,
    author: str | None = None,
) -> Document:
    """Build a Document whose ``content_hash`` is filled in (inputs must be clean already)."""
    doc = Document(
        doc_id,
        title,
        text,
        url or None,
        published or None,
        source or None,
        path,
        author=author or None,
    )
    return replace(doc, content_hash=content_hash(doc))


def derive_title(text: str, fallback: str) -> str:
    """A title for plain text: a headline-like first line, a "Topic: ..." prefix, or the
    first sentence shortened at a word boundary."""
    first_line = text.split("\n", 1)[0].strip()
    has_more = "\n" in text.strip()
    if not first_line:
        return fallback
    # A headline: short, no sentence-final period, followed by more text.
    if (
        has_more
        and len(first_line) <= HEADLINE_MAX_CHARS
        and not first_line.endswith((".", ",", ";"))
    ):
        return first_line
    # "Iraq PM assassination attempt: Iraq's Prime Minister ..." -> the topic before the colon.
    head, sep, _ = first_line.partition(": ")
    if sep and 2 <= len(head.split()) <= 12 and len(head) <= 80:
        return head
    spans = sentence_spans(first_line)
    sentence = first_line[spans[0][0] : spans[0][1]] if spans else first_line
    return shorten(sentence.rstrip("."), TITLE_MAX_CHARS)


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:—-") + "…"


def _humanize(doc_id: str) -> str:
    return doc_id.replace("_", " ").replace("-", " ").strip() or doc_id


def _parse_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Simple ``key: value`` front matter between ``---`` lines (no YAML dependency)."""
    match = _FRONT_MATTER_RE.match(text)
    if not match:
        return {}, text
    meta: dict[str, str] = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta, text[match.end() :]


def _iso_date(value: str | None) -> str | None:
    """Keep the date part of an ISO timestamp; anything else is kept as given."""
    if not value:
        return None
    value = clean_line(str(value))
    match = re.match(r"\d{4}-\d{2}-\d{2}", value)
    return match.group(0) if match else (value or None)


def _read_text(path: Path, result: LoadResult, root: Path | None = None) -> str | None:
    """Read a file as UTF-8 text through the corpus gate, or warn and return None."""
    try:
        data = read_bounded(path, MAX_FILE_BYTES, root=root)
    except Refused as exc:
        result.warn(f"Skipped {path}: {exc.reason}")
        return None
    except OSError as exc:
        result.warn(f"Skipped {path}: cannot read it ({exc.strerror or exc})")
        return None
    if b"\x00" in data:
        result.warn(f"Skipped {path}: binary file (contains NUL bytes)")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        result.warn(f"Skipped {path}: not UTF-8 text (invalid byte at offset {exc.start})")
        return None


def _load_plain(path: Path, raw: str, markdown: bool) -> Document | None:
    meta, body = _parse_front_matter(raw.replace("\r\n", "\n"))
    text = clean_text(body)
    published = _iso_date(meta.get("date") or meta.get("published"))
    match = _DATE_PREFIX_RE.match(text)
    if match:  # " date 2021-11-07 Headline: ..." export noise: keep the date, drop the noise
        published = published or match.group(1)
        text = text[match.end() :]
    if not text:
        return None
    title = clean_line(meta.get("title", ""))
    if markdown and not title:
        heading = _MD_HEADING_RE.search(text)
        if heading and heading.start() == 0:
            title = clean_line(heading.group(1))
    if not title:
        title = derive_title(text, _humanize(path.stem))
    return make_document(
        path.stem,
        title,
        text,
        url=meta.get("url"),
        published=published,
        source=meta.get("source"),
        path=str(path),
        author=meta.get("author"),
    )


def html_metadata(raw: str, url: str | None = None) -> dict[str, str]:
    """title, published, source, author, url as the page states them (JSON-LD, OpenGraph,
    ``<meta>``, ``<title>``) via trafilatura; a field the page does not state is absent."""
    from trafilatura import extract_metadata

    # No guessing from the page text or the URL: a date is taken only from markup.
    meta = extract_metadata(
        raw,
        default_url=url,
        date_config={"extensive_search": False, "original_date": True},
        extensive=False,
    )
    found = {
        "title": meta.title,
        "published": meta.date,
        "source": meta.sitename,
        "author": meta.author,
        "url": meta.url,
    }
    return {k: clean_line(str(v)) for k, v in found.items() if v and clean_line(str(v))}


def html_fields(raw: str, url: str | None = None) -> dict[str, str]:
    """title, published (ISO date), source, author and url of an HTML article, as stated.

    The title is OpenGraph's or ``<title>`` without a trailing " | Site name", else what
    trafilatura finds (JSON-LD headline, ``<h1>``); the rest from JSON-LD/OpenGraph/``<meta>``.
    """
    article = html_to_article(raw)
    meta = html_metadata(raw, url)
    source = meta.get("source") or clean_line(article.source or "") or None
    fields = {
        "title": strip_site_name(clean_line(article.title or ""), source) or meta.get("title"),
        "published": _iso_date(meta.get("published") or article.published),  # JSON-LD, <meta> first
        "source": source,
        "author": meta.get("author"),
        "url": clean_line(article.url or "") or meta.get("url"),
    }
    return {k: v for k, v in fields.items() if v}


def _load_html(path: Path, raw: str) -> Document | None:
    text = clean_text(html_to_article(raw).text)
    if not text:
        return None
    meta = html_fields(raw)
    return make_document(
        path.stem,
        meta.get("title") or derive_title(text, _humanize(path.stem)),
        text,
        url=meta.get("url"),
        published=meta.get("published"),
        source=meta.get("source"),
        path=str(path),
        author=meta.get("author"),
    )


def strip_site_name(title: str, site: str | None) -> str:
    """'Barge hits pier | The Daily Planet' -> 'Barge hits pier' when the site is known."""
    if site and title.lower().endswith(site.lower()):
        head = title[: len(title) - len(site)].rstrip()
        for sep in ("|", "-", "\u2013", "\u2014", ":", "\u00b7"):
            if head.endswith(sep) and head[: -len(sep)].strip():
                return head[: -len(sep)].strip()
    return title


def _str_field(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _load_jsonl(path: Path, raw: str, result: LoadResult) -> list[Document]:
    docs: list[Document] = []
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            result.warn(f"Skipped {where}: invalid JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict):
            result.warn(f"Skipped {where}: expected a JSON object")
            continue
        missing = [k for k in ("id", "title", "text") if not _str_field(obj, k)]
        if missing:
            result.warn(f"Skipped {where}: missing {', '.join(missing)}")
            continue
        doc_id = clean_line(_str_field(obj, "id") or "")
        text = clean_text(_str_field(obj, "text") or "")
        if not doc_id or not text:
            result.warn(f"Skipped {where}: empty id or text after cleaning")
            continue
        title = clean_line(_str_field(obj, "title") or "") or derive_title(text, doc_id)
        url = _str_field(obj, "url")
        source = _str_field(obj, "source")
        author = _str_field(obj, "author")
        docs.append(
            make_document(
                doc_id,
                title,
                text,
                url=clean_line(url) if url else None,
                published=_iso_date(_str_field(obj, "published")),
                source=clean_line(source) if source else None,
                path=str(path),
                author=clean_line(author) if author else None,
            )
        )
    return docs


def load_file(path: Path, result: LoadResult, root: Path | None = None) -> list[Document]:
    """Load one file (``root``: the corpus folder it must stay inside); problems become
    warnings in ``result``."""
    raw = _read_text(path, result, root)
    if raw is None:
        result.skipped.append(str(path))
        return []
    suffix = path.suffix.lower()
    try:
        if suffix == ".jsonl":
            docs = _load_jsonl(path, raw, result)
        elif suffix in (".html", ".htm"):
            doc = _load_html(path, raw)
            docs = [doc] if doc else []
        else:
            doc = _load_plain(path, raw, markdown=suffix in (".md", ".markdown"))
            docs = [doc] if doc else []
    except Exception as exc:  # a parser bug on one odd file must not stop the build
        log.debug("loader failed on %s", path, exc_info=True)
        result.warn(f"Skipped {path}: could not parse it ({type(exc).__name__}: {exc})")
        result.skipped.append(str(path))
        return []
    if not docs:
        result.warn(f"Skipped {path}: no text after cleaning (empty file?)")
        result.skipped.append(str(path))
    return docs


def iter_corpus_files(corpus_dir: Path) -> list[Path]:
    """Indexable files under ``corpus_dir`` (recursively, sorted, hidden files ignored) that
    pass the corpus gate (``index.corpus_files``: regular files inside the folder, clean names)."""
    return scan_corpus(corpus_dir, SUFFIXES).files


def load_corpus(corpus_dir: Path) -> LoadResult:
    """Load every article under ``corpus_dir``. Raises CorpusError if the folder is missing."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.exists():
        raise CorpusError(
            f"Corpus folder not found: {corpus_dir}",
            hint="pass --corpus DIR or set NEWSDESK_CORPUS_DIR to a folder of "
            ".txt/.md/.html/.jsonl files",
        )
    if not corpus_dir.is_dir():
        raise CorpusError(
            f"Corpus path is not a folder: {corpus_dir}",
            hint="pass --corpus DIR with a folder of .txt/.md/.html/.jsonl files",
        )
    result = LoadResult()
    seen: dict[str, str] = {}
    scan = scan_corpus(corpus_dir, SUFFIXES)
    for path, reason in scan.refused:
        result.warn(f"Skipped {path}: {reason}")
        result.skipped.append(str(path))
    for path in scan.files:
        add_unique(result, seen, path, load_file(path, result, corpus_dir))
    return result


def add_unique(result: LoadResult, seen: dict[str, str], path: Path, docs: list[Document]) -> None:
    """Append ``docs`` (read from ``path``) to ``result``; an id already read (``seen``: id ->
    the file it came from) is warned about and the first one kept."""
    for doc in docs:
        if doc.doc_id in seen:
            result.warn(
                f"Duplicate document id {doc.doc_id!r} in {path}: keeping the one from "
                f"{seen[doc.doc_id]}"
            )
            continue
        seen[doc.doc_id] = str(path)
        result.documents.append(doc)
