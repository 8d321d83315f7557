from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from answering.bm25 import BM25Index
from answering.retrieval import KeywordIndex
from answering.text import tokenize
from index.models import Chunk


def reference_bm25(texts: list[str], query: str, k1: float = 1.5, b: float = 0.75) -> list[float]:
    """Straightforward O(N * terms) BM25 with the same idf, to check the inverted index."""
    docs = [tokenize(t) for t in texts]
    avgdl = sum(map(len, docs)) / len(docs)
    n = len(docs)
    scores = []
    for doc in docs:
        counts = Counter(doc)
        score = 0.0
        for term, qtf in Counter(tokenize(query)).items():
            df = sum(1 for d in docs if term in d)
            if not df or term not in counts:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            tf = counts[term]
            score += qtf * idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(doc) / avgdl))
        scores.append(score)
    return scores


def test_matches_reference_implementation() -> None:
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(40)]
    texts = [" ".join(rng.choices(vocab, k=rng.randint(3, 30))) for _ in range(200)]
    index = BM25Index(texts)
    for query in ("w1 w2", "w3 w3 w7", "w39 w0 w5 w11"):
        expected = reference_bm25(texts, query)
        got = index.search(query, 200)
        assert got, query
        for i, score in got:
            assert score == pytest.approx(expected[i], rel=1e-4)
        # everything with a positive reference score is returned, best first
        assert {i for i, _ in got} == {i for i, s in enumerate(expected) if s > 0}
        assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)


def test_top_k_and_unknown_terms() -> None:
    index = BM25Index(["apple banana", "banana cherry", "cherry date", "date"])
    assert [i for i, _ in index.search("banana", 1)] in ([0], [1])
    assert index.search("zebra", 5) == []
    assert index.idf("zebra") == 0.0 and index.idf("banana") > 0
    assert BM25Index([]).search("banana", 3) == []


def test_weighted_terms_rank_synonym_lower() -> None:
    index = BM25Index(["they rejected it", "they denied it"])
    got = index.search_terms({"deny": 1.0, "reject": 0.5}, 2)
    assert [i for i, _ in got] == [1, 0]


def test_names_with_curly_apostrophes_are_found_by_keyword() -> None:
    texts = [
        "Kata’ib Hezbollah rejected any relevance.",
        "Spokesman General Saad Maan said.",
        "x y",
    ]
    chunks = [Chunk(f"d{i}:0", f"d{i}", 0, t, 0, len(t)) for i, t in enumerate(texts)]
    keyword = KeywordIndex("g1", chunks)
    assert keyword.search("Kata'ib Hezbollah", 3)[0].chunk.doc_id == "d0"
    assert keyword.search("kataib", 3)[0].chunk.doc_id == "d0"
    assert keyword.search("saad maan", 3)[0].chunk.doc_id == "d1"
