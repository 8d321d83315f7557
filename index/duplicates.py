"""Near-duplicate articles (wire copy republished by several outlets), found at index time.

MinHash over word shingles with LSH (datasketch): each candidate pair from LSH is kept only if
its estimated Jaccard similarity reaches the threshold; kept pairs are joined into clusters
(union-find). A cluster's id is its smallest document id, stored in the document's metadata
(``duplicate_cluster``); articles with no near-duplicate have none. The parameters were chosen
on a synthetic wire-copy corpus (``python -m bench duplicates``; docs/news.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from index.models import Document

SHINGLE_WORDS = 3
NUM_PERM = 128
THRESHOLD = 0.3  # estimated Jaccard of word 3-shingles (measured: no pair of different articles > 0.12)
_WORD_RE = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    words = _WORD_RE.findall(text.casefold())
    if len(words) < size:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


def duplicate_clusters(
    docs: Sequence[Document],
    *,
    threshold: float = THRESHOLD,
    num_perm: int = NUM_PERM,
    shingle_words: int = SHINGLE_WORDS,
) -> dict[str, str]:
    """doc_id -> cluster id (smallest doc id of its cluster), for documents with a near-duplicate."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    sigs: dict[str, MinHash] = {}
    for doc in docs:
        grams = shingles(doc.text, shingle_words)
        if not grams:
            continue
        sig = MinHash(num_perm=num_perm, seed=1)
        sig.update_batch(list(grams))
        sigs[doc.doc_id] = sig
        lsh.insert(doc.doc_id, sig)
    parent = {doc_id: doc_id for doc_id in sigs}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for doc_id, sig in sigs.items():
        for other in lsh.query(sig):
            if other != doc_id and sig.jaccard(sigs[other]) >= threshold:
                a, b = root(doc_id), root(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    clusters: dict[str, list[str]] = {}
    for doc_id in sigs:
        clusters.setdefault(root(doc_id), []).append(doc_id)
    return {d: min(members) for members in clusters.values() if len(members) > 1 for d in members}


def with_duplicate_clusters(docs: Sequence[Document]) -> list[Document]:
    """The documents with ``duplicate_cluster`` set (None where an article has no near-duplicate)."""
    clusters = duplicate_clusters(docs)
    return [replace(d, duplicate_cluster=clusters.get(d.doc_id)) for d in docs]
