"""`python -m bench.duplicates`: choose the near-duplicate parameters on a synthetic wire-copy corpus.

Base articles: the shipped corpus (five reports of ONE event by different outlets, sharing
quotes: the hard negatives) plus the saved news pages of tests/ingest/pages. Each base is
republished the way outlets carry wire copy: verbatim with the outlet's own header and footer,
trimmed to its first paragraphs, lightly edited (a paragraph dropped, words changed, a local
paragraph added), and cut to a short brief. Variants of one base are duplicates; everything
else is not. Prints pairwise precision/recall/F1 and the time per document for each setting.
"""

from __future__ import annotations

import itertools
import random
import sys
import time
from pathlib import Path

from index.duplicates import duplicate_clusters
from index.loaders import load_corpus, make_document
from index.models import Document

REPO = Path(__file__).resolve().parent.parent
OUTLETS = ["Harbor Ledger", "Capital Post", "Valley Courier", "Metro Wire", "Daily Tribune"]


def base_texts() -> list[str]:
    from ingest.extract import extract_article
    from ingest.fetch import IngestError

    texts = [d.text for d in load_corpus(REPO / "corpus").documents]
    for page in sorted((REPO / "tests/ingest/pages").glob("*.html")):
        try:
            texts.append(extract_article(page.read_text("utf-8"), f"http://x/{page.stem}").text)
        except IngestError:
            continue  # the paywall stub
    return texts


def variants(text: str, rng: random.Random) -> list[tuple[str, str]]:
    paras = [p for p in text.split("\n") if p.strip()]
    outlet = rng.choice(OUTLETS)
    header = f"{outlet} staff and wire reports"
    footer = f"This story was carried from a wire service by {outlet}. Follow us for more news."
    n = len(paras)
    keep = max(1, round(n * 0.6))
    brief = max(1, round(n * 0.35))
    edited = list(paras)
    if n > 3:
        edited.pop(rng.randrange(1, n))
    words = " ".join(edited).split(" ")
    vocab = sorted(set(words))
    for _ in range(max(1, len(words) // 20)):  # 5% of the words changed
        words[rng.randrange(len(words))] = rng.choice(vocab)
    local = f"Local officials in {outlet.split()[0]} said they were following the situation closely."
    return [
        ("verbatim+frame", "\n".join([header, *paras, footer])),
        ("trimmed-60%", "\n".join([*paras[:keep], footer])),
        ("edited", " ".join(words) + "\n" + local),
        ("brief-35%", "\n".join(paras[:brief])),
    ]


def corpus(seed: int = 7) -> tuple[list[Document], dict[str, int]]:
    rng = random.Random(seed)
    docs: list[Document] = []
    truth: dict[str, int] = {}
    for b, text in enumerate(base_texts()):
        doc_id = f"b{b:02d}-original"
        docs.append(make_document(doc_id, doc_id, text))
        truth[doc_id] = b
        for kind, variant in variants(text, rng):
            doc_id = f"b{b:02d}-{kind}"
            docs.append(make_document(doc_id, doc_id, variant))
            truth[doc_id] = b
    return docs, truth


def score(clusters: dict[str, str], truth: dict[str, int]) -> tuple[float, float, float, dict[str, int]]:
    tp = fp = fn = 0
    missed: dict[str, int] = {}
    for a, b in itertools.combinations(sorted(truth), 2):
        same = truth[a] == truth[b]
        found = a in clusters and clusters.get(a) == clusters.get(b)
        tp += same and found
        fp += (not same) and found
        if same and not found:
            fn += 1
            for kind in (a.split("-", 1)[1], b.split("-", 1)[1]):
                missed[kind] = missed.get(kind, 0) + 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, missed


def main() -> None:
    docs, truth = corpus()
    bases = len(set(truth.values()))
    print(f"{len(docs)} documents, {bases} base articles x 5 versions; pairs: "
          f"{sum(1 for a, b in itertools.combinations(truth, 2) if truth[a] == truth[b])} duplicate, "
          f"{sum(1 for a, b in itertools.combinations(truth, 2) if truth[a] != truth[b])} not")
    print("| shingle words | threshold | precision | recall | F1 | ms/doc | missed pairs by version |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for size in (1, 3, 5):
        for threshold in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            started = time.perf_counter()
            clusters = duplicate_clusters(docs, threshold=threshold, shingle_words=size)
            ms = (time.perf_counter() - started) * 1000 / len(docs)
            p, r, f1, missed = score(clusters, truth)
            print(f"| {size} | {threshold} | {p:.3f} | {r:.3f} | {f1:.3f} | {ms:.2f} | "
                  f"{', '.join(f'{k} {v}' for k, v in sorted(missed.items())) or '-'} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
