"""The keyword (BM25) index: written at index time, persisted next to the store, read by every
serving process without re-reading a chunk.

One keyword index per generation, under ``<data_dir>/keywords/<base>/<generation>/``:

- ``bases/bNNNNNN/``  a bm25s index of the chunks at the last full build or compaction
  (memory-mapped when read), with ``ids.npy`` / ``docs.npy`` (Chroma record id and document id of
  each entry) and ``df.npy`` (documents per vocabulary term, for ``idf``);
- ``revs/rNNNNNN.json``  a revision: which base, the delta (entries added since the base: record
  id, document id, terms) and the deleted entries (numbers of base/delta entries);
- ``CURRENT``  the name of the revision readers load (replaced atomically, after the revision
  file is complete).

bm25s indexes are static, so an incremental build writes a revision (its cost is that of the
delta, not of the archive); the delta is scored with the same Lucene BM25 formula and the
collection statistics of base + delta, as Lucene scores segments with index-wide statistics.
When the delta outgrows ``COMPACT_FRACTION`` of the base, the build writes a new base.
A keyword hit names a Chroma record id; the retriever fetches the record from the store and
serves it only if it belongs to the served version of its document, so a keyword revision that
lags the store (a killed build) can miss chunks but never show a wrong one.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import threading
import unicodedata
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from newsdesk.settings import Settings

log = logging.getLogger(__name__)

ANALYZER = "snowball-en-1"  # changes here need a new keyword index (recorded in every revision)
K1, B = 1.5, 0.75  # bm25s' defaults, Lucene variant
COMPACT_FRACTION = 0.05
COMPACT_MIN = 1000
_TOKEN = re.compile(r"\w+(?:'\w+)*", re.UNICODE)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})


@cache
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


class _Stemmer:
    """PyStemmer's Snowball English stemmer; its objects are not thread-safe, hence the lock."""

    def __init__(self) -> None:
        import Stemmer

        self._stemmer = Stemmer.Stemmer("english")
        self._lock = threading.Lock()

    def stem(self, words: list[str]) -> list[str]:
        with self._lock:
            return list(self._stemmer.stemWords(words))


@cache
def _stemmer() -> _Stemmer:
    return _Stemmer()


def analyze(text: str) -> list[str]:
    """Index and query terms: NFKC, apostrophes unified, lower case, possessive 's and English
    stop words dropped, "kata'ib" -> "kataib" (however it was typed), Snowball-stemmed."""
    words = []
    for raw in _TOKEN.findall(unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).lower()):
        word = raw[:-2] if raw.endswith("'s") else raw
        word = word.strip("_'")
        if word and word not in _stopwords():
            words.append(word.replace("'", ""))
    return _stemmer().stem(words) if words else []


def keywords_dir(settings: Settings, base: str, generation: str) -> Path:
    return Path(settings.data_dir) / "keywords" / base / generation


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@dataclass(frozen=True, slots=True)
class Entry:
    """One chunk as the keyword index knows it."""

    record_id: str
    doc_id: str
    text: str


class _Delta:
    """Entries added since the base, as postings held in memory (bounded by compaction)."""

    def __init__(self, ids: list[str], docs: list[str], terms: list[list[str]], offset: int) -> None:
        self.ids, self.docs, self.terms, self.offset = ids, docs, terms, offset
        self.lengths = np.asarray([len(t) for t in terms], dtype=np.float32)
        postings: dict[str, dict[int, int]] = {}
        for i, words in enumerate(terms):
            for word in words:
                row = postings.setdefault(word, {})
                row[i] = row.get(i, 0) + 1
        self.postings = {
            w: (np.fromiter(r.keys(), np.int64), np.fromiter(r.values(), np.float32))
            for w, r in postings.items()
        }

    def __len__(self) -> int:
        return len(self.ids)


class _NpyColumn:
    """A 1-d ``.npy`` array read by position with ``os.pread``; nothing of it is mapped.

    Memory-mapped, every page a query touches (and the cached pages the kernel maps around it)
    stays in the serving process's RSS: at 100k chunks ~35 MiB of postings and record ids after
    a few dozen questions, growing with the archive. Read with pread, the bytes stay in the
    kernel's page cache (shared by every process on the host, reclaimable) and a query holds
    only its own postings. The descriptor stays open, so a base deleted by a later compaction
    is still readable by a reader that loaded it.
    """

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
            self.offset = fh.tell()
        if len(shape) != 1 or dtype.hasobject:
            raise ValueError(f"{path} is not a flat array of fixed-size items")
        self.path, self.dtype, self.size = path, dtype, int(shape[0])
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)

    def read(self, start: int, stop: int) -> np.ndarray:
        count = max(0, min(stop, self.size) - start)
        want = count * self.dtype.itemsize
        raw = os.pread(self._fd, want, self.offset + start * self.dtype.itemsize) if want else b""
        if len(raw) != want:
            raise OSError(f"short read from {self.path}: {len(raw)} of {want} bytes")
        return np.frombuffer(raw, dtype=self.dtype, count=count)

    def __getitem__(self, i: int) -> Any:
        return self.read(i, i + 1)[0]


class KeywordIndex:
    """One revision of a generation's keyword index, read-only (thread-safe)."""

    def __init__(self, folder: Path, revision: str, data: dict[str, Any]) -> None:
        self.folder = folder
        self.revision = revision
        self.base_name = str(data["base"])
        base_dir = self._base_dir = folder / "bases" / self.base_name
        self._lock = threading.Lock()
        self._terms: tuple[dict[str, int], np.ndarray] | None = None  # see _vocabulary
        self._data = _NpyColumn(base_dir / "data.csc.index.npy")
        self._indices = _NpyColumn(base_dir / "indices.csc.index.npy")
        self._ids = _NpyColumn(base_dir / "ids.npy")
        self._docs = np.load(base_dir / "docs.npy", mmap_mode="r")
        self._df = np.load(base_dir / "df.npy", mmap_mode="r")
        stats = json.loads((base_dir / "stats.json").read_text("utf-8"))
        self.base_size = int(stats["size"])
        self._avgdl = float(stats["avgdl"]) or 1.0
        delta = data.get("delta") or {}
        self._delta = _Delta(
            list(delta.get("ids", [])),
            list(delta.get("docs", [])),
            [list(t) for t in delta.get("terms", [])],
            self.base_size,
        )
        self.deleted = np.asarray(sorted(int(i) for i in data.get("deleted", [])), dtype=np.int64)
        self.size = self.base_size + len(self._delta) - len(self.deleted)

    def _vocabulary(self) -> tuple[dict[str, int], np.ndarray]:
        """(term -> term id, postings offsets), read at the first query: a build that only
        updates the delta never needs them (reading them grows with the vocabulary)."""
        terms = self._terms
        if terms is None:
            import bm25s

            with self._lock:
                if self._terms is None:
                    bm25 = bm25s.BM25.load(str(self._base_dir), mmap=True, show_progress=False, verbosity=0)
                    # Queries read postings and ids with pread (see _NpyColumn), not bm25s' maps.
                    indptr = _NpyColumn(self._base_dir / "indptr.csc.index.npy")  # terms + 1 offsets
                    self._terms = (bm25.vocab_dict, indptr.read(0, indptr.size).astype(np.int64))
                terms = self._terms
        return terms

    # --- statistics ---------------------------------------------------------------------
    def _df_of(self, term: str) -> int:
        tid = self._vocabulary()[0].get(term)
        base = int(self._df[tid]) if tid is not None else 0
        posting = self._delta.postings.get(term)
        return base + (len(posting[0]) if posting is not None else 0)

    def _idf_term(self, term: str) -> float:
        df = self._df_of(term)
        if df == 0:
            return 0.0
        n = max(self.size, df)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def idf(self, word: str) -> float | None:
        """Inverse document frequency of a word (analysed like the index): 0.0 if no chunk uses
        it, None if the index ignores it (a stop word)."""
        terms = analyze(word)
        if not terms:
            return None
        found = max((self._idf_term(t) for t in terms), default=0.0)
        # A caller's own stem ("prais" for "praised") may be an index term that Snowball would
        # stem further ("prai"): then the word itself is the term.
        return found or self._idf_term(word.lower())

    def max_idf(self) -> float:
        return math.log(1.0 + (self.size + 0.5) / 1.5) if self.size > 0 else 0.0

    # --- search -------------------------------------------------------------------------
    def search(self, weights: Mapping[str, float], k: int) -> list[tuple[str, float]]:
        """Top ``k`` (record id, score) for analysed terms with query weights, best first."""
        if k <= 0 or not weights or self.size <= 0:
            return []
        scores = np.zeros(self.base_size, dtype=np.float32)
        by_weight: dict[float, list[str]] = {}
        vocab = self._vocabulary()[0]
        for term, weight in weights.items():
            if term in vocab:
                by_weight.setdefault(float(weight), []).append(term)
        for weight, terms in by_weight.items():
            scores += np.float32(weight) * self._term_scores(terms)
        if len(self.deleted):
            base_deleted = self.deleted[self.deleted < self.base_size]
            scores[base_deleted] = 0.0
        hits = [(int(i), float(scores[i])) for i in _top(scores, k)]
        hits.extend(self._search_delta(weights, k))
        hits.sort(key=lambda h: -h[1])
        return [(self._record_id(i), s) for i, s in hits[:k]]

    def _term_scores(self, terms: Sequence[str]) -> np.ndarray:
        """Sum of the base's precomputed BM25 scores of ``terms`` per entry: bm25s' ``get_scores``
        (numpy backend: the same float32 additions in the same order), from pread postings."""
        scores = np.zeros(self.base_size, dtype=np.float32)
        vocab, indptr = self._vocabulary()
        for term in terms:
            tid = vocab.get(term)
            if tid is None:
                continue
            start, stop = int(indptr[tid]), int(indptr[tid + 1])
            # a term's postings name each entry once, so the fancy-index add is np.add.at's
            scores[self._indices.read(start, stop)] += self._data.read(start, stop)
        return scores

    def _search_delta(self, weights: Mapping[str, float], k: int) -> list[tuple[int, float]]:
        delta = self._delta
        if not len(delta):
            return []
        scores = np.zeros(len(delta), dtype=np.float32)
        norm = K1 * ((1.0 - B) + B * delta.lengths / self._avgdl)
        for term, weight in weights.items():
            posting = delta.postings.get(term)
            if posting is None:
                continue
            rows, tf = posting
            scores[rows] += weight * self._idf_term(term) * tf / (tf + norm[rows])
        deleted = self.deleted[self.deleted >= delta.offset] - delta.offset
        scores[deleted] = 0.0
        return [(delta.offset + int(i), float(scores[i])) for i in _top(scores, k)]

    def _record_id(self, entry: int) -> str:
        if entry < self.base_size:
            return str(self._ids[entry])
        return self._delta.ids[entry - self.base_size]

    # --- for the writer -----------------------------------------------------------------
    def entries_of(self, doc_ids: Iterable[str]) -> list[int]:
        """Live entry numbers of these documents (base and delta)."""
        wanted = sorted(set(doc_ids))
        if not wanted:
            return []
        found = np.flatnonzero(np.isin(self._docs, wanted)).tolist()
        want = set(wanted)
        found += [self.base_size + i for i, d in enumerate(self._delta.docs) if d in want]
        dead = set(self.deleted.tolist())
        return [i for i in found if i not in dead]

    def revision_data(self) -> dict[str, Any]:
        d = self._delta
        return {
            "analyzer": ANALYZER,
            "base": self.base_name,
            "delta": {"ids": list(d.ids), "docs": list(d.docs), "terms": [list(t) for t in d.terms]},
            "deleted": self.deleted.tolist(),
        }

    @property
    def delta_size(self) -> int:
        return len(self._delta)


def _top(scores: np.ndarray, k: int) -> list[int]:
    hits = np.flatnonzero(scores > 0)
    if hits.size > k:
        hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
    return hits[np.argsort(-scores[hits], kind="stable")].tolist()


# --- reading ------------------------------------------------------------------------------
def current_revision(folder: Path) -> str | None:
    try:
        name = (folder / "CURRENT").read_text("utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def load_keywords(folder: Path) -> KeywordIndex | None:
    """The current revision, or None if this generation has no keyword index yet."""
    revision = current_revision(folder)
    if revision is None:
        return None
    data = json.loads((folder / "revs" / f"{revision}.json").read_text("utf-8"))
    if data.get("analyzer") != ANALYZER:
        return None
    return KeywordIndex(folder, revision, data)


# --- writing (under the build lock) -------------------------------------------------------
def _next_name(folder: Path, prefix: str) -> str:
    numbers = [int(p.stem[1:]) for p in folder.glob(f"{prefix}*") if p.stem[1:].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:06d}"


def write_base(folder: Path, entries: Sequence[Entry]) -> KeywordIndex:
    """A new base from ``entries`` (a full build or a compaction) and a revision serving it."""
    import bm25s

    (folder / "bases").mkdir(parents=True, exist_ok=True)
    name = _next_name(folder / "bases", "b")
    target = folder / "bases" / name
    tmp = folder / "bases" / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    terms = [analyze(e.text) for e in entries]
    retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
    if any(terms):
        retriever.index(terms, show_progress=False)
    else:  # bm25s needs a vocabulary: one term no query can produce
        retriever.index([["\x00"]] * max(len(terms), 1), show_progress=False)
    retriever.save(str(tmp), show_progress=False)
    indptr = np.asarray(retriever.scores["indptr"])
    np.save(tmp / "df.npy", np.diff(indptr).astype(np.int32))
    np.save(tmp / "ids.npy", np.asarray([e.record_id for e in entries], dtype=str))
    np.save(tmp / "docs.npy", np.asarray([e.doc_id for e in entries], dtype=str))
    avgdl = float(np.mean([len(t) for t in terms])) if terms else 1.0
    (tmp / "stats.json").write_text(json.dumps({"size": len(entries), "avgdl": avgdl}), "utf-8")
    os.replace(tmp, target)
    data = {"analyzer": ANALYZER, "base": name, "delta": {}, "deleted": []}
    return _write_revision(folder, data)


def update(
    folder: Path, current: KeywordIndex, added: Sequence[Entry], removed_docs: Iterable[str]
) -> KeywordIndex:
    """A revision: ``removed_docs``' live entries deleted, then ``added`` appended to the delta.

    Deleted delta entries are dropped from the new delta (it holds live entries only); deleted
    base entries are remembered until the next base.
    """
    data = current.revision_data()
    dead = set(data["deleted"]) | set(current.entries_of(removed_docs))
    base = current.base_size
    old = data["delta"]
    delta: dict[str, list[Any]] = {"ids": [], "docs": [], "terms": []}
    for i, (rid, doc, terms) in enumerate(zip(old["ids"], old["docs"], old["terms"], strict=True)):
        if base + i not in dead:
            delta["ids"].append(rid)
            delta["docs"].append(doc)
            delta["terms"].append(terms)
    for entry in added:
        delta["ids"].append(entry.record_id)
        delta["docs"].append(entry.doc_id)
        delta["terms"].append(analyze(entry.text))
    data["delta"] = delta
    data["deleted"] = sorted(i for i in dead if i < base)
    return _write_revision(folder, data)


def needs_compaction(index: KeywordIndex) -> bool:
    churn = index.delta_size + len(index.deleted)
    return churn > max(COMPACT_MIN, COMPACT_FRACTION * index.base_size)


def _write_revision(folder: Path, data: dict[str, Any]) -> KeywordIndex:
    (folder / "revs").mkdir(parents=True, exist_ok=True)
    name = _next_name(folder / "revs", "r")
    _atomic_write(folder / "revs" / f"{name}.json", json.dumps(data))
    _atomic_write(folder / "CURRENT", name)  # the switch readers follow
    _prune(folder, keep_revision=name, keep_base=str(data["base"]))
    return KeywordIndex(folder, name, data)


def _prune(folder: Path, keep_revision: str, keep_base: str) -> None:
    """Keep the current and the previous revision (a reader may still be loading it)."""
    revs = sorted(p for p in (folder / "revs").glob("r*.json"))
    keep = {keep_revision}
    older = [p.stem for p in revs if p.stem < keep_revision]
    if older:
        keep.add(older[-1])
    bases = {keep_base}
    for p in revs:
        if p.stem in keep:
            try:
                bases.add(str(json.loads(p.read_text("utf-8"))["base"]))
            except (OSError, ValueError, KeyError):
                pass
        else:
            p.unlink(missing_ok=True)
    for p in (folder / "revs").glob(".*.tmp"):
        p.unlink(missing_ok=True)
    for p in (folder / "bases").glob("*"):
        if p.name not in bases:
            shutil.rmtree(p, ignore_errors=True)


def drop(settings: Settings, base: str, keep: set[str]) -> None:
    """Delete the keyword indexes of generations not in ``keep``."""
    root = Path(settings.data_dir) / "keywords" / base
    if not root.is_dir():
        return
    for child in root.iterdir():
        if child.is_dir() and child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)
