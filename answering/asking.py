"""What an agreement question asks the reports, read from its words (spaCy parse).

"how many workers were hurt, do reports agree?", "do the reports agree on how many workers were
hurt?" and "is there any disagreement about how many workers were hurt?" all ask the reports
"how many workers were hurt?" (``inner_question``): the answerer judges sentences against that,
since no sentence answers "do the reports agree". ``about_reports`` finds comparisons of reports
that name no report ("was X the same everywhere?"), ``value_kinds`` the kind of value a question
asks for ("what time", "how old", "the cost"). The words for reports, for comparing and for kinds
of value are English vocabulary in ``answering/data/agreement_words.json``, not fitted to a
corpus.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from answering.facts import nlp

if TYPE_CHECKING:
    from spacy.tokens import Token

WORDS_PATH = Path(__file__).resolve().parent / "data" / "agreement_words.json"


@dataclass(frozen=True, slots=True)
class Words:
    sources: frozenset[str]
    comparison: frozenset[str]
    quantifiers: frozenset[str]
    dates: frozenset[str]
    counts: frozenset[str]  # "the number of wounded"
    value_nouns: dict[str, frozenset[str]]  # "cost" -> money: the kind of value a noun names
    negating_verbs: frozenset[str] = frozenset()  # "denied that ...": the clause is denied


@cache
def words(path: Path = WORDS_PATH) -> Words:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Words(
        frozenset(data["source_nouns"]),
        frozenset(data["comparison_words"]),
        frozenset(data["source_quantifiers"]),
        frozenset(data["date_nouns"]),
        frozenset(data["count_nouns"]),
        {k: frozenset(v) for k, v in data["value_nouns"].items()},
        frozenset(data.get("negating_verbs", ())),
    )


def _lemma(tok: Token) -> str:
    return tok.lemma_.lower()


_NOT_MEASURE = frozenset(
    {"did", "does", "do", "was", "is", "were", "are", "has", "have", "had", "can", "could"}
)
_NOT_MEASURE |= frozenset({"will", "would", "the", "a", "an", "many", "come", "it", "they", "he", "she"})


def value_kinds(question: str) -> frozenset[str]:
    """The kinds of value (``answering.agreement.value_facts`` slots) a question asks for, from
    its question words: "what time"/"when" a time, "how old" an age, "how much" money or a
    measure, "how deep/far/wide" a measure, "how long" a duration or a measure; "what was the X"
    any of them."""
    words_ = question.lower().rstrip("?").split()
    if not words_:
        return frozenset()
    wh, nxt = words_[0], (words_[1] if len(words_) > 1 else "")
    if wh == "when" or (wh in ("what", "which", "at") and nxt == "time"):
        return frozenset({"time", "time of day"})
    if wh == "how":
        if nxt == "old":
            return frozenset({"age"})
        if nxt == "much":
            return frozenset({"money", "percent", "measure"})
        if nxt == "long":  # how long something lasts, or is
            return frozenset({"duration", "measure"})
        if nxt not in _NOT_MEASURE:
            return frozenset({"measure", "percent"})
        return frozenset()
    if wh in ("what", "which"):  # "what was the cost of ...", "what magnitude was ...": by the noun
        named = words().value_nouns
        return frozenset(k for w in words_[1:] for k in named.get(w.strip(",.'s"), ()))
    return frozenset()


def about_reports(doc: object) -> bool:
    """A comparison of what was reported without a word for the reports: "is there any
    disagreement about X?", "was X the same everywhere?", "is the figure consistent?", "did
    everyone say X?"; not "did the union agree to the deal?" (someone agrees) nor "on the same
    day as" (a comparison inside a phrase)."""
    from spacy.tokens import Doc

    assert isinstance(doc, Doc)
    w = words()
    for t in doc:  # "did everyone say <a clause>?", not "did everyone survive?"
        if t.lower_ in ("everyone", "everybody") and t.dep_ == "nsubj":
            if any(v.pos_ == "VERB" and v.i > t.head.i for v in doc):
                return True
    for c in doc:
        if not (_lemma(c) in w.comparison or c.lower_ in w.comparison):
            continue
        if c.pos_ in ("VERB", "AUX"):
            if _on_a_question(c):
                return True  # "do they differ on how long the river was blocked?"
            continue  # someone agrees or differs: only with reports as its subject (above)
        if c.dep_ == "amod" and c.head.dep_ in ("pobj", "nsubj", "dobj") and c.head.head.pos_ != "AUX":
            continue
        return True
    return False


def _on_a_question(verb: Token) -> bool:
    """'they' agree or differ on a question ("do they differ on how long ..."): the question is
    about what they said; not "did the union agree to the deal?" nor "did they agree on a deal?"."""
    subject = [c for c in verb.children if c.dep_ == "nsubj"]
    if not subject or subject[0].lower_ != "they":
        return False
    for prep in verb.children:
        if prep.dep_ == "prep" and prep.lower_ in ("on", "about", "over"):
            first = next((t for t in prep.subtree if t.i > prep.i), None)
            if first is not None and first.lower_ in _WH | {"whether"}:
                return True
    return False


_BREAKS = frozenset({",", ";", "?", "/", ":", "-", "\u2013", "\u2014", "(", ")"})
_WH = frozenset({"how", "what", "which", "who", "whom", "whose", "when", "where", "why"})
_ABOUT = frozenset({"on", "about", "over", "regarding", "as", "in", "with"})


@lru_cache(maxsize=1024)
def inner_question(question: str) -> str | None:
    """What an agreement question asks the reports, as a question of its own: "how many
    workers were hurt, do reports agree?" and "do the reports agree on how many workers were
    hurt?" -> "how many workers were hurt?"; "do they agree on the date of the vote?" -> "what
    was the date of the vote?"; "what did the outlets call it?" -> "what did they call it?".
    The answerer judges which sentences answer *that* (no sentence answers "do the reports
    agree"). None when the question has no other part. Grammar only: the clause without the
    words for reports and comparing (``answering/data/agreement_words.json``)."""
    from spacy.tokens import Doc

    w = words()
    doc = nlp()(question)
    assert isinstance(doc, Doc)

    def source(t: Token) -> bool:  # "the outlets", not "at the site"
        return _lemma(t) in w.sources and t.pos_ in ("NOUN", "PROPN") and t.dep_ != "pobj"

    def comparing(t: Token) -> bool:
        return _lemma(t) in w.comparison or t.lower_ in w.comparison

    def marked(toks: Sequence[Token]) -> bool:
        return any(comparing(t) or source(t) for t in toks)

    def text(toks: Sequence[Token]) -> str:
        return "".join(t.text_with_ws for t in toks)

    segments: list[list[Token]] = [[]]
    for t in doc:
        if t.text in _BREAKS and (t.text != "-" or t.i == 0 or doc[t.i - 1].whitespace_):
            segments.append([])
        else:
            segments[-1].append(t)
    segments = [s for s in segments if s]
    free = [s for s in segments if not marked(s) and sum(not t.is_stop for t in s) >= 2]
    if free and len(free) < len(segments):
        return _as_question(" ".join(text(s) for s in free))
    for s in segments:  # "what did the outlets call the event": "what did they call the event"
        if s[0].lower_ in _WH and not any(comparing(t) for t in s) and any(source(t) for t in s):
            heads = [t for t in s if source(t)]
            drop = {x.i for h in heads for x in h.subtree}
            out = [t for t in s if t.i not in drop or t.i == heads[0].i]
            return _as_question(
                "".join("they" + t.whitespace_ if t.i == heads[0].i else t.text_with_ws for t in out)
            )
    compared = [t for t in doc if comparing(t)]
    if not compared:
        for t in doc:  # "did every outlet say the ferry was late?"
            if t.dep_ == "ccomp" and t.head.pos_ == "VERB" and not marked(list(t.subtree)):
                return _as_question(text(list(t.subtree)))
        for t in doc:  # the same, parsed without a clause: what follows the verb
            if t.lower_ in ("everyone", "everybody") and t.dep_ == "nsubj":
                after = [x for x in doc[t.head.i + 1 :] if not x.is_punct]
                return _as_question(text(after), statement=True) if len(after) >= 2 else None
        return None
    c = compared[0]
    rest = [t for t in doc[c.i + 1 :] if not t.is_punct or t.text in ("'", "-")]
    about = rest[1:] if rest and rest[0].dep_ == "prep" and rest[0].lower_ in _ABOUT else rest
    if about and (about[0].lower_ in _WH or about[0].lower_ in ("whether", "that", "if")):
        return _as_question(text(about))  # "agree on how many ...", "agree that ..."
    if about is not rest and len(about) >= 2 and not any(_lemma(t) in w.sources for t in about):
        return _as_question(text(about))  # "agree on the date of the vote"
    root = c.sent.root if _lemma(c.sent.root) == "be" else doc[0]
    if _lemma(root) == "be" and root.i < c.i:  # "was the borehole the same width everywhere?"
        before = [t for t in doc[root.i + 1 : c.left_edge.i] if not marked([t])]
        noun = c.head if c.dep_ == "amod" and c.head.pos_ == "NOUN" and not source(c.head) else None
        if before:
            phrase = text(before).strip() + (f" {noun.text}" if noun is not None else "")
            return _as_question(phrase, phrase=True)  # the subject of "was": a noun phrase
    if c.dep_ == "amod" and c.head.pos_ == "NOUN" and not source(c.head):  # "name the same union head"
        words_ = [t for t in c.head.subtree if t.i > c.i and not t.is_punct]
        return _as_question("the " + text(words_))
    return None


def _as_question(text: str, *, phrase: bool = False, statement: bool = False) -> str | None:
    """A clause as a question: a wh-clause or a statement as it is ("whether"/"that" dropped),
    a noun phrase as "what was <it>?"."""
    words_ = text.strip(" ?.").split()
    if words_ and words_[0].lower() in ("whether", "if", "that"):
        words_ = words_[1:]
    if not words_:
        return None
    clause = " ".join(words_)
    if words_[0].lower() not in _WH and not statement:
        root = nlp()(clause)[:].root
        if (
            phrase
            or root.pos_ not in ("VERB", "AUX")
            or not any(c.dep_ in ("nsubj", "nsubjpass") for c in root.children)
        ):
            # "the exact time of the grounding" -> "what time was the grounding": a question
            # word that asks for a time or date, as the answerer reads one
            when = _WHEN_NOUN.match(clause)
            clause = f"what {when.group(1).lower()} was {when.group(2)}" if when else "what was " + clause
    return clause + "?"


_WHEN_NOUN = re.compile(r"^(?:the\s+)?(?:\w+\s+)?(time|date|day|year)\s+(?:of\s+|when\s+|that\s+)?(.+)$", re.I)


@lru_cache(maxsize=1024)
def proposition(question: str) -> frozenset[str]:
    """The content lemmas of what a yes/no agreement question proposes ("whether a steering
    problem caused the grounding" -> steering, problem, cause, grounding); empty when the
    question asks for a value ("how many", "what time") or proposes nothing."""
    from spacy.tokens import Doc

    inner = inner_question(question)
    if inner is None:
        doc = nlp()(question)
        assert isinstance(doc, Doc)
        w = words()
        # "do all outlets agree the crew was evacuated?": the clause the comparison governs
        clauses = [
            t
            for t in doc
            if t.dep_ == "ccomp" and (t.head.lemma_.lower() in w.comparison or t.head.lower_ in w.comparison)
        ]
        if not clauses:
            return frozenset()
        inner = "".join(t.text_with_ws for t in clauses[0].subtree)
    first = inner.strip().split()[0].lower() if inner.strip() else ""
    if not first or first in _WH:
        return frozenset()
    doc = nlp()(inner)
    assert isinstance(doc, Doc)
    w = words()
    skip = w.sources | w.comparison | w.quantifiers | _SAYING
    return frozenset(
        t.lemma_.lower()
        for t in doc
        if t.pos_ in ("NOUN", "PROPN", "VERB", "ADJ")
        and not t.is_stop
        and t.is_alpha
        and t.lemma_.lower() not in skip
    )


# the verbs of reporting ("did everyone *say* the ship was late?"): who says it, not what
_SAYING = frozenset({"say", "report", "state", "claim", "tell"})
