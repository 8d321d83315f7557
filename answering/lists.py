"""List questions: "who condemned the attack?", "which roads were closed?", "name the groups
that demanded ...", "what kinds of data were stolen?" gather the distinct answers across
sentences and articles, each cited once.

A question asks for a list when the thing it asks about is plural ("which roads", "what
supplies", "what kinds of files", "what were the main demands", "name the hospitals"), when it
says so ("who all ..."), or, weakly, when it asks who (several may have condemned it). An item
is an entity of the kind asked for (a person or organisation for "who", the kinds spaCy's labels
say the asked noun names, ``answering.answerhood.NounTyper``) or a noun phrase headed by the
asked noun or a word close to it in meaning ("fishing boats", "lifeboats" for "which boats";
closeness is the cosine of single-word embeddings, not a word list). A sentence joins the answer
only if it is nearly as likely to answer as the best one, names an item the answer does not
have yet, and does not repeat a chosen sentence (wire copy carried by several outlets). The
names most of the articles mention are the story's actors, not items of an explicit list; once
the answer names ``ENOUGH`` items it stops, and when the parse sees fewer (items written as
verbs, "live at his home address") the likely sentences that say something new follow, as
for a single answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from answering.answerhood import QuestionInfo
from answering.language import NUMBER, PERSONISH, WHEN, Analysis
from answering.text import stopwords

# How close in meaning a phrase's head must be to the asked noun to count as one of its kind
# (MiniLM word cosines on the transport corpus: "boat" ~ "vessel" 0.73, "lifeboat" 0.68,
# "ferry" 0.63; "condition" ~ "problem" 0.43).
KIN = 0.55
# A list of this many items answers a list question: more sentences only make it longer.
ENOUGH = 3
# Two sentences sharing more than this share of their content lemmas say the same thing.
SAME = 0.5
# spaCy's entity labels in the groups an asked noun's kind is widened to: the labels a single
# noun's embedding is closest to are noisy within a group ("total" ~ MONEY, the totals are
# CARDINAL; "hospital" ~ GPE, hospitals are FAC or ORG) but rarely across groups.
GROUPS = (
    frozenset({"PERSON", "ORG", "NORP"}),
    frozenset({"GPE", "LOC", "FAC"}),
    NUMBER,
    WHEN,
    frozenset({"PRODUCT", "EVENT", "LAW", "WORK_OF_ART"}),
)
_ALL = re.compile(r"^\W*(who|what|which|where)\s+(all|else)\b", re.IGNORECASE)
_WORD = re.compile(r"[\w'-]+")


@dataclass(frozen=True, slots=True)
class ListAsk:
    """What the answer is a list of."""

    noun: str | None  # lemma of the asked noun ("road"; "file" for "what kinds of files")
    labels: frozenset[str]  # spaCy entity labels whose entities are items
    explicit: bool  # the question says it wants several (plural noun, "who all"): gather more
    measure: str | None = None  # the wh-noun when the items are "of" another ("kinds", "amounts")


@dataclass(frozen=True, slots=True)
class Caps:
    sentences: int  # at most this many sentences in the answer
    chars: int  # ... and this many characters
    ratio: float  # a sentence joins if its score is at least ratio * the best's
    floor: float  # ... and at least this


# A weak list (a singular "who" question) adds only sentences that are likely answers themselves;
# an explicit one gathers more, and less likely ones, as long as each adds an item.
WEAK = Caps(sentences=3, chars=600, ratio=0.0, floor=0.5)
EXPLICIT = Caps(sentences=5, chars=800, ratio=0.4, floor=0.25)


def list_ask(q: QuestionInfo, typed: Callable[[str | None], frozenset[str]] | None = None) -> ListAsk | None:
    """Whether and what the question asks a list of; None for a question with one answer.
    ``typed``: the entity label(s) a noun names (``answerhood.NounTyper.labels``), widened to
    their group; of "what kinds of files", the files."""
    a = q.analysis
    if q.kind in ("when", "number", "yesno", "why") and not a.wh_plural:
        return None
    explicit = a.wh_plural or bool(_ALL.match(q.text))
    if not explicit:  # "who condemned it?": other names, as likely answers as the best
        return ListAsk(None, q.wants, False) if q.wants & PERSONISH else None
    labels: set[str] = set()
    noun = a.of_noun or a.wh_noun
    if typed is not None and noun is not None:
        got = typed(noun)
        labels.update(label for g in GROUPS if g & got for label in g)
    return ListAsk(noun, frozenset(labels or q.wants), True, a.wh_noun)


def items(ask: ListAsk, s: Analysis, asked: frozenset[str], kin: Callable[[str], bool]) -> list[frozenset[str]]:
    """The items the sentence names, each as its words (entities lower-cased, phrases as
    lemmas); not those the question already holds."""
    out: list[frozenset[str]] = []
    stop = stopwords()
    for e in s.entities:
        if e.label in ask.labels:
            words = frozenset(w for w in _WORD.findall(e.key) if w not in stop)
            if words and not words <= asked:
                out.append(words)
    if ask.noun is not None or ask.measure is not None:
        for p in s.phrases:
            if p.lemmas - asked and kin(p.head):
                out.append(p.lemmas)
    return out


def gather(
    ask: ListAsk,
    analyses: Sequence[Analysis],
    scores: np.ndarray,
    lengths: Sequence[int],
    chosen: Sequence[int],
    *,
    asked: frozenset[str],
    kin: Callable[[str], bool],
    usable: Callable[[int], bool] = lambda i: True,
    docs: Sequence[str] = (),
) -> list[int]:
    """The chosen sentences and, best score first, those that add an item not yet named.

    ``scores``: how likely each candidate answers; ``lengths``: its characters; ``asked``: the
    question's words and lemmas; ``kin``: whether a noun is of the asked kind; ``usable``:
    whether a candidate may be quoted at all (not a heading, not a question); ``docs``: the
    article of each candidate (an explicit list does not count as items the names most of the
    articles mention: the story's own actors, not answers)."""
    caps = EXPLICIT if ask.explicit else WEAK
    if ask.explicit and docs:
        asked = asked | _common(analyses, docs)
    enough = ENOUGH if ask.explicit else len(analyses) + 1
    out = list(chosen)
    if not out:
        return out
    known: set[str] = set()
    named: list[frozenset[str]] = []
    for j in out:
        named = _distinct(named, [it for it in items(ask, analyses[j], asked, kin) if not it <= known])
        known |= _words(analyses[j])
    best = max(float(scores[j]) for j in out)
    floor = max(caps.floor, caps.ratio * best)
    length = sum(lengths[j] for j in out)
    ranked = sorted(range(len(analyses)), key=lambda i: -scores[i])
    for i in ranked:
        if len(out) >= caps.sentences or scores[i] < floor or len(named) >= enough:
            break
        if i in out or not usable(i) or length + lengths[i] > caps.chars:
            continue
        if any(_same(analyses[i], analyses[j]) for j in out):
            continue
        new = [it for it in items(ask, analyses[i], asked, kin) if not it <= known]
        if not new:
            continue
        out.append(i)
        named = _distinct(named, new)
        known |= _words(analyses[i])
        length += lengths[i]
    if ask.explicit and len(named) < ENOUGH:
        # items the parse does not see ("live at his home address", "redshank" for "which
        # species"): the likely answers that say something new, as for a single answer
        for i in ranked:
            if len(out) >= WEAK.sentences or scores[i] < WEAK.floor:
                break
            if i in out or not usable(i) or length + lengths[i] > WEAK.chars:
                continue
            if any(_same(analyses[i], analyses[j]) for j in out):
                continue
            out.append(i)
            length += lengths[i]
    return out


def _distinct(named: list[frozenset[str]], new: Sequence[frozenset[str]]) -> list[frozenset[str]]:
    """The items named, with those of ``new`` that share no word with one already named ("the
    United States" the entity and the phrase are one item)."""
    out = list(named)
    for it in new:
        if not any(it & other for other in out):
            out.append(it)
    return out


def _common(analyses: Sequence[Analysis], docs: Sequence[str]) -> frozenset[str]:
    """Words of the names that sentences of at least half the articles (three or more) mention."""
    n = len(set(docs))
    if n < 3:
        return frozenset()
    seen: dict[str, set[str]] = {}
    stop = stopwords()
    for a, d in zip(analyses, docs, strict=True):
        for e in a.entities:
            for w in _WORD.findall(e.key):
                if w not in stop:
                    seen.setdefault(w, set()).add(d)
    return frozenset(w for w, ds in seen.items() if 2 * len(ds) >= n)


def _words(a: Analysis) -> set[str]:
    return set(a.lemmas | a.words | {w for e in a.entities for w in _WORD.findall(e.key)})


def _same(a: Analysis, b: Analysis) -> bool:
    union = a.lemmas | b.lemmas
    return bool(union) and len(a.lemmas & b.lemmas) / len(union) > SAME


def kin_of(ask: ListAsk, similar: Callable[[str, str], float], threshold: float = KIN) -> Callable[[str], bool]:
    """Whether a head noun is of the asked noun's kind: the noun itself or close in meaning
    (to either noun of "what kinds of files")."""
    nouns = [n for n in dict.fromkeys((ask.noun, ask.measure)) if n is not None]
    seen: dict[str, bool] = {}

    def kin(head: str) -> bool:
        if head not in seen:
            seen[head] = any(head == n or similar(head, n) >= threshold for n in nouns)
        return seen[head]

    return kin
