"""Deterministic synthetic news corpus for scale runs.

Article ``i`` depends only on ``(seed, i)``, so a 10k-chunk corpus starts with the same articles as
the 1k-chunk one. Articles are 2-6 kB of news-like prose: named people, organisations and places,
dates, numbers and direct quotes, over a vocabulary of tens of thousands of terms (so BM25 sees
realistic document frequencies). Written as ``.jsonl`` (``id``, ``title``, ``text``, ``url``,
``published``, ``source``), the format the index loaders read.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench import vocab

DEFAULT_SEED = 20211107
SIZES: dict[str, int] = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
ARTICLES_PER_FILE = 1000
GENERATOR_VERSION = 2  # bump when the text changes: cached corpora are then rewritten


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    title: str
    text: str
    url: str
    published: str
    source: str
    topic: str

    def to_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "title": self.title,
            "text": self.text,
            "url": self.url,
            "published": self.published,
            "source": self.source,
        }


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Writer:
    """Builds one article's sentences from a per-article RNG."""

    def __init__(self, seed: int, index: int) -> None:
        self.rng = random.Random(f"{seed}:{index}")
        self.names = vocab.name_pools(seed)
        self.rare = vocab.rare_terms(seed)
        self.topic = self.rng.choice(sorted(vocab.TOPICS))
        self.words = vocab.TOPICS[self.topic]
        # A cast per article: the same people and places recur, as in real reporting.
        self.people = [self._person() for _ in range(self.rng.randint(3, 6))]
        self.orgs = self.rng.sample(self.names["orgs"], 3)
        self.places = self.rng.sample(self.names["places"], 3)
        self.year = self.rng.randint(2015, 2025)
        self.month = self.rng.randint(1, 12)
        self.day = self.rng.randint(1, 28)
        self.keywords = [self._rare() for _ in range(10)]  # article-specific terms

    def _person(self) -> str:
        return f"{self.rng.choice(self.names['given'])} {self.rng.choice(self.names['family'])}"

    def _rare(self) -> str:
        # Heavy head, long tail: u**3 puts ~half the draws on the first 12% of the list.
        return self.rare[int(len(self.rare) * self.rng.random() ** 3)]

    def _date(self) -> str:
        style = self.rng.random()
        day = min(28, max(1, self.day + self.rng.randint(-6, 6)))
        if style < 0.4:
            return f"{vocab.MONTHS[self.month - 1]} {day}, {self.year}"
        if style < 0.7:
            return f"on {self.rng.choice(vocab.WEEKDAYS)}"
        return f"{day} {vocab.MONTHS[self.month - 1]}"

    def _number(self) -> str:
        r = self.rng.random()
        if r < 0.4:
            return str(self.rng.randint(2, 99))
        if r < 0.7:
            return f"{self.rng.randint(100, 9999):,}"
        if r < 0.85:
            return f"{self.rng.uniform(0.1, 99.9):.1f} percent"
        return f"${self.rng.randint(1, 900)} million"

    def _np(self) -> str:
        """A noun phrase mixing topic words, common words and rare terms."""
        noun = self.rng.choice(self.words["nouns"])
        r = self.rng.random()
        if r < 0.35:
            return f"the {noun}"
        if r < 0.6:
            return f"the {self._rare()} {noun}"
        if r < 0.8:
            return f"the {noun} in {self.rng.choice(self.places)}"
        return f"{self.rng.choice(self.keywords)} {noun}s"

    def _clause(self) -> str:
        verb = self.rng.choice(self.words["verbs"])
        subj = self.rng.choice(
            [
                self._np(),
                self.rng.choice(self.orgs),
                "officials",
                "the government",
                f"residents of {self.rng.choice(self.places)}",
            ]
        )
        tail = self.rng.choice(
            [
                f" {self._date()}",
                f" in {self.rng.choice(self.places)}",
                f" after {self._np()}",
                f" despite {self._np()}",
                "",
                f" for the {self.rng.choice(['first', 'second', 'third'])} time this year",
            ]
        )
        return f"{subj} {verb} {self._np()}{tail}"

    def sentence(self) -> str:
        person = self.rng.choice(self.people)
        role = self.rng.choice(self.words["roles"])
        org = self.rng.choice(self.orgs)
        place = self.rng.choice(self.places)
        kind = self.rng.randrange(9)
        if kind == 0:
            return f"{person}, the {role} of {org}, said {self._date()} that {self._clause()}."
        if kind == 1:
            outlet = self.rng.choice(vocab.OUTLETS)
            return f"\u201c{_cap(self._clause())},\u201d {person} told {outlet}."
        if kind == 2:
            return (
                f"{org} denied any involvement in {self._np()} in {place}, "
                f"which left {self._number()} people "
                f"{self.rng.choice(['injured', 'displaced', 'without power'])}."
            )
        if kind == 3:
            return (
                f"According to {org}, {self._number()} {self.rng.choice(self.words['nouns'])}s "
                f"were {self.rng.choice(self.words['verbs'])} in {place} between "
                f"{self._date()} and {self._date()}."
            )
        if kind == 4:
            return f"{_cap(self._clause())}, {person} added."
        if kind == 5:
            q = self.rng.choice(
                [
                    "We will not accept",
                    "Nobody expected",
                    "We are committed to",
                    "There is no evidence of",
                    "We have asked for",
                ]
            )
            return f"\u201c{q} {self._np()},\u201d said {person}, {role} at {org}."
        if kind == 6:
            return (
                f"The figure of {self._number()} was {self.rng.choice(['up', 'down'])} from "
                f"{self._number()} a year earlier, the {role} said."
            )
        if kind == 7:
            extra = " ".join(
                self.rng.choice(vocab.COMMON) if self.rng.random() < 0.6 else self._rare()
                for _ in range(self.rng.randint(4, 9))
            )
            return f"{_cap(self._clause())}, {extra}."
        return f"In {place}, {self._clause()}, while {self._clause()}."

    def article(self, index: int, target_len: int) -> Article:
        paragraphs: list[str] = []
        length = 0
        while length < target_len:
            para = " ".join(self.sentence() for _ in range(self.rng.randint(2, 5)))
            paragraphs.append(para)
            length += len(para) + 2
        text = "\n\n".join(paragraphs)
        subject = self.rng.choice(self.orgs)
        title = (
            f"{subject} {self.rng.choice(self.words['verbs'])} "
            f"{self.rng.choice(self.words['nouns'])} in {self.places[0]}"
        )
        doc_id = f"syn-{index:06d}"
        return Article(
            id=doc_id,
            title=title,
            text=text,
            url=f"https://news.example/{self.topic}/{doc_id}",
            published=f"{self.year:04d}-{self.month:02d}-{self.day:02d}",
            source=self.rng.choice(vocab.OUTLETS),
            topic=self.topic,
        )


def generate_article(index: int, seed: int = DEFAULT_SEED) -> Article:
    w = _Writer(seed, index)
    return w.article(index, target_len=w.rng.randint(2000, 6000))


def generate_articles(count: int, seed: int = DEFAULT_SEED, start: int = 0) -> Iterator[Article]:
    for i in range(start, start + count):
        yield generate_article(i, seed)


def estimate_chunks(text_len: int, chunk_size: int = 500, chunk_overlap: int = 100) -> int:
    """Chunks a sliding window of ``chunk_size`` with ``chunk_overlap`` makes of a text."""
    if text_len <= chunk_size:
        return 1
    return 1 + math.ceil((text_len - chunk_size) / max(1, chunk_size - chunk_overlap))


def articles_for_chunks(target_chunks: int, chunks_per_article: float) -> int:
    return max(1, math.ceil(target_chunks / chunks_per_article))


def write_corpus(out_dir: Path, count: int, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write ``count`` articles as ``part-NNN.jsonl`` files; returns the files written.

    Existing ``part-*.jsonl`` files in ``out_dir`` are replaced: the folder holds exactly this
    corpus.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("part-*.jsonl"):
        old.unlink()
    files: list[Path] = []
    for part, start in enumerate(range(0, count, ARTICLES_PER_FILE)):
        path = out_dir / f"part-{part:03d}.jsonl"
        n = min(ARTICLES_PER_FILE, count - start)
        with path.open("w", encoding="utf-8") as fh:
            for art in generate_articles(n, seed, start):
                fh.write(json.dumps(art.to_json(), ensure_ascii=False) + "\n")
        files.append(path)
    return files
