"""Near-duplicate articles (wire copy republished by several outlets), found at index time.

MinHash over word shingles with LSH (datasketch): each candidate pair from LSH is kept only if
its estimated Jaccard similarity reaches the threshold; kept pairs are joined into clusters
(union-find). A cluster's id is its smallest document id, stored in the document's metadata
(``duplicate_cluster``); articles with no near-duplicate have none. The parameters were chosen
on a synthetic wire-copy corpus (``python -m bench duplicates``; docs/news.md).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from index.manifest import is_stub
from index.models import Document

log = logging.getLogger(__name__)

SHINGLE_WORDS = 3
NUM_PERM = 128
THRESHOLD = 0.3  # estimated Jaccard of word 3-shingles (measured: no pair of different articles > 0.12)
_WORD_RE = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    words = _WORD_RE.findall(text.casefold())
    if len(words) < size:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


TextReader = Callable[[Sequence[str]], dict[str, str]]  # doc ids -> stored texts


def signatures(
    docs: Sequence[Document],
    *,
    num_perm: int = NUM_PERM,
    shingle_words: int = SHINGLE_WORDS,
    cache: Path | None = None,
    read_texts: TextReader | None = None,
) -> dict[str, np.ndarray]:
    """doc_id -> MinHash values (uint32). With ``cache`` (a file), values of texts hashed in an
    earlier build are reused (keyed by a hash of the text), so a build hashes only new text.

    ``docs`` may hold stubs (documents the build did not read, ``index.manifest.is_stub``): their
    values come from the cache by doc id and content hash, or else from their text as
    ``read_texts`` returns it (the stored text); so an in-place update compares the articles it
    adds with every article, read or not."""
    from datasketch import MinHash

    by_key, by_doc = _load_cache(cache, num_perm, shingle_words) if cache is not None else ({}, {})
    template = MinHash(num_perm=num_perm, seed=1)  # permutations made once, shared
    out: dict[str, np.ndarray] = {}
    rows: dict[str, tuple[str, str, np.ndarray]] = {}  # doc_id -> (content hash, text key, values)
    unread: list[Document] = []

    def hashed(doc: Document, text: str) -> None:
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
        values = by_key.get(key)
        if values is None:
            grams = shingles(text, shingle_words)
            if not grams:
                return
            sig = MinHash(num_perm=num_perm, seed=1, permutations=template.permutations, scheme=template.scheme)
            sig.update_batch(list(grams))
            values = by_key[key] = np.asarray(sig.hashvalues, dtype=np.uint32)
        out[doc.doc_id] = values
        rows[doc.doc_id] = (doc.content_hash, key, values)

    for doc in docs:
        if not is_stub(doc):
            hashed(doc, doc.text)
            continue
        content, key = by_doc.get(doc.doc_id, ("", ""))
        if content and content == doc.content_hash and key in by_key:
            out[doc.doc_id] = by_key[key]
            rows[doc.doc_id] = (content, key, by_key[key])
        else:
            unread.append(doc)
    if unread and read_texts is not None:
        texts = read_texts([d.doc_id for d in unread])
        for doc in unread:
            if doc.doc_id in texts:
                hashed(doc, texts[doc.doc_id])
    if cache is not None and {d: (c, k) for d, (c, k, _) in rows.items()} != by_doc:
        _save_cache(cache, rows, num_perm, shingle_words)
    return out


def _cache_tag(num_perm: int, shingle_words: int) -> str:
    from datasketch import MinHash

    return f"v2-{MinHash(num_perm=1, seed=1).scheme}-{num_perm}-{shingle_words}"


def _load_cache(
    path: Path, num_perm: int, shingle_words: int
) -> tuple[dict[str, np.ndarray], dict[str, tuple[str, str]]]:
    """(text key -> values, doc_id -> (content hash, text key)); empty if missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["tag"]) != _cache_tag(num_perm, shingle_words):
                return {}, {}
            keys = [str(k) for k in data["keys"]]
            by_key = dict(zip(keys, data["values"], strict=True))
            by_doc = {
                str(d): (str(c), k) for d, c, k in zip(data["ids"], data["hashes"], keys, strict=True)
            }
            return by_key, by_doc
    except (OSError, KeyError, ValueError) as exc:  # missing or unreadable: recompute
        if path.exists():
            log.warning("ignoring unreadable near-duplicate cache %s (%s)", path, exc)
        return {}, {}


def _save_cache(
    path: Path, rows: dict[str, tuple[str, str, np.ndarray]], num_perm: int, shingle_words: int
) -> None:
    """One row per document (doc id, content hash, text key, values); atomic: a temporary file
    in the same folder, then a rename."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ordered = sorted(rows.items())
        values = np.stack([v for _, (_, _, v) in ordered]) if ordered else np.zeros((0, num_perm), np.uint32)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as out:
            np.savez(
                out,
                tag=_cache_tag(num_perm, shingle_words),
                ids=np.array([d for d, _ in ordered], dtype=str),
                hashes=np.array([c for _, (c, _, _) in ordered], dtype=str),
                keys=np.array([k for _, (_, k, _) in ordered], dtype=str),
                values=values,
            )
        os.replace(tmp, path)
    except OSError as exc:  # a cache: failing to write it costs time next build, nothing else
        log.warning("could not write the near-duplicate cache %s (%s)", path, exc)


@functools.cache
def _lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) for the LSH: datasketch derives them by numerical integration in every
    ``MinHashLSH(threshold=...)`` (~25 ms, each build); computed once per process instead."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def duplicate_clusters(
    docs: Sequence[Document],
    *,
    threshold: float = THRESHOLD,
    num_perm: int = NUM_PERM,
    shingle_words: int = SHINGLE_WORDS,
    cache: Path | None = None,
    read_texts: TextReader | None = None,
) -> dict[str, str]:
    """doc_id -> cluster id (smallest doc id of its cluster), for documents with a near-duplicate.
    ``docs`` may hold stubs (see ``signatures``)."""
    from datasketch import LeanMinHash, MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, params=_lsh_params(threshold, num_perm))
    values = signatures(
        docs, num_perm=num_perm, shingle_words=shingle_words, cache=cache, read_texts=read_texts
    )
    scheme = MinHash(num_perm=1, seed=1).scheme  # the cache tag pins the datasketch version's scheme
    sigs = {doc_id: LeanMinHash(seed=1, hashvalues=v, scheme=scheme) for doc_id, v in values.items()}
    with lsh.insertion_session() as session:
        for doc_id, sig in sigs.items():
            session.insert(doc_id, sig)
    pairs = (
        (doc_id, other)
        for doc_id, sig in sigs.items()
        for other in lsh.query(sig)
        if other != doc_id and float(np.mean(values[doc_id] == values[other])) >= threshold
    )
    return _grouped(sigs, pairs)


def near(
    values: dict[str, np.ndarray], doc_ids: Sequence[str], *, threshold: float = THRESHOLD
) -> dict[str, set[str]]:
    """Each of ``doc_ids`` -> the documents whose estimated Jaccard similarity with it reaches
    ``threshold``, compared with every document of ``values`` (no LSH: for the few articles an
    in-place update adds, one vectorised comparison per article is cheaper than an LSH index
    over the whole archive, ~10 ms per article at 100k documents)."""
    ids = list(values)
    if not ids:
        return {d: set() for d in doc_ids}
    matrix = np.stack([values[i] for i in ids])
    out: dict[str, set[str]] = {}
    for d in doc_ids:
        if d not in values:
            out[d] = set()
            continue
        similar = np.nonzero((matrix == values[d]).mean(axis=1) >= threshold)[0]
        out[d] = {ids[j] for j in similar} - {d}
    return out


def components(
    members: Sequence[str], values: dict[str, np.ndarray], *, threshold: float = THRESHOLD
) -> dict[str, str]:
    """doc_id -> group id (its smallest member) for ``members`` in a group of two or more,
    comparing every pair (for the few documents of the groups an update touches)."""
    ids = sorted(m for m in set(members) if m in values)
    if not ids:
        return {}
    matrix = np.stack([values[i] for i in ids])
    pairs = (
        (ids[a], ids[a + 1 + int(b)])
        for a, row in enumerate(matrix)
        for b in np.nonzero((matrix[a + 1 :] == row).mean(axis=1) >= threshold)[0]
    )
    return _grouped(ids, pairs)


def _grouped(ids: Iterable[str], pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """doc_id -> its group's smallest doc id, for the groups of two or more that the similar
    ``pairs`` join (union-find over ``ids``)."""
    parent = {i: i for i in ids}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        x, y = root(a), root(b)
        if x != y:
            parent[max(x, y)] = min(x, y)
    groups: dict[str, list[str]] = {}
    for i in parent:
        groups.setdefault(root(i), []).append(i)
    return {d: min(g) for g in groups.values() if len(g) > 1 for d in g}


def with_duplicate_clusters(docs: Sequence[Document], *, cache: Path | None = None) -> list[Document]:
    """The documents with ``duplicate_cluster`` set (None where an article has no near-duplicate)."""
    clusters = duplicate_clusters(docs, cache=cache)
    return [replace(d, duplicate_cluster=clusters.get(d.doc_id)) for d in docs]
