"""Do the cited reports agree on a checkable detail, or differ? (pure; spaCy for the parse)

Given the excerpts an answer cites, with their outlet and date, each excerpt is parsed into
*facts* (``answering.facts``), each a slot and a value:

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

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from answering.facts import WEEKDAYS, Fact, Kind, cached_facts, facts, nlp, parse, reported_by
from answering.models import Citation
from answering.quantities import Similar, exact, same_quantity

__all__ = [
    "Agreement",
    "Consensus",
    "Difference",
    "Fact",
    "Kind",
    "Side",
    "cached_facts",
    "compare",
    "facts",
    "nlp",
    "parse",
    "reported_by",
]


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
    if d.kind == "name":
        return " on the name"
    if d.kind == "target":
        return f" on who was {d.slot}ed" if not d.slot.endswith("e") else f" on who was {d.slot}d"
    return f" on the {d.slot}" if d.slot else ""


def _who(c: Citation | None) -> str:
    if c is None:
        return ""
    meta = ", ".join(x for x in (c.source, c.published) if x)
    return f" ({meta})" if meta else ""


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
    ``answering.agreement_question.agreement_ask``); ``counted``: the things a question counts, for which
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
    if "name" in wanted and kinds is not None and (spelled := _spellings(per, cites)) is not None:
        differences.append(spelled)
    # "Reported by N outlets" counts the outlets whose excerpts say the same thing as another
    # outlet's (a shared count or date, or the same claim), not every outlet cited
    same = {n for a in agreed for n in a.citations}
    for i, a in enumerate(cites):
        for b in cites[i + 1 :]:
            if (a.source or a.doc_id) != (b.source or b.doc_id) and _corroborates(a, b, per[a.n], per[b.n]):
                same |= {a.n, b.n}
    corroborating = tuple(dict.fromkeys(c.source or c.doc_id for c in cites if c.n in same))
    return Agreement(tuple(differences), tuple(agreed), corroborating, tuple(cites))


def _spellings(per: dict[int, list[Fact]], cites: Sequence[Citation]) -> Difference | None:
    """One person's name written two ways by different articles ("Anders Berg" / "Anders
    Bergh", "Peter Voss" / "Pieter Vos"): every word the same or a near spelling. Different
    people ("Anders Berg" / "Fiona Marchetti") and a shorter form ("Haskell" / "Martin
    Haskell") are not a difference."""
    names = [(n, f) for n, fs in per.items() for f in fs if f.kind == "name"]
    for i, (n, a) in enumerate(names):
        for m, b in names[i + 1 :]:
            if _doc_of(cites, n) != _doc_of(cites, m) and _variant(a.value, b.value):
                return Difference("name", "", (Side(a.value, a.surface, (n,)), Side(b.value, b.surface, (m,))))
    return None


def _variant(a: str, b: str) -> bool:
    from difflib import SequenceMatcher

    wa, wb = a.split(), b.split()
    if a == b or set(wa) <= set(wb) or set(wb) <= set(wa):
        return False
    if len(wa) != len(wb) and min(len(wa), len(wb)) > 1:
        return False
    pairs = list(zip(reversed(wa), reversed(wb), strict=False))  # surname with surname
    return all(
        x == y or (x[0] == y[0] and min(len(x), len(y)) >= 3 and SequenceMatcher(None, x, y).ratio() >= 0.75)
        for x, y in pairs
    )


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
