"""The persisted keyword index (index/keywords.py): bm25s base + scored delta + deletions."""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from pathlib import Path

import bm25s
import pytest

from answering.retrieval import keyword_terms
from index.keywords import (
    Entry,
    analyze,
    load_keywords,
    needs_compaction,
    update,
    write_base,
)


def reference_bm25(texts: list[str], query: str, k1: float = 1.5, b: float = 0.75) -> list[float]:
    """Straightforward O(N * terms) Lucene BM25 over every text, to check base + delta."""
    docs = [analyze(t) for t in texts]
    avgdl = sum(map(len, docs)) / len(docs)
    n = len(docs)
    scores = []
    for doc in docs:
        counts = Counter(doc)
        score = 0.0
        for term, qtf in Counter(analyze(query)).items():
            df = sum(1 for d in docs if term in d)
            if not df or term not in counts:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            tf = counts[term]
            score += qtf * idf * tf / (tf + k1 * (1 - b + b * len(doc) / avgdl))
        scores.append(score)
    return scores


def _texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(40)]
    return [" ".join(rng.choices(vocab, k=rng.randint(3, 30))) for _ in range(n)]


def test_base_matches_reference_bm25(tmp_path: Path) -> None:
    texts = _texts(200, 7)
    index = write_base(tmp_path, [Entry(f"r{i}", f"d{i}", t) for i, t in enumerate(texts)])
    for query in ("w1 w2", "w3 w3 w7", "w39 w0 w5 w11"):
        expected = reference_bm25(texts, query)
        got = index.search(Counter(analyze(query)), 200)
        assert got, query
        for rid, score in got:
            assert score == pytest.approx(expected[int(rid[1:])], rel=1e-4)
        assert {int(r[1:]) for r, _ in got} == {i for i, s in enumerate(expected) if s > 0}
        assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)


def test_an_update_is_scored_like_a_rebuild_and_deletions_are_gone(tmp_path: Path) -> None:
    texts = _texts(300, 3)
    base = write_base(tmp_path, [Entry(f"r{i}", f"d{i}", t) for i, t in enumerate(texts[:290])])
    added = [Entry(f"r{i}", f"d{i}", t) for i, t in enumerate(texts[290:], start=290)]
    index = update(tmp_path, base, added, ["d0", "d1"])
    loaded = load_keywords(tmp_path)  # what a serving process reads
    assert loaded is not None and loaded.revision == index.revision and loaded.size == 298
    live = {i: t for i, t in enumerate(texts) if i not in (0, 1)}
    for query in ("w1 w2", "w5 w9 w13"):
        got = dict(loaded.search(Counter(analyze(query)), 400))
        assert got and not {"r0", "r1"} & set(got)
        expected = reference_bm25(list(live.values()), query)
        by_id = {f"r{i}": s for i, s in zip(live, expected, strict=True)}
        # The base keeps its own statistics (within a few % of the whole corpus at this size);
        # a delta entry is scored with base + delta statistics.
        for rid, score in got.items():
            assert score == pytest.approx(by_id[rid], rel=0.05), rid
    assert not needs_compaction(loaded)


def test_top_k_unknown_terms_and_idf(tmp_path: Path) -> None:
    texts = ["apple banana", "banana cherry", "cherry date", "date"]
    index = write_base(tmp_path, [Entry(f"r{i}", f"d{i}", t) for i, t in enumerate(texts)])
    assert [r for r, _ in index.search({"banana": 1.0}, 1)] in (["r0"], ["r1"])
    assert index.search({"zebra": 1.0}, 5) == []
    assert index.idf("zebra") == 0.0 and index.idf("the") is None  # unused / a stop word
    assert index.idf("bananas") == index.idf("banana") > 0
    assert index.max_idf() > index.idf("apple")
    empty = write_base(tmp_path / "empty", [])
    assert empty.search({"banana": 1.0}, 3) == []


def test_names_with_curly_apostrophes_are_found(tmp_path: Path) -> None:
    texts = ["Kata’ib Hezbollah rejected any relevance.", "Spokesman General Saad Maan said.", "x y"]
    index = write_base(tmp_path, [Entry(f"d{i}:0@v", f"d{i}", t) for i, t in enumerate(texts)])

    def top(query: str) -> str:
        return index.search(keyword_terms(query), 3)[0][0]

    assert top("Kata'ib Hezbollah") == top("kataib") == "d0:0@v"
    assert top("saad maan") == "d1:0@v"
    assert top("who rejected it") == "d0:0@v"  # analysed like the index (stemmed, stop words out)
    weights = {**dict.fromkeys(analyze("rejected"), 0.5), **dict.fromkeys(analyze("said"), 1.0)}
    weighted = index.search(weights, 2)
    assert [r for r, _ in weighted] == ["d1:0@v", "d0:0@v"]


def test_compaction_is_due_once_the_delta_outgrows_the_base(tmp_path: Path) -> None:
    base = write_base(tmp_path, [Entry(f"r{i}", "d", "w") for i in range(10)])
    many = [Entry(f"n{i}", f"n{i}", "w x") for i in range(1001)]
    assert needs_compaction(update(tmp_path, base, many, []))
    revisions = sorted(p.name for p in (tmp_path / "revs").iterdir())
    assert revisions == ["r000001.json", "r000002.json"]  # older revisions are pruned


def test_postings_read_with_pread_score_exactly_like_bm25s_and_nothing_stays_mapped(tmp_path: Path) -> None:
    rng = random.Random(5)
    words = [f"w{i}" for i in range(60)]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(3, 40))) for _ in range(400)]
    index = write_base(tmp_path / "kw", [Entry(f"r{i}", f"d{i % 50}", t) for i, t in enumerate(texts)])
    queries = [[t for w in q for t in analyze(w)] for q in (["w1"], ["w2", "w3", "w2"], ["w5", "nope"], words)]
    ours = [index._term_scores(terms) for terms in queries]
    assert [r for r, _ in index.search({"w7": 1.0}, 3)][0].startswith("r")
    assert str(index._ids[399]) == "r399"
    # the queries above read postings with pread: no resident page of a postings file
    resident = _resident_kib(tmp_path / "kw") if Path("/proc/self/smaps").exists() else {}
    postings = {name: kib for name, kib in resident.items() if "csc.index" in name or "ids.npy" in name}
    touched = {name: kib for name, kib in postings.items() if kib}
    assert not touched, touched
    reference = bm25s.BM25.load(str(tmp_path / "kw" / "bases" / index.base_name), mmap=True, verbosity=0)
    for terms, got in zip(queries, ours, strict=True):
        assert (got == reference.get_scores(terms)).all()  # bit for bit bm25s' own scores


def _resident_kib(folder: Path) -> dict[str, int]:
    """Resident KiB of this process's mappings of files under ``folder`` (from /proc/self/smaps)."""
    out: dict[str, int] = {}
    current = None
    for line in Path("/proc/self/smaps").read_text().splitlines():
        parts = line.split()
        if parts and re.fullmatch(r"[0-9a-f]+-[0-9a-f]+", parts[0]):  # a mapping's header line
            # anonymous mappings have no path (5 fields): they must not count for the file before
            current = parts[5] if len(parts) >= 6 and parts[5].startswith(str(folder)) else None
        elif current and parts and parts[0] == "Rss:":
            out[current] = out.get(current, 0) + int(parts[1])
    return out
