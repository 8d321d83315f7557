"""Agreement questions: whether a question asks the reports to agree, and on which detail.

"Do the reports agree it was a barge?", "was it one barge or two?", "did all outlets say 7
guards were hurt?", "which outlet reported the wounded guards?" ask whether *reports* agree on
one detail. ``agreement_ask`` reads the question's parse (spaCy): a comparison word with a noun
for the reports ("do the articles agree"), a quantified one ("all outlets", "every article"), a
question word on one ("which outlet"), or alternatives ("one barge or two", "a barge or
tugboats"). What is compared follows from the question: a count ("how many", a number), who a
claim is credited to ("which outlet"), a date ("when", "the date"), else what a thing was
("barge", "tugboat attack"); a yes/no question also proposes a clause on which reports may take
opposite stances (``answering.stance``). The words for reports and for comparing are English
vocabulary in ``answering/data/agreement_words.json``, not a list fitted to a corpus.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from answering.asking import about_reports, inner_question, proposition, value_kinds, words
from answering.facts import Kind, cached_facts, nlp
from answering.quantities import claim_of, modifiers, number_value

if TYPE_CHECKING:
    from spacy.tokens import Token


@dataclass(frozen=True, slots=True)
class Ask:
    """What an agreement question compares."""

    kinds: frozenset[Kind]  # the fact kinds compared
    nouns: frozenset[str]  # lemmas the asked detail is about ("guard", "barge", "attack")
    values: frozenset[str]  # alternatives the question names ("tugboat", "barge", "1", "2")
    focus: frozenset[str]  # the question's content lemmas, without report and comparison words
    claim_verbs: frozenset[str] = frozenset()  # "which outlet reported ...": report
    # a count: what is said of the counted thing ("how many people were hurt?": hurt), so only
    # counts of the same claim are compared ("injured 19", not "employs 9,000")
    claim: frozenset[str] = frozenset()
    # the kinds of value the question asks the reports for ("what time ...?": time), compared in
    # the sentences that answer it (``answering.agreement.value_facts``)
    asked_values: frozenset[str] = frozenset()
    # a count: the other things the question places it by ("in the 2023 rockfall": rockfall,
    # 2023); a count in a sentence without any of them is of another event
    context: frozenset[str] = frozenset()
    # a yes/no question: the lemmas of what it proposes ("whether a steering problem caused the
    # grounding"), on which reports may take opposite stances (``answering.stance``)
    proposition: frozenset[str] = frozenset()


def _lemma(tok: Token) -> str:
    return tok.lemma_.lower()


def word(tok: Token) -> str:
    """The lemma, or a number's value ("seven" and "7" -> "7")."""
    if tok.like_num and (value := number_value([tok])) is not None:
        return str(value)
    return tok.lemma_.lower()


@cache
def _may_ask() -> re.Pattern[str]:
    """A first look without the parser: a word for reports or for comparing, or an "or"."""
    w = words()
    prefixes = sorted({x[: max(4, len(x) - 2)] for x in w.sources | w.comparison if x.isalpha()})
    return re.compile(r"\bor\b|\bevery(?:one|body)\b|\b(?:" + "|".join(map(re.escape, prefixes)) + ")", re.I)


@lru_cache(maxsize=1024)
def agreement_ask(question: str) -> Ask | None:
    """What the question asks reports to agree on, or None if it does not ask that."""
    if not _may_ask().search(question):
        return None  # most questions: no parse (an LLM answerer may not load spaCy at all)
    w = words()
    doc = nlp()(question)
    sources = [t for t in doc if t.pos_ in ("NOUN", "PROPN") and _lemma(t) in w.sources]
    compares = any(_lemma(t) in w.comparison or t.lower_ in w.comparison for t in doc)
    quantified = any(
        c.lower_ in w.quantifiers and c.dep_ in ("det", "predet", "amod", "nummod")
        for t in sources
        for c in t.children
    ) or any(  # "all of the articles"
        t.lower_ in w.quantifiers and t.dep_ != "det" and any(c.lower_ == "of" for c in t.children)
        for t in doc
        if any(_lemma(x) in w.sources for x in t.subtree)
    )
    which_source = any(c.tag_ in ("WDT", "WP") and c.dep_ == "det" for t in sources for c in t.children) or any(
        t.tag_ in ("WDT", "WP") and t.head in sources for t in doc
    )
    alternatives = _alternatives(doc)
    if not ((compares and sources) or quantified or which_source or alternatives or about_reports(doc)):
        return None
    skip = w.sources | w.comparison | w.quantifiers | w.counts
    focus = frozenset(
        word(t)
        for t in doc
        if t.pos_ in ("NOUN", "PROPN", "VERB", "ADJ", "NUM") and not t.is_stop and _lemma(t) not in skip
    )
    nouns = {_lemma(t) for t in doc if t.pos_ in ("NOUN", "PROPN") and _lemma(t) not in skip}
    nouns -= w.dates
    numbers = [
        t for t in doc if t.like_num and t.ent_type_ not in ("DATE", "TIME", "MONEY", "PERCENT", "ORDINAL")
    ]
    lowered = question.lower()
    kinds: frozenset[Kind]
    claim_verbs: frozenset[str] = frozenset()
    claim: frozenset[str] = frozenset()
    context: frozenset[str] = frozenset()
    if which_source:
        kinds = frozenset({"attribution"})
        # the verbs whose subject is the asked outlet ("which outlet reported ...")
        claim_verbs = frozenset(_lemma(t.head) for t in sources if t.dep_ in ("nsubj", "nsubjpass"))
    elif "how many" in lowered or "how much" in lowered or numbers or any(_lemma(t) in w.counts for t in doc):
        kinds = frozenset({"number"})
        heads = [t.head for t in numbers if t.dep_ == "nummod"]
        heads += [t.head for t in doc if t.lower_ in ("many", "much") and t.head.pos_ == "NOUN"]
        heads += [  # "the number of wounded guards": guards
            o
            for t in doc
            if _lemma(t) in w.counts
            for p in t.children
            if p.lower_ == "of"
            for o in p.children
            if o.dep_ == "pobj"
        ]
        # "how many crew members": members, and crew (a count of "21 crew" counts them too)
        counted = {_lemma(t) for t in heads} | {
            _lemma(c) for t in heads for c in t.children if c.dep_ == "compound" and c.pos_ == "NOUN"
        }
        nouns = (counted - skip) or nouns
        said: set[str] = set()
        for t in heads:
            said |= claim_of(t)[0] | modifiers(t)
        said -= {_lemma(t) for t in doc if t.ent_type_ or t.pos_ == "PROPN"}  # a name is not a claim
        # not the question's own quantifier ("how many", "how much")
        claim = frozenset(said - skip - nouns - w.sources - w.comparison - {"many", "much", "few"})
        context = frozenset(
            word(t)
            for t in doc
            if t.pos_ in ("NOUN", "NUM")
            and not t.is_stop
            and t.ent_type_ not in ("DATE", "TIME")
            and _lemma(t) not in skip | nouns | claim | w.dates
        )
    elif any((_lemma(t) in w.dates or t.lower_ in w.dates) and not _sets_the_time(t) for t in doc):
        kinds = frozenset({"date"})
    else:
        kinds = frozenset({"thing", "target"})
        if any(t.lower_ in ("who", "whom", "whose") or _lemma(t) in ("name", "spell") for t in doc):
            kinds |= {"name"}  # "who is the spokesman?", "is his name given the same way?"
        # what a thing was is asked where the question names what it was: a kind ("a barge
        # attack": both words), a predicate noun ("it was a barge"), a by-what ("by a barge"),
        # or alternatives; not a thing it only mentions ("the attack targeted his residence")
        named: set[str] = set()
        for t in doc:
            if t.pos_ not in ("NOUN", "PROPN") or _lemma(t) in skip:
                continue
            if t.dep_ == "compound" and t.pos_ == "NOUN" and t.head.pos_ == "NOUN":
                if any(_lemma(c) in w.comparison for c in t.head.children):
                    continue  # "the same union spokeswoman": who she is, not what kind
                named |= {_lemma(t), _lemma(t.head)}
            elif t.dep_ in ("attr", "acomp") or (t.dep_ == "pobj" and t.head.lower_ == "by"):
                named.add(_lemma(t))
        alternatives |= named
    if "number" in kinds:  # the counts the question states ("did all say 7 guards?")
        alternatives |= {str(v) for t in numbers if (v := number_value([t])) is not None}
    values = frozenset(alternatives)
    asked = inner_question(question) or question
    asked_values = value_kinds(asked) if not which_source else frozenset()
    if not asked_values and not which_source:  # "do the estimates of the salvage bill match?"
        named_values = words().value_nouns
        asked_values = frozenset(k for t in doc if t.pos_ == "NOUN" for k in named_values.get(_lemma(t), ()))
    if "number" in kinds and not asked.lower().startswith("how much"):
        asked_values = frozenset()  # a count of something ("the number of wounded guards")
    if "date" in kinds:  # a date is compared as a date; a time of day as a value
        clock = re.search(r"\b(?:time|when)\b", asked.lower()) is not None
        asked_values = frozenset({"time", "time of day"}) if clock else frozenset()
    if asked_values:
        kinds |= {"value"}
    return Ask(
        kinds,
        frozenset(nouns),
        values,
        focus - claim_verbs,
        claim_verbs,
        claim,
        asked_values,
        context,
        proposition(question) if not which_source else frozenset(),
    )


def _alternatives(doc: object) -> set[str]:
    """The alternatives of "X or Y" when they are things or counts: "a barge or tugboats" ->
    barge, tugboat; "one barge or two (barges)" -> 1, 2."""
    from spacy.tokens import Doc

    assert isinstance(doc, Doc)
    out: set[str] = set()
    for tok in doc:
        if not any(c.dep_ == "cc" and c.lower_ == "or" for c in tok.children):
            continue
        group = [tok, *tok.conjuncts]
        counts = [c for t in group for c in t.children if c.dep_ == "nummod"]
        if tok.like_num:  # "one barge or two": the counts of one noun
            counts += [t for t in group if t.like_num]
            counts += [c for c in tok.head.children if c.dep_ == "nummod" and c not in counts]
        if len(counts) >= 2:
            out |= {str(v) for c in counts if (v := number_value([c])) is not None}
        elif len(group) >= 2 and all(t.pos_ in ("NOUN", "PROPN") for t in group):
            out |= {_lemma(t) for t in group}
    return out


def slot_words(ask: Ask, texts: Sequence[str]) -> list[str]:
    """What the things the question names are values of, in these texts: "barge" in "a barge
    attack" or "an attack by a barge" -> "attack". The other side is found by these words
    ("a tugboat attack"), not by the question's ("was it a barge?")."""
    if "thing" not in ask.kinds or not ask.values:
        return []
    from index.chunking import sentence_spans

    prefixes = [re.escape(v[: max(4, len(v) - 2)]) for v in sorted(ask.values) if v.isalpha()]
    if not prefixes:
        return []
    named = re.compile(r"\b(?:" + "|".join(prefixes) + r")", re.I)
    found: dict[str, None] = {}
    for text in texts:
        for start, end in sentence_spans(text):
            sentence = text[start:end]
            if not named.search(sentence):
                continue
            for f in cached_facts(sentence, None):
                if f.kind == "thing" and f.value in ask.values:
                    found.setdefault(f.slot)
    return list(found)


def _sets_the_time(t: Token) -> bool:
    """A date word that only places something else in time ("was the drop in the share price
    on the day of the collapse the same?"): the object of a preposition on a noun or on "be",
    not on a verb ("do they agree on the day", "did all say it collapsed on Monday") and not
    what is compared ("is the date the same")."""
    return t.dep_ == "pobj" and t.head.dep_ == "prep" and t.head.head.pos_ != "VERB"
