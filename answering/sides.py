"""Agreement questions: which detail is asked about, and the sentences of each side.

"Do the reports agree it was a barge?", "was it one barge or two?", "did all outlets say 7
guards were hurt?", "which outlet reported the wounded guards?" ask whether *reports* agree on
one detail. An answer must then quote that detail from several articles, so that
``answering.agreement.compare`` sees both sides when there are two, and "reported by N
outlets" when there is one. Picking the most likely sentences one by one does not do that: the
best few often come from one article.

``agreement_ask`` reads the question's parse (spaCy): a comparison word with a noun for the
reports ("do the articles agree"), a quantified one ("all outlets", "every article"), a
question word on one ("which outlet"), or alternatives ("one barge or two", "a barge or
tugboats"). What is compared follows from the question: a count ("how many", a number), who a
claim is credited to ("which outlet"), a date ("when", "the date"), else what a thing was
("barge", "tugboat attack"). The words for reports and for comparing are English vocabulary in
``answering/data/agreement_words.json``, not a list fitted to a corpus.

``gather`` then takes, from the answerer's candidate sentences, those that fill the asked
detail (``answering.agreement.facts``), picks the detail filled by the most articles, and
quotes the best sentence of one article, then the best sentence of each article that says
something else, then of articles that agree, a few sentences in all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from answering.agreement import WEEKDAYS, Fact, Kind, cached_facts, nlp, parse, reported_by
from answering.asking import about_reports, inner_question, proposition, value_kinds, words
from answering.quantities import (
    NUMBER_WORDS,
    Similar,
    claim_of,
    exact,
    modifiers,
    number_value,
    same_quantity,
)

if TYPE_CHECKING:
    from spacy.tokens import Token

MAX_SIDES = 4  # sentences an agreement answer quotes
MAX_CHARS = 800
PARSE_BUDGET = 40  # candidate sentences parsed per question (spaCy, ~2-3 ms each; cached)


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


def _word(tok: Token) -> str:
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
        _word(t)
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
            _word(t)
            for t in doc
            if t.pos_ in ("NOUN", "NUM")
            and not t.is_stop
            and t.ent_type_ not in ("DATE", "TIME")
            and _lemma(t) not in skip | nouns | claim | w.dates
        )
    elif any(_lemma(t) in w.dates or t.lower_ in w.dates for t in doc):
        kinds = frozenset({"date"})
    else:
        kinds = frozenset({"thing", "target"})
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


# --- choosing the sides --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sentence:
    """A candidate sentence as ``gather`` needs it."""

    text: str
    doc_id: str
    published: str | None
    score: float  # how likely it answers (the answerer's probability)


def relevant(
    ask: Ask,
    sentence_facts: Sequence[Fact],
    text_lemmas: frozenset[str],
    slots: frozenset[str] = frozenset(),
    text: str = "",
    similar: Similar = exact,
    answers: bool = False,
) -> dict[str, frozenset[str]]:
    """slot -> values of the asked detail that the sentence states ({} if it states none).
    ``slots``: the thing slots the question names a value of; ``text``: the sentence, where a
    question word may be written with another ending ("injured" / "injuries")."""
    keys = ask.values | slots
    out: dict[str, set[str]] = {}
    shares_focus = bool(text_lemmas & ask.focus) or _mentions(ask.focus, text)
    # a count of something else said about what the question asks ("seven of the personnel
    # were wounded" for "how many guards were wounded?"), or the count the question states
    shares_claim = bool(text_lemmas & (ask.focus - ask.nouns)) or _mentions(ask.focus - ask.nouns, text)
    for f in sentence_facts:
        if f.kind not in ask.kinds:
            continue
        if f.kind == "number":
            if f.role == "a" and f.slot not in ask.nouns:
                continue  # "a barge" counts one barge only when barges are counted
            if ask.context and not (text_lemmas & ask.context or _mentions(ask.context, text)):
                continue  # "four workers were injured escaping the collapse": not the 2023 rockfall
            if ask.claim and f.role != "a":
                # a count of the asked thing that says what the question asks of it
                same = same_quantity(ask.nouns, ask.claim, f.nouns, f.claim, similar)
            else:
                same = f.slot in ask.nouns or (f.role != "a" and shares_claim)
            if same:
                out.setdefault(next(iter(sorted(ask.nouns))) if ask.nouns else "", set()).add(f.value)
        elif f.kind == "thing":
            if f.slot in keys or f.value in ask.values:
                out.setdefault(f.slot, set()).add(f.value)
        elif f.kind == "attribution":
            if shares_focus:
                out.setdefault("", set()).add(f.value)
        elif f.kind == "date":
            if f.role == "weekday" and not ask.focus & {"day", *WEEKDAYS}:
                continue  # "on Monday": a side only when the question asks which day
            if shares_focus or f.slot in ask.focus:
                out.setdefault("", set()).add(f.value)
        elif f.kind == "target" and f.slot in ask.focus:
            out.setdefault(f.slot, set()).add(f.value)
        elif f.kind == "value" and f.slot.split(":")[0] in ask.asked_values:
            # a value of what the sentence answers, or said beside the thing the question asks
            # about ("a 20-centimetre borehole" for "was the borehole the same width?")
            if answers or (text and _said_of(text, f.surface, ask.nouns)):
                out.setdefault(f.slot, set()).add(f.value)
    return {k: frozenset(v) for k, v in out.items()}


def gather(
    ask: Ask,
    sentences: Sequence[Sentence],
    *,
    limit: int = MAX_SIDES,
    max_chars: int = MAX_CHARS,
    similar: Similar = exact,
    floor: float = 0.5,
) -> list[int]:
    """Indices of the sentences to quote, best first: one side, then each article that says
    otherwise, then articles that agree. [] when fewer than two articles state the detail.
    ``floor``: the score from which a sentence answers the question, for values it asks for
    (a time, an amount) in sentences that say them of something else."""
    ranked = sorted(range(len(sentences)), key=lambda i: -sentences[i].score)
    ranked = [i for i in ranked if sentences[i].score > 0]
    # Only sentences with a word of the question (or, for a count, a number) are parsed, the
    # best PARSE_BUDGET by score: the other side may be a sentence the answerer scores low.
    asked = stems(ask.focus | ask.values)
    counts = _NUMBER_RE if "number" in ask.kinds or "value" in ask.kinds else None
    named = _by_article(
        [
            i
            for i in ranked
            if (asked is not None and asked.search(sentences[i].text))
            or (counts is not None and counts.search(sentences[i].text))
        ],
        sentences,
    )[:PARSE_BUDGET]
    facts = {i: _facts(ask, sentences[i]) for i in named}
    # the slots whose value the question names: "barge" names the slot of "barge attack", so
    # "tugboat attack" fills it too
    slots = frozenset(
        f.slot for fs in facts.values() for f in fs if f.kind == "thing" and f.value in ask.values
    )
    about = stems(slots)
    more = [i for i in ranked if i not in facts and about is not None and about.search(sentences[i].text)]
    for i in _by_article(more, sentences)[: PARSE_BUDGET // 2]:
        facts[i] = _facts(ask, sentences[i])
    order = [i for i in ranked if i in facts]
    fills: dict[int, dict[str, frozenset[str]]] = {}
    for i in order:
        got = relevant(
            ask,
            facts[i],
            _lemmas(sentences[i].text),
            slots,
            sentences[i].text,
            similar,
            sentences[i].score >= floor,
        )
        if got:
            fills[i] = got
    by_slot: dict[str, list[int]] = {}
    for i in order:
        for slot in fills.get(i, {}):
            by_slot.setdefault(slot, []).append(i)
    if not by_slot:
        return []

    def weight(slot: str) -> tuple[int, int, int, float]:
        """The detail asked about: the slot most articles give a value the question names
        ("barge" in "a barge attack"), then the one most articles fill."""
        holders = by_slot[slot]
        return (
            len({sentences[i].doc_id for i in holders if fills[i][slot] & ask.values}),
            len({sentences[i].doc_id for i in holders}),
            int(slot in ask.nouns),
            max(sentences[i].score for i in holders),
        )

    slot = max(sorted(by_slot), key=weight)
    holders = by_slot[slot]  # best first
    if len({sentences[i].doc_id for i in holders}) < 2:
        return []
    chosen = [holders[0]]
    seen_docs = {sentences[holders[0]].doc_id}
    seen_texts = {_norm(sentences[holders[0]].text)}
    said = set(fills[holders[0]][slot])
    length = len(sentences[holders[0]].text)

    def take(i: int) -> bool:
        nonlocal length
        s = sentences[i]
        if len(chosen) >= limit or s.doc_id in seen_docs or _norm(s.text) in seen_texts:
            return False
        if length + len(s.text) > max_chars:
            return False
        chosen.append(i)
        seen_docs.add(s.doc_id)
        seen_texts.add(_norm(s.text))
        length += len(s.text)
        return True

    for i in holders:  # each other side: an article whose values share none of those quoted
        if not fills[i][slot] & said and take(i):
            said |= fills[i][slot]
    for i in holders:  # then articles that say the same
        take(i)
    return chosen


def corroborate(
    sentences: Sequence[Sentence], floor: float, *, limit: int = 3, max_chars: int = MAX_CHARS
) -> list[int]:
    """An agreement question with no checkable detail to compare ("do the reports agree he
    was unharmed?"): the best sentence, then the best of each other article that answers as
    well (score at least ``floor``, the answerer's own threshold), so the answer says how many
    articles report it. [] when fewer than two articles reach ``floor`` (the answerer's own
    answer is better then)."""
    order = sorted(range(len(sentences)), key=lambda i: -sentences[i].score)
    if not order or sentences[order[0]].score < floor:
        return []
    chosen: list[int] = []
    docs: set[str] = set()
    texts: set[str] = set()
    length = 0
    for i in order:
        s = sentences[i]
        if len(chosen) >= limit or s.score < floor:
            break
        if s.doc_id in docs or _norm(s.text) in texts or length + len(s.text) > max_chars:
            continue
        chosen.append(i)
        docs.add(s.doc_id)
        texts.add(_norm(s.text))
        length += len(s.text)
    return chosen if len(chosen) >= 2 else []


def _said_of(text: str, surface: str, nouns: frozenset[str], steps: int = 3) -> bool:
    """The value written ``surface`` in ``text`` belongs to one of ``nouns`` in the parse: "a
    20-centimetre borehole", "the borehole, about 15 centimetres wide" (borehole); not "on Level 7
    of the mine, roughly 640 metres below the surface" (mine)."""
    from spacy.tokens import Doc

    start = text.find(surface)
    if start < 0 or not nouns:
        return False
    doc = parse(text)
    assert isinstance(doc, Doc)
    end = start + len(surface)
    for tok in doc:
        if not start <= tok.idx < end:
            continue
        t = tok
        for _ in range(steps):
            if t.head.i == t.i:
                break
            t = t.head
            if start <= t.idx < end or t.pos_ not in ("NOUN", "PROPN"):
                continue
            if t.lemma_.lower() in nouns:
                return True
    return False


def _facts(ask: Ask, s: Sentence) -> tuple[Fact, ...]:
    return cached_facts(s.text, s.published) + tuple(reported_by(s.text, ask.claim_verbs))


def _by_article(order: list[int], sentences: Sequence[Sentence]) -> list[int]:
    """The sentences in turns, one article at a time (each article's best first), so a parse
    budget reaches every article: the other side is often a sentence the answerer scores low."""
    queues: dict[str, list[int]] = {}
    for i in order:
        queues.setdefault(sentences[i].doc_id, []).append(i)
    out: list[int] = []
    for turn in range(max((len(q) for q in queues.values()), default=0)):
        out += [q[turn] for q in queues.values() if turn < len(q)]
    return out


_NUMBER_RE = re.compile(r"\d|\b(?:" + "|".join(NUMBER_WORDS) + r")\b", re.I)


@lru_cache(maxsize=256)
def stems(words: frozenset[str]) -> re.Pattern[str] | None:
    """Matches the words with any ending ("attack" -> attacks, attacked; "wound" -> wounded)."""
    alpha = sorted(w for w in words if w.isalpha() and len(w) > 2)
    if not alpha:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(w[: max(4, len(w) - 2)]) for w in alpha) + r")", re.I)


def _mentions(words: frozenset[str], text: str) -> bool:
    pattern = stems(words) if text else None
    return pattern is not None and pattern.search(text) is not None


@lru_cache(maxsize=4096)
def _lemmas(text: str) -> frozenset[str]:
    from spacy.tokens import Doc

    doc = parse(text)
    assert isinstance(doc, Doc)
    return frozenset(_word(t) for t in doc if not t.is_punct and (t.like_num or not t.is_stop))


def _norm(text: str) -> str:
    return " ".join(text.lower().split())
