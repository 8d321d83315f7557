"""Who is reported as speaking in one parsed sentence, read off spaCy's dependency parse.

A report is a verb with its subject where the parse has the shape of reported speech: the verb
governs a clause ("she warned *that the data could leak*", `"We will find them," he added`), names
something ("X *called* the attack *an act of terror*"), or the subject
is the object of "according to". Verbs without that shape are kept too (``shape`` False): whether
"condemned" or "said in a statement" is speech is decided later by the verb's meaning
(``answering.speakers``). Nothing here is a list of verbs.

The speaker is recorded as the parse gives it: a name (an entity), a pronoun, or a noun phrase
("the ministry's spokesman"), with the title words written with a name ("Prime Minister Tom
Hale", "Saad Maan, the ministry's spokesman,") so a later "the minister said" can be resolved.
Resolution across an article is ``answering.speakers``'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

# Labels of speakers with names: people, bodies, countries and peoples ("Iran said").
SPEAKER_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP"})
# Personal pronouns a speaker may be written as; "I"/"we" speak inside their own quotation.
_PRONOUNS = frozenset({"he", "she", "they", "it"})
# Courtesy titles that say a person's gender (English grammar, not a topic list).
_FEMININE = frozenset({"ms", "mrs", "miss", "madam"})
_MASCULINE = frozenset({"mr", "sir"})
_CLAUSE_DEPS = frozenset({"ccomp", "parataxis"})
# Prepositions that say whom someone speaks for: "a spokesperson for the hospital", "X of the union".
_OF_PREPOSITIONS = frozenset({"for", "of", "at", "from"})
# Verbs that are mostly auxiliaries: never a report of their own ("what did the office say").
_AUXILIARIES = frozenset({"be", "do", "have"})
_NOT_NAME_WORDS = frozenset({"DET", "ADP", "CCONJ", "PART", "PUNCT"})
_QUOTE_MARKS = frozenset({'"', "\u201c", "\u201d", "\u00ab", "\u00bb"})  # not "\u2019": "the city\u2019s"
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})  # a passive one is replaced by its agent


@dataclass(frozen=True, slots=True)
class Report:
    """A verb and who the sentence says did it, where that may be speech."""

    verb: str  # lemma ("say"; "according" for "according to X")
    shape: bool  # the parse has the shape of reported speech (a clause, a naming, "according to")
    name: str | None  # lower-cased name of the speaker when it is (or has in apposition) an entity
    pronoun: str | None  # he / she / they / it
    words: frozenset[str]  # lower-cased content lemmas and words of the subject phrase
    head: str  # lemma of the subject's head noun ("spokesman", "ministry", "okafor")
    start: int  # character offset of the subject
    plural: bool = False  # the subject is a plural noun ("officials", "residents")


@dataclass(frozen=True, slots=True)
class Mention:
    """A named person or body, with the titles and gender the sentence gives it."""

    name: str  # lower-cased
    label: str
    start: int
    titles: frozenset[str] = frozenset()  # "prime", "minister"; "ministry", "spokesman"
    gender: str | None = None  # "f" / "m" from a courtesy title


def _lemma(tok: Token) -> str:
    return (tok.lemma_ or tok.text).lower().replace("\u2019", "'")


def _content(tok: Token) -> bool:
    return tok.pos_ in ("NOUN", "PROPN", "ADJ", "NUM") and any(ch.isalnum() for ch in tok.text)


def _phrase_words(tok: Token) -> frozenset[str]:
    """Content words of a noun phrase without its clauses ("the ministry's spokesman, who ...")."""
    out: set[str] = set()
    stack = [tok]
    while stack:
        t = stack.pop()
        if _content(t):
            out.add(_lemma(t))
            out.add(t.text.lower().replace("\u2019", "'"))
        stack.extend(
            c
            for c in t.children
            if c.dep_ not in ("relcl", "acl", "punct", "cc", "conj", "prep")
            # "a spokesperson for the hospital", "Paul Greaney, for the prosecution,"
            or (c.dep_ == "prep" and c.lower_ in _OF_PREPOSITIONS)
        )
    out.discard("'s")
    return frozenset(w.replace(".", "") for w in out)


def _entity_of(tok: Token, doc: Doc) -> Span | None:
    for e in doc.ents:
        if e.start <= tok.i < e.end and e.label_ in SPEAKER_LABELS:
            return e
    return None


def _name_of(tok: Token, doc: Doc) -> str | None:
    """The name a subject is, or has in apposition ("The spokesman, Saad Maan, said")."""
    e = _entity_of(tok, doc)
    if e is not None:
        return _key(e)
    for c in tok.children:
        if c.dep_ == "appos":
            e = _entity_of(c, doc)
            if e is not None:
                return _key(e)
    if tok.pos_ == "PROPN":  # a name the recogniser missed ("Okafor told reporters")
        return _key(doc[min([tok.i, *(c.i for c in tok.children if c.dep_ == "compound")]) : tok.i + 1])
    for c in tok.children:  # "Iran's foreign ministry": the body is Iran's
        if c.dep_ == "poss":
            e = _entity_of(c, doc)
            if e is not None and e.label_ != "PERSON":
                return _key(e)
    return None


def _key(span: Span) -> str:
    """A name as its words, lower-cased, without articles, possessives and punctuation:
    "The U.S. Labor Department's" -> "us labor department", "al-Rashid" -> "al rashid"."""
    words = (t.text.lower().replace(".", "") for t in span if t.pos_ not in _NOT_NAME_WORDS)
    return " ".join(w for w in words if any(ch.isalnum() for ch in w))


def _report(verb: Token, subject: Token, doc: Doc, shape: bool, lemma: str | None = None) -> Report:
    pronoun = subject.lower_ if subject.pos_ == "PRON" and subject.lower_ in _PRONOUNS else None
    if pronoun is None and subject.pos_ in ("PRON", "DET", "NUM"):
        # "any of the unions", "one of the officials": who speaks is the noun after "of"
        of = next((c for c in subject.children if c.dep_ == "prep" and c.lower_ == "of"), None)
        noun = next((c for c in of.children if c.dep_ == "pobj"), None) if of is not None else None
        subject = noun or subject
    return Report(
        verb=lemma or _lemma(verb),
        shape=shape,
        name=None if pronoun else _name_of(subject, doc),
        pronoun=pronoun,
        words=frozenset() if pronoun else _phrase_words(subject),
        head=_lemma(subject),
        start=subject.idx,
        plural=subject.tag_ in ("NNS", "NNPS"),
    )


def reports(doc: Doc) -> tuple[Report, ...]:
    """Every verb with a subject (or "according to X") in the sentence, speech-shaped or not."""
    out: list[Report] = []
    quoted = any(t.text in _QUOTE_MARKS for t in doc)
    for tok in doc:
        if tok.lower_ == "according" and tok.dep_ == "prep":
            to = next((c for c in tok.children if c.lower_ == "to"), None)
            obj = next((c for c in to.children if c.dep_ == "pobj"), None) if to is not None else None
            if obj is not None:
                out.append(_report(tok, obj, doc, True, "according"))
            continue
        if tok.pos_ not in ("VERB", "AUX") or tok.lemma_ in _AUXILIARIES:
            continue
        if quoted and _inside_quotes(tok, doc):
            continue  # who acts inside a quotation is what the quoted speaker says
        subject = next((c for c in tok.children if c.dep_ in _SUBJECT_DEPS), None)
        if subject is None and tok.dep_ == "conj" and tok.head.pos_ == "VERB":
            # "Iran condemned the attack and urged calm": the subject of the first verb
            subject = next((c for c in tok.head.children if c.dep_ in _SUBJECT_DEPS), None)
        passive = any(c.dep_ == "auxpass" for c in tok.children)
        if subject is not None and (subject.dep_ == "nsubjpass" or passive):
            # "X was quoted by the paper": the speaker is the agent, if any ("the attack was
            # condemned by Iran"); the passive subject is what was spoken of
            agent = next((c for c in tok.children if c.dep_ == "agent"), None)
            subject = next((c for c in agent.children if c.dep_ == "pobj"), None) if agent is not None else None
        if subject is None or subject.lower_ in ("i", "we", "you"):
            continue
        kids = {c.dep_ for c in tok.children}
        names = "oprd" in kids  # "X called the attack an act of terror" ("took office as" is no naming)
        outside_quote = quoted and tok.dep_ == "ROOT"
        shape = bool(kids & _CLAUSE_DEPS) or names or outside_quote
        out.append(_report(tok, subject, doc, shape))
    return tuple(out)


def _inside_quotes(tok: Token, doc: Doc) -> bool:
    """An odd number of quotation marks before the token: it is inside a quotation; unless it
    reports the clause before it ('It held," said Adeyemi', the end of a quotation opened in an
    earlier sentence)."""
    if sum(1 for t in doc[: tok.i] if t.text in _QUOTE_MARKS) % 2 == 0:
        return False
    reports_before = tok.dep_ == "ROOT" and any(c.dep_ in _CLAUSE_DEPS and c.i < tok.i for c in tok.children)
    return not reports_before


def mentions(doc: Doc) -> tuple[Mention, ...]:
    """Named people and bodies in order, with the titles written with them: before the name
    ("Prime Minister Tom Hale", "Foreign Ministry spokesman Saad Maan") or in apposition ("Saad
    Maan, the ministry's spokesman,"; "the spokesman, Saad Maan,")."""
    out: list[Mention] = []
    for e in doc.ents:
        if e.label_ not in SPEAKER_LABELS:
            continue
        titles: set[str] = set()
        gender = None
        root = e.root
        for c in root.children:
            if c.i >= e.start and c.i < e.end:
                continue
            if c.dep_ == "compound" or (c.dep_ == "amod" and c.i < e.start):
                titles |= _phrase_words(c)
            if c.dep_ == "appos":
                titles |= _phrase_words(c)
        for t in doc[max(0, e.start - 4) : e.start]:  # "Prime Minister" the parser put inside
            if t.dep_ == "compound" and t.head.i in range(e.start, e.end):
                titles |= _phrase_words(t)
        if root.dep_ == "appos" and root.head.pos_ == "NOUN":  # "The spokesman, Saad Maan,"
            titles |= _phrase_words(root.head) - set(_key(e).split())
        for t in doc[max(0, e.start - 2) : e.start + 1]:
            w = t.lower_.rstrip(".")
            if w in _FEMININE:
                gender = "f"
            elif w in _MASCULINE:
                gender = "m"
        name = _key(e)
        titles = {w for w in titles if w not in name.split() and w.rstrip(".") not in _FEMININE | _MASCULINE}
        out.append(Mention(name, e.label_, e.start_char, frozenset(titles), gender))
    return tuple(out)
