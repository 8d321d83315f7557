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
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from index.manifest import is_stub
from index.models import Document

if TYPE_CHECKING:
    from index.catalog import Catalog

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
    cache: Catalog | None = None,
    read_texts: TextReader | None = None,
) -> dict[str, np.ndarray]:
    """doc_id -> MinHash values (uint32). With ``cache`` (the index catalog), values of texts
    hashed in an earlier build are reused (keyed by a hash of the text), so a build hashes only
    new text, and the values of new text are stored there (with their LSH band keys).

    ``docs`` may hold stubs (documents the build did not read, ``index.manifest.is_stub``): their
    values come from the cache by doc id and content hash, or else from their text as
    ``read_texts`` returns it (the stored text); so an in-place update compares the articles it
    adds with every article, read or not."""
    from datasketch import MinHash

    keys = {d.doc_id: _text_key(d.text) for d in docs if not is_stub(d)}
    by_doc: dict[str, tuple[str, str, np.ndarray]] = {}
    by_key: dict[str, np.ndarray] = {}
    if cache is not None:
        cache.signature_tag(_cache_tag(num_perm, shingle_words))
        everything = len(docs) > 2 * _QUERY_ALL  # one read of every row beats many lookups
        by_doc, by_key = cache.signatures(None if everything else [d.doc_id for d in docs], list(keys.values()))
    template = MinHash(num_perm=num_perm, seed=1)  # permutations made once, shared
    out: dict[str, np.ndarray] = {}
    new_rows: dict[str, tuple[str, str, np.ndarray]] = {}  # rows the cache lacks

    def hashed(doc: Document, text: str, key: str) -> None:
        values = by_key.get(key)
        if values is None:
            grams = shingles(text, shingle_words)
            if not grams:
                return
            sig = MinHash(num_perm=num_perm, seed=1, permutations=template.permutations, scheme=template.scheme)
            sig.update_batch(list(grams))
            values = by_key[key] = np.asarray(sig.hashvalues, dtype=np.uint32)
        out[doc.doc_id] = values
        if by_doc.get(doc.doc_id, ("", ""))[:2] != (doc.content_hash, key):
            new_rows[doc.doc_id] = (doc.content_hash, key, values)

    unread: list[Document] = []
    for doc in docs:
        if not is_stub(doc):
            hashed(doc, doc.text, keys[doc.doc_id])
            continue
        content, key, values = by_doc.get(doc.doc_id, ("", "", None))
        if content and content == doc.content_hash and values is not None:
            out[doc.doc_id] = values
        else:
            unread.append(doc)
    if unread and read_texts is not None:
        texts = read_texts([d.doc_id for d in unread])
        for doc in unread:
            if doc.doc_id in texts:
                hashed(doc, texts[doc.doc_id], _text_key(texts[doc.doc_id]))
    if cache is not None:
        cache.put_signatures(new_rows, band_ranges(num_perm))
    return out


_QUERY_ALL = 1000


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _cache_tag(num_perm: int, shingle_words: int) -> str:
    from datasketch import MinHash

    return f"v3-{MinHash(num_perm=1, seed=1).scheme}-{num_perm}-{shingle_words}-{THRESHOLD}"


@functools.cache
def _lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) for the LSH: datasketch derives them by numerical integration in every
    ``MinHashLSH(threshold=...)`` (~25 ms, each build); computed once per process instead."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def band_ranges(num_perm: int = NUM_PERM, threshold: float = THRESHOLD) -> list[tuple[int, int]]:
    """(start, end) of each LSH band, as datasketch's ``MinHashLSH`` cuts them: two documents
    are candidates when all values of one band are equal."""
    bands, rows = _lsh_params(threshold, num_perm)
    return [(b * rows, (b + 1) * rows) for b in range(bands)]


def duplicate_clusters(
    docs: Sequence[Document],
    *,
    threshold: float = THRESHOLD,
    num_perm: int = NUM_PERM,
    shingle_words: int = SHINGLE_WORDS,
    cache: Catalog | None = None,
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


def similar(matrix: np.ndarray, row: np.ndarray, *, threshold: float = THRESHOLD) -> np.ndarray:
    """Which rows of ``matrix`` (MinHash values) are near-duplicates of ``row``: as the LSH of a
    full build decides (``duplicate_clusters``), a candidate shares all values of one band and
    its estimated Jaccard similarity reaches ``threshold``."""
    if not len(matrix):
        return np.zeros(0, dtype=bool)
    equal = matrix == row
    candidate = np.zeros(len(matrix), dtype=bool)
    for start, end in band_ranges(len(row), threshold):
        candidate |= equal[:, start:end].all(axis=1)
    return candidate & (equal.mean(axis=1) >= threshold)


def near(
    values: dict[str, np.ndarray], doc_ids: Sequence[str], *, threshold: float = THRESHOLD
) -> dict[str, set[str]]:
    """Each of ``doc_ids`` -> the documents of ``values`` that are its near-duplicates
    (``similar``). An in-place update whose catalog is current looks the candidates up by band
    instead (``index.catalog.Catalog.band_candidates``), with the same result."""
    ids = list(values)
    if not ids:
        return {d: set() for d in doc_ids}
    matrix = np.stack([values[i] for i in ids])
    out: dict[str, set[str]] = {}
    for d in doc_ids:
        if d not in values:
            out[d] = set()
            continue
        found = np.nonzero(similar(matrix, values[d], threshold=threshold))[0]
        out[d] = {ids[j] for j in found} - {d}
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
        for b in np.nonzero(similar(matrix[a + 1 :], row, threshold=threshold))[0]
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


def with_duplicate_clusters(docs: Sequence[Document], *, cache: Catalog | None = None) -> list[Document]:
    """The documents with ``duplicate_cluster`` set (None where an article has no near-duplicate)."""
    clusters = duplicate_clusters(docs, cache=cache)
    return [replace(d, duplicate_cluster=clusters.get(d.doc_id)) for d in docs]
