"""Does a sentence *answer* the question, or is it only about its topic?

A question asks for something of a kind: a person or group ("who"), a date ("when"), a place
("where"), a number ("how many"), what someone said ("what did X say"), a yes or no. A sentence
answers when it holds something of that kind that the question does not already contain, says
it about the question's focus, and is not itself a question or a restatement. These facts come
from spaCy (entities, lemmas, subjects of verbs); topical closeness from the sentence embedding.

The decision is a logistic model over those signals, fitted with cross-validation on labelled
question sets by ``python -m evaluation.calibrate`` and stored in ``answering/data/answerhood.json``
(coefficients, threshold, what it was fitted on and how it scored). No weight here is set by hand.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from answering.language import NAMES, NUMBER, PERSONISH, WHEN, WHERE, Analysis, Analyzer
from answering.text import stopwords

MODEL_PATH = Path(__file__).resolve().parent / "data" / "answerhood.json"

# Question words and auxiliaries are grammar, not topic (the closed classes of English).
_WH = frozenset({"who", "whom", "whose", "what", "when", "where", "why", "how", "which"})
_YES_NO_START = frozenset(
    {"is", "was", "are", "were", "did", "does", "do", "has", "have", "had", "can", "could", "will", "would"}
)

_PRONOUNS = frozenset({"he", "she", "they", "it", "his", "her", "their", "its", "this", "these"})

FEATURES: tuple[str, ...] = (
    "semantic",  # cosine of question and sentence embeddings
    "semantic_gap",  # ... minus the best cosine among this question's candidates
    "coverage",  # idf-weighted share of the question's focus words the sentence has
    "coverage_gap",
    "context_coverage",  # ... of the sentence with the one before it ("He said ..." names him there)
    "missing_max",  # idf of the most specific question word the sentence (with context) lacks
    "wh_noun",  # the thing asked about ("which hospital", "how many ships") is in the sentence
    "missing_sim",  # how close in meaning the sentence is to that most specific lacking word
    "noun_type_match",  # "which country ...": an entity of the kind that noun names (by spaCy's
    # own description of its labels) that the question does not hold
    "soft_coverage",  # coverage where each question word counts by its closest sentence word
    "soft_gap",
    "anaphor",  # starts with, or has as a subject, a pronoun: who it is about is said before
    "typed",  # the question asks for a kind of answer (who/when/where/how many)
    "type_match",  # the sentence holds an answer of that kind the question does not contain
    "type_missing",  # typed question, sentence holds no answer of that kind
    "verb_match",  # the sentence uses the question's main verb
    "verb_sim",  # ... else how close in meaning its closest verb is ("denied" ~ "rejected")
    "subject_answer",  # the subject of a verb in the sentence is an answer of the asked kind
    "subject_match",  # the question's named focus is the subject of a verb in the sentence
    "quoted",  # the sentence quotes someone (what did X say)
    "is_question",  # a question never answers
    "restates",  # share of the sentence's words that the question already has
    "rank",  # 1 / (1 + rank of the retrieved chunk the sentence came from)
    "short",  # fewer than six words: headings, captions
    "unknown",  # idf-weighted share of the question's focus words the corpus never uses
    "unknown_name",  # the question names something (proper noun) the corpus never mentions
    "defines",  # "what/who is X?" and the sentence says what X is ("X is ...", "X, the ...")
    "slot",  # an answer of the asked kind is attached in the parse to the question's words
    # ("seven hospitals" for "how many hospitals"): idf-weighted, by closeness of meaning
    "wh_slot",  # ... to the asked-about noun itself ("which hospital", "how many ships")
)


@dataclass(frozen=True, slots=True)
class QuestionInfo:
    text: str
    analysis: Analysis
    kind: str  # who | when | where | number | say | why | yesno | what
    wants: frozenset[str]  # spaCy entity labels that answer it
    focus: tuple[str, ...]  # content lemmas of the question
    named: tuple[str, ...]  # lower-cased names in the question (entities, proper nouns)
    typed_names: tuple[str, ...]  # ... recognised as names, or typed capitalised
    verb: str | None  # the question's main verb lemma
    wh_noun: str | None  # lemma of the noun the question word asks about ("which hospital")
    defining: bool = False  # "what is X?", "who are X?": asks what something is


def question_info(question: str, analyzer: Analyzer) -> QuestionInfo:
    a = analyzer.analyse(question)
    words = [w.lower() for w in question.replace("?", " ").split()]
    kind, wants = _kind(words, a)
    focus = tuple(sorted(lem for lem in a.lemmas if lem not in _WH))
    entities = [e.key for e in a.entities if e.label in NAMES]
    proper = _proper_nouns(a)
    named = tuple(dict.fromkeys([*entities, *proper]))
    # In lower-case typing the tagger and the recogniser see names in single words ("wat",
    # "max"): only a name the asker capitalised, or several name words in a row ("national
    # cyber security centre"), can be unknown.
    typed = [w.strip(".,;:!?\"'()") for w in question.split()]
    lower = [w.lower() for w in typed]
    capitalised = {w.lower() for w in typed if w[:1].isupper()}
    in_a_run = {  # "national cyber security centre": several proper nouns in a row
        w
        for i, w in enumerate(lower)
        if w in proper and {lower[i - 1] if i else "", *lower[i + 1 : i + 2]} & set(proper)
    }
    typed_names = tuple(
        dict.fromkeys(
            [
                *(e for e in entities if " " in e or e in capitalised),
                *(p for p in proper if p in capitalised or p in in_a_run),
            ]
        )
    )
    verbs = sorted(v for v in a.verbs if v not in _WH)
    verb = verbs[0] if verbs else None
    defining = len(words) > 2 and words[0] in ("what", "who", "what's", "who's") and not a.verbs and (
        words[0].endswith("'s") or words[1] in ("is", "are", "was", "were")
    )
    return QuestionInfo(question, a, kind, wants, focus, named, typed_names, verb, a.wh_noun, defining)


def _proper_nouns(a: Analysis) -> list[str]:
    """The question's proper nouns that may be names: not inside an entity that is not a name
    ("american" (NORP), "nov" of "nov 6" (DATE)), and not a typo of a function word, which the
    tagger calls a proper noun in a lower-case question ("wat did they burn")."""
    other = {w for e in a.entities if e.label not in NAMES for w in e.key.split()}
    return [p for p in a.propns if p not in other and not _function_word_typo(p)]


def _function_word_typo(word: str) -> bool:
    return len(word) <= 5 and bool(difflib.get_close_matches(word, _short_stopwords(), n=1, cutoff=0.85))


@cache
def _short_stopwords() -> list[str]:
    return sorted(w for w in stopwords() if 3 <= len(w) <= 6)


def _kind(words: list[str], a: Analysis) -> tuple[str, frozenset[str]]:
    """What kind of answer the question asks for, from its leading question word (a "who" in
    a relative clause, "the protester who was killed", does not make it a who-question)."""
    words = [w.strip(".,;:!\"'()") for w in words]
    lead = next((i for i, w in enumerate(words[:4]) if w in _WH), None)
    if lead is None:
        return ("yesno" if words and words[0] in _YES_NO_START else "what"), frozenset()
    wh, rest = words[lead], words[lead + 1 :]
    nxt = rest[0] if rest else ""
    if wh == "how":
        if nxt in ("many", "much"):
            return "number", NUMBER
        if nxt in ("long", "old", "soon", "often", "far"):  # a duration, an age, a distance
            return "when", WHEN | NUMBER
        return "what", frozenset()  # how did it happen: a manner, not a type
    if wh in ("who", "whom", "whose"):
        return "who", PERSONISH
    if wh == "when":
        return "when", WHEN
    if wh == "where":
        return "where", WHERE
    if wh == "why":
        return "why", frozenset()
    if nxt in ("time", "date", "day", "year", "month"):
        return "when", WHEN
    if "name" in rest or "names" in rest:  # what was the name of ..., what are their names
        return "who", PERSONISH
    if wh == "what" and nxt in _ACTION_AUX and len(rest) > 1:
        return "say", frozenset()  # what did X say / claim / do
    if wh == "which":
        return "who", PERSONISH | WHERE
    return "what", frozenset()


# "what did/does/has X ...": asks what someone said or did ("what was X" does not).
_ACTION_AUX = frozenset({"did", "does", "do", "has", "have", "had", "will", "would", "can", "could"})


class WordStats:
    """Corpus word statistics the features need, from the keyword index.

    ``idf(word)``: the word's idf, 0.0 if the corpus never uses it, None if the keyword index
    ignores it (a stop word).
    """

    def __init__(self, idf: Callable[[str], float | None], max_idf: Callable[[], float]) -> None:
        self._idf = idf
        self.max_idf = max_idf

    def unseen(self, word: str) -> bool:
        return self._idf(word) == 0.0

    def weight(self, word: str, forms: Sequence[str] = ()) -> float:
        """The word's idf; a lemma the keyword index does not know ("hold", "datum") counts by
        the written forms seen for it ("held", "data"), and only then as unseen."""
        return self._idf(word) or max((self._idf(f) or 0.0 for f in forms), default=0.0) or self.max_idf()

    def unseen_as(self, word: str, forms: Sequence[str] = ()) -> bool:
        return self.unseen(word) and all(self._idf(f) == 0.0 for f in forms)


def _fuzzy_in(word: str, vocabulary: frozenset[str] | set[str]) -> bool:
    """The word, or a spelling within a typo of it (words of 5+ letters), is in the vocabulary."""
    if word in vocabulary:
        return True
    if len(word) < 5:
        return False
    return bool(difflib.get_close_matches(word, list(vocabulary), n=1, cutoff=0.84))


def features(
    q: QuestionInfo,
    sentences: Sequence[Analysis],
    previous: Sequence[Analysis | None],
    cosines: Sequence[float],
    ranks: Sequence[int],
    stats: WordStats,
    *,
    word_sim: Callable[[str, frozenset[str]], float] | None = None,
    noun_labels: frozenset[str] = frozenset(),
) -> np.ndarray:
    """One row of FEATURES per sentence; ``previous``: the sentence before each, if adjacent;
    ``word_sim``: the closest cosine of a question word to any of a sentence's words (embeddings
    of single words); ``noun_labels``: the entity labels the question's wh-noun names."""
    n = len(sentences)
    out = np.zeros((n, len(FEATURES)), dtype=np.float64)
    if n == 0:
        return out
    vocab: set[str] = set()
    for s in sentences:
        vocab |= s.lemmas | s.words
    written: dict[str, list[str]] = {}  # lemma -> its written forms in the question and candidates
    for a in (q.analysis, *sentences, *(p for p in previous if p is not None)):
        for lemma, word in a.forms:
            written.setdefault(lemma, []).append(word)
    focus_w = {f: stats.weight(f, written.get(f, ())) for f in q.focus}
    total = sum(focus_w.values()) or 1.0
    unknown = (
        sum(w for f, w in focus_w.items() if stats.unseen_as(f, written.get(f, ())) and not _fuzzy_in(f, vocab))
        / total
    )
    unknown_name = float(
        any(stats.unseen(name) and not _fuzzy_in(name, vocab) for name in _name_words(q.typed_names))
    )
    q_words = q.analysis.lemmas | q.analysis.words
    col = {name: i for i, name in enumerate(FEATURES)}
    top_w = stats.max_idf() or 1.0

    def coverage(have: frozenset[str]) -> float:
        return sum(w for f, w in focus_w.items() if f in have or _fuzzy_in(f, have)) / total

    def most_specific_lacking(have: frozenset[str]) -> str | None:
        lacking = [f for f in focus_w if not (f in have or _fuzzy_in(f, have))]
        return max(lacking, key=lambda f: (focus_w[f], f), default=None)

    titles = _titles([*sentences, *(p for p in previous if p is not None)])

    def attached(weights: dict[str, float], anchors: frozenset[str]) -> float:
        """Weighted closeness of the words to what an answer is attached to."""
        got = 0.0
        for f, w in weights.items():
            if f in anchors or _fuzzy_in(f, anchors):
                got += w
            elif word_sim is not None and anchors:
                got += w * max(0.0, word_sim(f, anchors))
        return got

    def titled(a: Analysis) -> frozenset[str]:
        """The titles the candidates give the people and bodies this sentence names: "Reyes
        ordered it" is about the mayor if another says "Mayor Ana Reyes"."""
        out: set[str] = set()
        for e in a.entities:
            out |= titles.get(e.key.split()[-1], set())
        return frozenset(out)

    for i, (s, prev, cos, rank) in enumerate(zip(sentences, previous, cosines, ranks, strict=True)):
        have = s.lemmas | s.words | titled(s)
        cov = coverage(have)
        ctx = coverage(have | prev.lemmas | prev.words | titled(prev)) if prev is not None else cov
        match = _type_match(q, s, q_words)
        row = out[i]
        row[col["semantic"]] = cos
        row[col["coverage"]] = cov
        row[col["noun_type_match"]] = float(_has_new_entity(s, noun_labels, q_words)) if noun_labels else 0.5
        row[col["context_coverage"]] = ctx
        with_ctx = have | (prev.lemmas | prev.words | titled(prev) if prev is not None else frozenset())
        lacking = most_specific_lacking(with_ctx)
        row[col["missing_max"]] = focus_w[lacking] / top_w if lacking else 0.0
        if lacking is None:
            row[col["missing_sim"]] = 1.0
        elif word_sim is not None:
            ctx_lemmas = s.lemmas | (prev.lemmas if prev is not None else frozenset())
            row[col["missing_sim"]] = word_sim(lacking, ctx_lemmas)
        if word_sim is not None:
            soft = sum(w * (1.0 if f in have else max(0.0, word_sim(f, s.lemmas))) for f, w in focus_w.items())
            row[col["soft_coverage"]] = soft / total
        else:
            row[col["soft_coverage"]] = cov
        row[col["wh_noun"]] = 0.5 if q.wh_noun is None else float(_fuzzy_in(q.wh_noun, have))
        row[col["anaphor"]] = float(s.first_lower in _PRONOUNS or s.pronoun_subject)
        row[col["typed"]] = float(bool(q.wants))
        row[col["type_match"]] = float(match)
        row[col["type_missing"]] = float(bool(q.wants) and not match)
        row[col["verb_match"]] = float(q.verb is not None and q.verb in s.verbs)
        if q.verb is not None and word_sim is not None and s.verbs:
            row[col["verb_sim"]] = 0.0 if q.verb in s.verbs else max(0.0, word_sim(q.verb, s.verbs))
        row[col["subject_answer"]] = float(
            any(
                e.label in q.wants
                and all(w in s.subjects for w in e.key.split())
                and not all(w in q_words for w in e.key.split())
                for e in s.entities
            )
        )
        row[col["subject_match"]] = float(any(w in s.subjects for n in q.named for w in n.split()))
        row[col["quoted"]] = float(s.quoted)
        row[col["is_question"]] = float(s.is_question)
        row[col["restates"]] = len(s.lemmas & q_words) / max(1, len(s.lemmas))
        row[col["rank"]] = 1.0 / (1 + rank)
        row[col["short"]] = float(len(s.text.split()) < 6)
        row[col["unknown"]] = unknown
        row[col["unknown_name"]] = unknown_name
        row[col["defines"]] = float(q.defining and bool(q.focus) and all(f in s.defined for f in q.focus))
        anchors = _answer_anchors(q, s, q_words, noun_labels)
        row[col["slot"]] = max((attached(focus_w, a) / total for a in anchors), default=0.0)
        if q.wh_noun is None:
            row[col["wh_slot"]] = 0.5
        else:
            row[col["wh_slot"]] = max((attached({q.wh_noun: 1.0}, a) for a in anchors), default=0.0)
    out[:, col["semantic_gap"]] = out[:, col["semantic"]] - out[:, col["semantic"]].max()
    out[:, col["coverage_gap"]] = out[:, col["coverage"]] - out[:, col["coverage"]].max()
    out[:, col["soft_gap"]] = out[:, col["soft_coverage"]] - out[:, col["soft_coverage"]].max()
    return out


_TITLE_WORDS = 3  # "Foreign Ministry spokesman Ana Reyes", "Prime Minister Tom Hale"
_WORD = re.compile(r"[\w'\u2019-]+$")


def _titles(analyses: Sequence[Analysis]) -> dict[str, set[str]]:
    """Last word of a person's (or body's) name -> the words the sentences give it as a title:
    written just before the name ("Prime Minister Tom Hale", "the harbour master,
    Liam Toner") or in apposition after it ("Erik Lindqvist, the captain, ...")."""
    out: dict[str, set[str]] = {}
    for a in analyses:
        for e in a.entities:
            if e.label not in ("PERSON", "ORG"):
                continue
            before = a.text[: e.start].rstrip()
            words = _title_words(before.rstrip(",").split()[::-1])
            after = a.text[e.end :].lstrip()
            if after.startswith(","):
                rest = after[1:].split(",")[0].split()
                if rest and rest[0].lower() in ("the", "a", "an"):
                    words += _title_words(rest[1:], possessive=True)
            if words:
                out.setdefault(e.key.split()[-1], set()).update(words)
    return out


def _title_words(raw_words: Sequence[str], *, possessive: bool = False) -> list[str]:
    """Up to ``_TITLE_WORDS`` title words in the order given, up to a stop word or punctuation
    ("union's general secretary" -> union, general, secretary when ``possessive``)."""
    stop = stopwords()
    out: list[str] = []
    for raw in raw_words[: _TITLE_WORDS + int(possessive)]:
        word = raw.lower().replace("\u2019", "'")
        if possessive and word.endswith("'s"):
            word = word[:-2]
        if not _WORD.match(word) or word in stop or word.endswith("'s"):
            break
        out.append(word)
    return out


def _name_words(named: Sequence[str]) -> list[str]:
    return [w for n in named for w in n.replace("'s", "").split() if len(w) > 2 and w.isalpha()]


def _has_new_entity(s: Analysis, labels: frozenset[str], q_words: frozenset[str]) -> bool:
    return any(e.label in labels and not all(w in q_words for w in e.key.split()) for e in s.entities)


def _answer_anchors(
    q: QuestionInfo, s: Analysis, q_words: frozenset[str], noun_labels: frozenset[str]
) -> list[frozenset[str]]:
    """What each answer of the asked kind in the sentence is attached to (not answers the
    question already holds); numbers outside entities count for how-many questions."""
    wants = q.wants | noun_labels
    if not wants:
        return []
    out = [e.anchors for e in s.entities if e.label in wants and not all(w in q_words for w in e.key.split())]
    if "CARDINAL" in wants:
        out += list(s.numbers)
    return out


def _type_match(q: QuestionInfo, s: Analysis, q_words: frozenset[str]) -> bool:
    """The sentence holds an answer of the asked kind that the question does not already hold."""
    if not q.wants:
        return False
    if _has_new_entity(s, q.wants, q_words):
        return True
    return "CARDINAL" in q.wants and s.has_number and not q.analysis.has_number


class NounTyper:
    """Which spaCy entity labels a noun names ("country" -> GPE), by the cosine between the
    noun's embedding and spaCy's own description of each label (``spacy.explain``)."""

    LABELS = (
        "PERSON",
        "NORP",
        "FAC",
        "ORG",
        "GPE",
        "LOC",
        "PRODUCT",
        "EVENT",
        "LAW",
        "DATE",
        "TIME",
        "MONEY",
        "QUANTITY",
        "PERCENT",
        "CARDINAL",
    )

    def __init__(self, embed: Callable[[Sequence[str]], dict[str, np.ndarray]], margin: float = 0.03) -> None:
        self._embed = embed
        self._margin = margin
        self._glosses: tuple[list[str], np.ndarray] | None = None

    def labels(self, noun: str | None) -> frozenset[str]:
        if not noun:
            return frozenset()
        if self._glosses is None:
            import spacy

            texts = [f"{spacy.explain(label)}" for label in self.LABELS]
            vecs = self._embed(texts)
            self._glosses = (list(self.LABELS), np.stack([vecs[t] for t in texts]))
        names, matrix = self._glosses
        sims = matrix @ self._embed([noun])[noun]
        best = float(sims.max())
        return frozenset(n for n, v in zip(names, sims, strict=True) if v >= best - self._margin)


# A runner-up this close to the best is as likely an answer: quote both rather than guess.
# Measured on the fitted sets (cross-validated): ratio 1.0 -> 75% of answers hold the
# expected phrase, 0.95 -> 78%, 0.9 -> 79% (0.43 of answers get a second sentence).
RUNNER_UP_RATIO = 0.9


def choose(
    rows: np.ndarray, probs: np.ndarray, before: Sequence[int], after: Sequence[int], *, limit: int = 3
) -> list[int]:
    """The sentences an answer quotes: the most likely one, the sentence before it when it
    starts with a pronoun (who "he" is), the sentence after it when that one adds what
    the best lacks (the asked kind of answer, the asked-about thing, more of the question),
    and a runner-up nearly as likely as the best.

    ``before``/``after``: index of the adjacent sentence in the same paragraph, or -1. At most
    ``limit`` sentences: the deciding one and the one just before it come first.
    """
    col = {name: i for i, name in enumerate(FEATURES)}
    order = np.argsort(-probs, kind="stable")
    b = int(order[0])
    out = [b]
    # Walk back over pronouns ("He ..." <- "..., they doubted ..." <- "The union rejected ..."),
    # at most two sentences, to the one that names who.
    first = b
    for _ in range(2):
        if not rows[first, col["anaphor"]] or before[first] < 0:
            break
        first = before[first]
        out.insert(0, first)
    n = after[b]
    if n >= 0:
        r, s = rows[b], rows[n]
        adds = (
            (r[col["type_missing"]] and s[col["type_match"]])
            or (r[col["wh_noun"]] == 0 and s[col["wh_noun"]] == 1)
            or s[col["context_coverage"]] > r[col["context_coverage"]] + 0.1
        )
        if adds:
            out.append(n)
    if len(order) > 1:
        r = int(order[1])
        if r not in out and probs[r] > 0 and probs[r] >= RUNNER_UP_RATIO * probs[b]:
            out.append(r)
    at = out.index(b)
    return out[max(0, at - 1) :][:limit]


@dataclass(frozen=True, slots=True)
class Logistic:
    """A fitted logistic regression over standardised features."""

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray

    def probability(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def to_json(self, names: Sequence[str]) -> dict[str, object]:
        return {
            "features": list(names),
            "coef": [round(float(c), 6) for c in self.coef],
            "intercept": round(self.intercept, 6),
            "mean": [round(float(m), 6) for m in self.mean],
            "scale": [round(float(s), 6) for s in self.scale],
        }

    @classmethod
    def from_json(cls, data: object, names: Sequence[str]) -> Logistic:
        if not isinstance(data, dict) or data.get("features") != list(names):
            got = data.get("features") if isinstance(data, dict) else data
            raise ValueError(
                f"answer model features {got} do not match the code's {list(names)}: "
                "re-run `python -m evaluation.calibrate`"
            )
        return cls(
            coef=np.asarray(data["coef"], dtype=np.float64),
            intercept=float(data["intercept"]),
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
        )


@dataclass(frozen=True, slots=True)
class AnswerModel:
    """P(sentence answers the question); the question is answered when its best sentence's
    probability reaches ``threshold`` (chosen by cross-validation, see evaluation/calibrate.py)."""

    sentence: Logistic
    threshold: float
    info: dict[str, object]

    def probability(self, rows: np.ndarray) -> np.ndarray:
        return self.sentence.probability(rows)

    def to_json(self) -> dict[str, object]:
        return {
            "sentence": self.sentence.to_json(FEATURES),
            "threshold": round(self.threshold, 4),
            "info": self.info,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> AnswerModel:
        threshold = data["threshold"]
        info = data.get("info", {})
        assert isinstance(threshold, int | float)
        return cls(
            sentence=Logistic.from_json(data["sentence"], FEATURES),
            threshold=float(threshold),
            info=dict(info) if isinstance(info, dict) else {},
        )


@cache
def load_model(path: Path = MODEL_PATH) -> AnswerModel:
    return AnswerModel.from_json(json.loads(path.read_text(encoding="utf-8")))
