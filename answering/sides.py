"""Agreement questions: the sentences of each side.

An agreement question (``answering.agreement_question.agreement_ask``) asks whether *reports*
agree on one detail. An answer must then quote that detail from several articles, so that
``answering.agreement.compare`` sees both sides when there are two, and "reported by N
outlets" when there is one. Picking the most likely sentences one by one does not do that: the
best few often come from one article.

``gather`` takes, from the answerer's candidate sentences, those that fill the asked detail
(``answering.facts``), picks the detail filled by the most articles, and quotes the best
sentence of one article, then the best sentence of each article that says something else, then
of articles that agree, a few sentences in all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from answering.agreement_question import Ask, agreement_ask, slot_words, word
from answering.facts import WEEKDAYS, Fact, cached_facts, parse, reported_by
from answering.quantities import NUMBER_WORDS, Similar, exact, same_quantity

if TYPE_CHECKING:
    from spacy.tokens import Token

__all__ = ["Ask", "Sentence", "agreement_ask", "corroborate", "gather", "relevant", "slot_words", "stems"]

MAX_SIDES = 4  # sentences an agreement answer quotes
MAX_CHARS = 800
PARSE_BUDGET = 40  # candidate sentences parsed per question (spaCy, ~2-3 ms each; cached)
SAME_NOUN = 0.5  # a measure said of a noun this close to the question's (ship ~ vessel 0.53, ~ river 0.28)


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
            # "what flag does the ship fly?": a "Liberian-flagged" ship says which
            if f.slot in keys or f.value in ask.values or (f.role == "modifier" and f.slot in ask.nouns):
                out.setdefault(f.slot, set()).add(f.value)
        elif f.kind == "attribution":
            if shares_focus:
                out.setdefault("", set()).add(f.value)
        elif f.kind == "date":
            if f.role == "weekday" and not ask.focus & {"day", *WEEKDAYS}:
                continue  # "on Monday": a side only when the question asks which day
            if shares_focus or f.slot in ask.focus:
                out.setdefault("", set()).add(f.value)
        elif f.kind == "name" and shares_focus:
            out.setdefault("name", set()).add(f.value)
        elif f.kind == "target" and f.slot in ask.focus:
            out.setdefault(f.slot, set()).add(f.value)
        elif f.kind == "value" and f.slot.split(":")[0] in ask.asked_values:
            # a value of what the sentence answers, or said beside the thing the question asks
            # about ("a 20-centimetre borehole" for "was the borehole the same width?")
            # a measure of a near-synonym counts ("a 172-metre vessel" for the ship's length);
            # an age only of the very noun (the captain's age is not "a 21-year-old ship")
            near = similar if f.slot.startswith("measure") else exact
            if answers or (text and _said_of(text, f.surface, ask.nouns, near)):
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

    def weight(slot: str) -> tuple[bool, int, int, int, float]:
        """The detail asked about: a kind of value the question asks for ("the estimates of the
        salvage bill": money) stated by two articles, else the slot most articles give a value
        the question names ("barge" in "a barge attack"), then the one most articles fill."""
        holders = by_slot[slot]
        docs = {sentences[i].doc_id for i in holders}
        return (
            slot.split(":")[0] in ask.asked_values and len(docs) >= 2,
            len({sentences[i].doc_id for i in holders if fills[i][slot] & ask.values}),
            len(docs),
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


def _said_of(text: str, surface: str, nouns: frozenset[str], similar: Similar = exact, steps: int = 3) -> bool:
    """The value written ``surface`` in ``text`` belongs to one of ``nouns`` in the parse: "a
    20-centimetre borehole", "the borehole, about 15 centimetres wide" (borehole), or is what
    the verb above it says of its subject ("the salvage operation is expected to cost about £9
    million": salvage, operation); not "on Level 7 of the mine, roughly 640 metres below the
    surface" (mine)."""
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
            if t.pos_ in ("VERB", "AUX"):
                subjects = [c for v in (t, t.head) for c in v.children if c.dep_ in ("nsubj", "nsubjpass")]
                if any(_named(x, nouns, similar) for c in subjects for x in c.subtree if x.i <= c.i):
                    return True
                continue
            if not start <= t.idx < end and _named(t, nouns, similar):
                return True
    return False


def _named(t: Token, nouns: frozenset[str], similar: Similar) -> bool:
    if t.pos_ not in ("NOUN", "PROPN"):
        return False
    lemma = t.lemma_.lower()
    return lemma in nouns or any(similar(lemma, n) >= SAME_NOUN for n in nouns)


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
    return frozenset(word(t) for t in doc if not t.is_punct and (t.like_num or not t.is_stop))


def _norm(text: str) -> str:
    return " ".join(text.lower().split())
