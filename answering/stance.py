"""Yes or no: does a report state what a yes/no agreement question proposes, or deny it?

"Do the reports agree on whether a steering problem caused the grounding?" proposes "a steering
problem caused the grounding". One report says "there may have been a problem with the ship's
steering system", another that investigators "found no fault in the ferry's steering system":
they differ, though no count, time or name differs. A sentence *takes a stance* on the
proposition when it names enough of its words (the same lemma, or a close word vector:
"fault" ~ "problem"), and it *denies* it when the clause naming them is negated ("not", "no
fault", "never") or its verb is one that denies (``negating_verbs`` in
``answering/data/agreement_words.json``: "deny", "rule out", general English). Grammar and word
vectors only; nothing fitted to a corpus.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from answering.agreement import Agreement, Difference, Side, parse
from answering.asking import words
from answering.models import Citation
from answering.quantities import Similar, exact
from answering.sides import MAX_CHARS, MAX_SIDES, PARSE_BUDGET, Sentence, stems

if TYPE_CHECKING:
    from spacy.tokens import Token

# a word of the sentence stands for a word of the proposition at this cosine (single-word
# MiniLM vectors: problem/fault 0.47, problem/defect 0.51, problem/issue 0.83,
# seismic/earthquake 0.76; arrest/comment 0.19); one of the words named must be the same lemma
CLOSE = 0.45
_CONTENT = ("NOUN", "PROPN", "VERB", "ADJ")
_NEGATORS = frozenset({"not", "n't", "no", "never", "nobody", "none", "nothing", "neither", "nor", "without"})
_STEPS = 6


@dataclass(frozen=True, slots=True)
class Stance:
    """What one sentence says of the proposition."""

    denies: bool
    surface: str  # the clause that says it, as written


def stance(text: str, keys: frozenset[str], similar: Similar = exact) -> Stance | None:
    """Whether the sentence states (``denies`` False) or denies the proposition whose lemmas are
    ``keys``; None when it does not name enough of them (two, or the only one)."""
    from spacy.tokens import Doc

    if not keys:
        return None
    doc = parse(text)
    assert isinstance(doc, Doc)
    content = [t for t in doc if t.pos_ in _CONTENT and not t.is_stop and t.is_alpha]
    named: dict[str, Token] = {}
    for key in keys:  # the same lemma first, then the closest word
        same = [t for t in content if t.lemma_.lower() == key]
        if same:
            named[key] = same[0]
    if not named:
        return None
    for key in keys - set(named):
        close = [(similar(t.lemma_.lower(), key), t) for t in content]
        best = max(close, key=lambda x: x[0], default=(0.0, None))
        if best[1] is not None and best[0] >= CLOSE:
            named[key] = best[1]
    if len(named) < min(2, len(keys)):
        return None
    if any(_asked(t) for t in named.values()):
        return None  # "too early to say what had caused the grounding": no stance
    # a verb that denies ("rejected any role in the attack on the prime minister") denies the
    # proposition only when the sentence names all of it (but one word of a long one)
    whole = len(named) >= len(keys) - (len(keys) > 3)
    for tok in named.values():
        if _denied(tok, keys, similar, whole):
            return Stance(True, _clause(tok))
    return Stance(False, _clause(next(iter(named.values()))))


def _denied(tok: Token, keys: frozenset[str], similar: Similar, whole: bool = True) -> bool:
    """The clause naming ``tok`` denies it: a negative determiner on the way to its verb ("found
    no fault in the steering system"); its verb negated where that verb is the proposition's own
    ("did not cause"), a copula ("was not a fire") or denies existence ("has not identified
    any defect", "no one was hurt"); or a verb that denies ("denied that", "ruled out") above."""
    path = [tok]
    while path[-1].pos_ not in ("VERB", "AUX") and path[-1].head.i != path[-1].i and len(path) < _STEPS:
        path.append(path[-1].head)
    if any(  # "no steering problem", "no fault in ...": a negated word of the proposition
        c.dep_ == "det" and c.lower_ in _NEGATORS and _close(t, keys, similar)
        for t in path[:-1]
        for c in t.children
    ):
        return True
    if tok.dep_ == "det" and tok.lower_ in _NEGATORS:
        return True
    verb = path[-1]
    if verb.pos_ not in ("VERB", "AUX"):
        return False
    objects = [c for c in verb.children if c.dep_ in ("dobj", "attr")]
    if any(  # "found no fault in the steering system": none of what the proposition names
        any(d.dep_ == "det" and d.lower_ in _NEGATORS for d in c.children) and _close(c, keys, similar)
        for c in objects
    ):
        return True
    subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass", "expl")]
    negated = any(c.dep_ == "neg" for c in verb.children) or any(
        c.lower_ in _NEGATORS or any(d.dep_ == "det" and d.lower_ in _NEGATORS for d in c.children)
        for c in subjects
    )
    if negated:
        lemma = verb.lemma_.lower()
        own = lemma in ("be", "have") or _close(verb, keys, similar)
        none = any(
            d.dep_ == "det" and d.lower_ in ("any", "no") and _close(c, keys, similar)
            for c in objects
            for d in c.children
        )
        if own or none:
            return True
    if not whole:
        return False
    denying = words().negating_verbs
    v: Token | None = verb
    for _ in range(3):  # "denied that the van was theirs": the verb above the clause
        if v is None:
            break
        if v.pos_ in ("VERB", "AUX") and _phrasal(v) & denying:
            return True
        v = v.head if v.head.i != v.i else None
    return False


def _close(tok: Token, keys: frozenset[str], similar: Similar) -> bool:
    lemma = tok.lemma_.lower()
    return any(lemma == k or similar(lemma, k) >= CLOSE for k in keys)


def _asked(tok: Token) -> bool:
    """The word is in an embedded question ("to say what had caused it", "whether it was")."""
    t = tok
    for _ in range(_STEPS):
        if t.pos_ in ("VERB", "AUX"):
            if t.dep_ == "relcl":
                return False  # "a problem that could explain it": a relative clause, not a question
            return any(
                c.tag_ in ("WP", "WDT", "WRB") or (c.dep_ == "mark" and c.lower_ in ("whether", "if"))
                for c in t.children
            )
        if t.head.i == t.i:
            return False
        t = t.head
    return False


def _phrasal(verb: Token) -> set[str]:
    """The verb's lemma, and with its particle ("ruled out" -> "rule out")."""
    lemma = verb.lemma_.lower()
    return {lemma} | {f"{lemma} {c.lower_}" for c in verb.children if c.dep_ == "prt"}


def _clause(tok: Token, most: int = 14) -> str:
    """The clause around ``tok`` as written, at most ``most`` words."""
    t = tok
    while t.pos_ not in ("VERB", "AUX") and t.head.i != t.i:
        t = t.head
    toks = list(t.subtree)
    if len(toks) > most:
        at = max(0, min(tok.i - toks[0].i - most // 2, len(toks) - most))
        toks = toks[at : at + most]
    return tok.doc[toks[0].i : toks[-1].i + 1].text.strip(" ,;\"'")


def stance_sides(
    keys: frozenset[str],
    sentences: Sequence[Sentence],
    similar: Similar = exact,
    *,
    limit: int = MAX_SIDES,
    max_chars: int = MAX_CHARS,
) -> list[int]:
    """Indices of the sentences to quote when reports take opposite stances on the proposition:
    the best sentence taking a stance, the best of another article taking the other, then the
    best of other articles; [] unless both stances are taken, by different articles."""
    pattern = stems(keys)
    if pattern is None:
        return []
    ranked = sorted(
        (i for i, s in enumerate(sentences) if s.score > 0 and pattern.search(s.text)),
        key=lambda i: -sentences[i].score,
    )[:PARSE_BUDGET]
    said = {i: st for i in ranked if (st := stance(sentences[i].text, keys, similar)) is not None}
    order = [i for i in ranked if i in said]
    if not order:
        return []
    first = order[0]
    other = next(
        (
            i
            for i in order
            if said[i].denies != said[first].denies and sentences[i].doc_id != sentences[first].doc_id
        ),
        None,
    )
    if other is None:
        return []
    chosen = [first, other]
    docs = {sentences[first].doc_id, sentences[other].doc_id}
    length = len(sentences[first].text) + len(sentences[other].text)
    for i in order:
        s = sentences[i]
        if len(chosen) >= limit or s.doc_id in docs or length + len(s.text) > max_chars:
            continue
        chosen.append(i)
        docs.add(s.doc_id)
        length += len(s.text)
    return chosen


def with_stances(
    agreement: Agreement, citations: Sequence[Citation], keys: frozenset[str], similar: Similar = exact
) -> Agreement:
    """``agreement`` with a difference where excerpts of different articles state and deny the
    proposition whose lemmas are ``keys`` (``proposition``)."""
    held: dict[bool, list[tuple[int, str, str]]] = {False: [], True: []}
    for c in citations:
        if c.excerpt.strip() and (st := stance(c.excerpt, keys, similar)) is not None:
            held[st.denies].append((c.n, c.doc_id, st.surface))
    docs = {denies: {d for _, d, _ in hs} for denies, hs in held.items()}
    if not any(a != b for a in docs[False] for b in docs[True]):  # one article saying both
        return agreement
    sides = tuple(
        Side(
            "denies" if denies else "states",
            f"“{held[denies][0][2]}”",
            tuple(n for n, _, _ in held[denies]),
        )
        for denies in (False, True)
    )
    return replace(agreement, differences=(*agreement.differences, Difference("stance", "", sides)))
