"""Candidate sentences of retrieved chunks, their cached embeddings, and question-type cues.

Sentences are cut from the whole stored document (not the chunk) so an excerpt is never a
sentence fragment at a chunk border, and every span indexes ``document.text`` directly.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from answering.retrieval import Retrieved
from answering.text import Span, split_sentences, tokenize
from index.models import Document


@dataclass(frozen=True, slots=True)
class Candidate:
    doc: Document
    span: Span
    rank: int  # rank of the first retrieved chunk it came from (0 = best)
    terms: frozenset[str]


class SentenceCache:
    """Document sentence splits and sentence embeddings, bounded LRU, shared across threads."""

    def __init__(self, embeddings: Embeddings, *, max_sentences: int = 50_000, max_docs: int = 5_000):
        self.embeddings = embeddings
        self._vectors: OrderedDict[tuple[str, int, int, int], np.ndarray] = OrderedDict()
        self._splits: OrderedDict[tuple[str, int], list[Span]] = OrderedDict()
        self._max_sentences = max_sentences
        self._max_docs = max_docs
        self._lock = threading.Lock()
        self._embed_lock = threading.Lock()  # sentence-transformers is not re-entrant-safe

    def sentences(self, doc: Document) -> list[Span]:
        key = (doc.doc_id, hash(doc.text))
        with self._lock:
            hit = self._splits.get(key)
            if hit is not None:
                self._splits.move_to_end(key)
                return hit
        spans = split_sentences(doc.text)
        with self._lock:
            self._splits[key] = spans
            while len(self._splits) > self._max_docs:
                self._splits.popitem(last=False)
        return spans

    def embed(self, question: str, spans: Sequence[tuple[str, Span]]) -> tuple[np.ndarray, np.ndarray]:
        """(question vector, sentence matrix), unit-normalised; embeds only uncached sentences."""
        keys = [(doc_id, s.start, s.end, hash(s.text)) for doc_id, s in spans]
        rows: list[np.ndarray | None] = []
        with self._lock:
            for key in keys:
                vec = self._vectors.get(key)
                if vec is not None:
                    self._vectors.move_to_end(key)
                rows.append(vec)
        missing = [i for i, vec in enumerate(rows) if vec is None]
        texts = [spans[i][1].text for i in missing]
        with self._embed_lock:
            qvec = _unit(np.asarray(self.embeddings.embed_query(question), dtype=np.float32))
            raw = self.embeddings.embed_documents(texts) if texts else []
        if texts:
            matrix = _unit(np.asarray(raw, dtype=np.float32))
            with self._lock:
                for j, i in enumerate(missing):
                    rows[i] = matrix[j]
                    self._vectors[keys[i]] = matrix[j]
                while len(self._vectors) > self._max_sentences:
                    self._vectors.popitem(last=False)
        if not rows:
            return qvec, np.zeros((0, qvec.shape[0]), dtype=np.float32)
        return qvec, np.stack([r for r in rows if r is not None])


def _unit(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=-1, keepdims=True)
    return m / np.maximum(norms, 1e-12)


def candidates(
    retrieved: Sequence[Retrieved],
    document: Callable[[str], Document],
    cache: SentenceCache,
    *,
    max_candidates: int = 80,
) -> list[Candidate]:
    """Whole sentences overlapping the retrieved chunks (mostly inside them), deduplicated."""
    out: list[Candidate] = []
    seen: set[tuple[str, int]] = set()
    docs: dict[str, Document] = {}
    for rank, r in enumerate(retrieved):
        c = r.chunk
        doc = docs.get(c.doc_id) or document(c.doc_id)
        docs[c.doc_id] = doc
        for span in cache.sentences(doc):
            if span.end <= c.start or span.start >= c.end:
                continue
            inside = min(span.end, c.end) - max(span.start, c.start)
            if inside < 0.5 * (span.end - span.start):
                continue
            key = (doc.doc_id, span.start)
            if key in seen:
                continue
            seen.add(key)
            out.append(Candidate(doc, span, rank, frozenset(tokenize(span.text))))
            if len(out) >= max_candidates:
                return out
    return out


# --- question types --------------------------------------------------------------------

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE = re.compile(
    rf"\b(?:(?:{_MONTHS})\.?\s+\d{{1,2}}|\d{{1,2}}\s+(?:{_MONTHS})|(?:19|20)\d\d|monday|tuesday|"
    r"wednesday|thursday|friday|saturday|sunday|yesterday|today|tonight|morning|evening|night|"
    r"\d{1,2}:\d\d|\d{1,2}\s*(?:am|pm|a\.m\.|p\.m\.)|last (?:week|month|year)|earlier|later|"
    r"ago|since|after|before|ahead of|early on|late)\b",
    re.I,
)
_NUMBER = re.compile(
    r"\b(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
    r"dozens?|hundreds?|thousands?|several|many|few|half|two-thirds|a third)\b",
    re.I,
)
_PLACE = re.compile(
    r"\b(?:in|at|near|outside|inside|from|into|north|south|east|west|northeast|northwest|"
    r"southeast|southwest)\s+(?:the\s+)?[A-Z]\w+|\b(?:residence|home|house|zone|city|capital|"
    r"province|region|gate|km|kilometres|kilometers|miles|street|building)\b"
)
_REASON = re.compile(r"\b(?:because|due to|amid|after|following|in order to|over|as|since|so)\b", re.I)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z'\u2019\-]+(?:\s+[A-Z][\w'\u2019\-]+)*")


def question_type(question: str) -> str | None:
    q = question.lower()
    if re.search(r"\bhow (?:many|much)\b|\bwhat (?:number|percentage|share)\b", q):
        return "number"
    if re.search(r"\bwhen\b|\bwhat (?:time|date|day|year|month)\b", q):
        return "date"
    if re.search(r"\bwhere\b", q):
        return "place"
    if re.search(r"\bwho\b|\bwhom\b|\bwhose\b|\bwhich (?:" + _WHO_NOUNS + ")", q):
        return "entity"
    if re.search(r"\bwhy\b", q):
        return "reason"
    return None


_WHO_NOUNS = "group|organi[sz]ation|country|countries|official|person|people|militia|leader"

# Verbs of stance: a question asking who *denied* wants a sentence that denies something.
_STANCE: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (re.compile(q, re.I), re.compile(s, re.I))
    for q, s in (
        (
            r"\bden(?:y|ied|ies|ial)|\breject|\brefut|\bdismiss",
            r"\bden(?:y|ied|ies|ial)|\breject|\brefut|\bdismiss|\bdoubt|\bdisown"
            r"|\bno (?:role|link)",
        ),
        (
            r"\bcondemn|\bdenounc|\bcensur|\bcriticis|\bcriticiz",
            r"\bcondemn|\bdenounc|\bcensur|\bcriticis|\bcriticiz",
        ),
        (r"\bblam|\baccus", r"\bblam|\baccus"),
        (r"\bresponsib", r"\bresponsib"),
        (r"\binjur|\bwound|\bhurt", r"\binjur|\bwound|\bhurt"),
        (r"\bkill|\bdie|\bdead|\bdeath", r"\bkill|\bdied|\bdead|\bdeath|\bdeadly"),
        (r"\bsupport|\bassist|\bhelp|\boffer", r"\bsupport|\bassist|\bhelp|\boffer"),
    )
)


def stance(question: str, sentence: str) -> float:
    """1.0 if the question asks about a stance (denied, condemned, blamed...) and the sentence
    expresses it, 0.0 otherwise."""
    best = 0.0
    for q_pat, s_pat in _STANCE:
        if q_pat.search(question) and s_pat.search(sentence):
            best = 1.0
    return best


def cue(question: str, sentence: str, qtype: str | None = None) -> float:
    """1.0 if the sentence has what this type of question asks for: a name for "who", a date
    for "when", a number for "how many"."""
    best = 0.0
    if qtype == "number" and _NUMBER.search(sentence):
        best = max(best, 1.0)
    elif qtype == "date" and _DATE.search(sentence):
        best = max(best, 1.0)
    elif qtype == "place" and _PLACE.search(sentence):
        best = max(best, 1.0)
    elif qtype == "entity" and (_NAME.search(sentence) or sentence[:1].isupper() and " " in sentence):
        best = max(best, 1.0)
    elif qtype == "reason" and _REASON.search(sentence):
        best = max(best, 0.5)
    return best
