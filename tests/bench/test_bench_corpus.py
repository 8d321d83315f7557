"""The synthetic corpus: deterministic, realistic in shape, and readable by the index loaders."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bench.corpus import (
    estimate_chunks,
    generate_article,
    generate_articles,
    write_corpus,
)

# Seeds 3 and 7 only (as the other bench tests): each seed's vocabulary takes ~0.3 s to
# generate and is cached per process (bench.vocab), so every new seed costs the fast tier time.


def test_same_seed_same_articles() -> None:
    a = [x.to_json() for x in generate_articles(5, seed=3)]
    b = [x.to_json() for x in generate_articles(5, seed=3)]
    assert a == b


def test_different_seed_different_articles() -> None:
    assert generate_article(0, seed=3).text != generate_article(0, seed=7).text


def test_article_depends_only_on_seed_and_index() -> None:
    # A bigger corpus starts with the same articles as a smaller one.
    small = [x.text for x in generate_articles(3, seed=3)]
    big = [x.text for x in generate_articles(10, seed=3)]
    assert big[:3] == small
    assert generate_article(7, seed=3).text == big[7]


def test_articles_look_like_news() -> None:
    arts = list(generate_articles(40, seed=3))
    lengths = [len(a.text) for a in arts]
    assert min(lengths) >= 2000 and max(lengths) <= 7000
    joined = "\n".join(a.text for a in arts)
    assert "\u201c" in joined  # direct quotes
    assert re.search(r"\b(19|20)\d\d\b", joined)  # years in dates
    assert re.search(r"\d[\d,.]* (percent|people)", joined)  # numbers
    assert all(re.match(r"\d{4}-\d\d-\d\d$", a.published) for a in arts)
    assert len({a.id for a in arts}) == len(arts)


def test_vocabulary_is_large() -> None:
    words: set[str] = set()
    for art in generate_articles(100, seed=3):
        words.update(w.strip(".,\u201c\u201d").lower() for w in art.text.split())
    assert len(words) > 4500  # BM25 needs realistic document frequencies


def test_estimate_chunks() -> None:
    assert estimate_chunks(300, 500, 100) == 1
    assert estimate_chunks(900, 500, 100) == 2
    assert estimate_chunks(901, 500, 100) == 3


def test_write_corpus_jsonl(tmp_path: Path) -> None:
    files = write_corpus(tmp_path / "c", 12, seed=3)
    rows = [json.loads(line) for f in files for line in f.read_text("utf-8").splitlines()]
    assert len(rows) == 12
    assert set(rows[0]) == {"id", "title", "text", "url", "published", "source"}
    # Rewriting with fewer articles leaves exactly that corpus.
    write_corpus(tmp_path / "c", 3, seed=3)
    again = [
        line
        for f in sorted((tmp_path / "c").glob("part-*.jsonl"))
        for line in f.read_text("utf-8").splitlines()
    ]
    assert len(again) == 3


def test_index_loader_reads_generated_corpus(tmp_path: Path) -> None:
    from index.loaders import load_corpus

    write_corpus(tmp_path / "c", 5, seed=7)
    loaded = load_corpus(tmp_path / "c")
    assert [d.doc_id for d in loaded.documents] == [f"syn-{i:06d}" for i in range(5)]
    assert not loaded.skipped
