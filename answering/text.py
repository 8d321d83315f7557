"""Tokenising and sentence splitting shared by BM25, the extractive answerer and the LLM guard.

Keyword search must find names as users type them: curly and straight apostrophes, case and
possessives are normalised, and "Kata'ib" also matches "Kataib". Sentence spans keep character
offsets so an excerpt can always be quoted verbatim from the stored document.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})
_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_TOKEN = re.compile(r"\w+(?:'\w+)*", re.UNICODE)

STOPWORDS: frozenset[str] = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not now of off on once only or
    other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours
    yourself yourselves also did does according said says tell told please know anything
    something someone there's what's who's s t d ll m o re ve y""".split()
)


def normalize(text: str) -> str:
    """Unicode-normalise and unify apostrophes/quotes (used for matching, never for excerpts)."""
    return unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).translate(_QUOTES)


def strip_control(text: str) -> str:
    """Drop control and invisible formatting characters (they can hide instructions)."""
    return _CONTROL.sub("", text)


def stem(token: str) -> str:
    """A tiny suffix stripper: enough to match denied/deny, attacks/attack, killed/kill."""
    if len(token) <= 3 or token.isdigit():
        return token
    for suffix, repl, min_len in (
        ("ies", "y", 5),
        ("ied", "y", 5),
        ("sses", "ss", 5),
        ("ing", "", 6),
        ("ed", "", 5),
        ("es", "", 6),
        ("s", "", 4),
    ):
        if token.endswith(suffix) and len(token) >= min_len:
            if suffix == "s" and token.endswith(("ss", "us", "is")):
                return token
            return token[: len(token) - len(suffix)] + repl
    return token


def _clean_token(tok: str) -> str:
    if tok.endswith("'s"):
        tok = tok[:-2]
    return tok.strip("_'")


def raw_tokens(text: str) -> list[str]:
    """Lower-cased word tokens with apostrophes unified and possessive 's removed."""
    return [t for t in map(_clean_token, _TOKEN.findall(normalize(text).lower())) if t]


_TERMS: dict[str, str] = {}  # token -> term; bounded below, tokens repeat across a corpus
_MAX_TERMS = 1_000_000


def _term(raw: str) -> str:
    """The index term of one lower-cased token ("" for stop words)."""
    term = _TERMS.get(raw)
    if term is None:
        term = _term_uncached(raw)
        if len(_TERMS) < _MAX_TERMS:
            _TERMS[raw] = term
    return term


def _term_uncached(raw: str) -> str:
    tok = _clean_token(raw)
    if not tok or tok in STOPWORDS:
        return ""
    if "'" in tok:
        return tok.replace("'", "")  # "kata'ib" -> "kataib", however it was typed
    return stem(tok)


def tokenize(text: str) -> list[str]:
    """Index/query terms: stemmed, stop words kept out; "kata'ib" also yields "kataib"."""
    return [t for t in map(_term, _TOKEN.findall(normalize(text).lower())) if t]


def content_terms(text: str) -> set[str]:
    return set(tokenize(text))


@dataclass(frozen=True, slots=True)
class Span:
    """A sentence of a document: ``doc_text[start:end] == text``."""

    start: int
    end: int
    text: str


# Abbreviations after which a full stop does not end a sentence.
_ABBREV = frozenset(
    "mr mrs ms dr prof gen col lt sgt capt st jan feb mar apr jun jul aug sep sept oct nov dec "
    "no vs etc inc ltd co corp jr sr u.s u.k u.n e.g i.e a.m p.m".split()
)
_SENT_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s+|$)|\n\s*")


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Split into sentences (and lines) with absolute offsets; whitespace trimmed from each."""
    spans: list[Span] = []
    start = 0
    for match in _SENT_END.finditer(text):
        end = match.end()
        if not match.group(0).startswith("\n"):
            before = text[start : match.start()]
            last_word = before.rsplit(None, 1)[-1].lower() if before.strip() else ""
            if last_word.rstrip(".") in _ABBREV or re.fullmatch(r"(?:\w\.)+\w?", last_word):
                continue  # "Nov. 7", "U.S. troops"
        _append(spans, text, start, end, offset)
        start = end
    _append(spans, text, start, len(text), offset)
    return spans


def _append(spans: list[Span], text: str, start: int, end: int, offset: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped or not any(ch.isalnum() for ch in stripped):
        return
    lead = len(piece) - len(piece.lstrip())
    s = start + lead
    e = s + len(stripped)
    spans.append(Span(offset + s, offset + e, stripped))


# --- synonyms ----------------------------------------------------------------------------

SYNONYM_WEIGHT = 0.5  # a synonym counts this much of the word itself

_SYNONYMS = (
    "deny denial reject refute dismiss disown distance relevance",
    "involvement involve involved relevance behind link",
    "claim say said state assert allege indicate suggest told statement comment remark quote",
    "attack strike assault attempt",
    "injure injury wound hurt harm",
    "kill killed dead death die died",
    "condemn censure denounce criticize criticise",
    "blame accuse responsible responsibility",
    "spokesman spokesperson spokeswoman",
    "drone uav",
    "pm prime minister premier",
    "residence home house",
    "protester demonstrator protest",
    "election vote poll",
)


@cache
def synonyms() -> dict[str, frozenset[str]]:
    """term -> related terms (stemmed), used to widen keyword overlap at a lower weight."""
    table: dict[str, set[str]] = {}
    for group in _SYNONYMS:
        terms = {stem(w) for w in group.split()}
        for t in terms:
            table.setdefault(t, set()).update(terms - {t})
    return {k: frozenset(v) for k, v in table.items()}


# Irregular verb forms the suffix stripper cannot join ("heard" ~ "hear", "shot" ~ "shoot").
_IRREGULAR = (
    "hear heard",
    "shoot shot",
    "hold held",
    "give gave given",
    "take took taken",
    "win won",
    "meet met",
    "lose lost",
    "make made",
    "buy bought",
    "bring brought",
    "build built",
    "send sent",
    "leave left",
    "begin began begun",
    "see saw seen",
    "find found",
    "come came",
    "go went gone",
    "lead led",
    "fight fought",
    "seek sought",
    "speak spoke spoken",
    "write wrote written",
    "fall fell fallen",
    "fly flew flown",
    "rise rose risen",
    "break broke broken",
    "choose chose chosen",
    "steal stole stolen",
)


@cache
def verb_forms() -> dict[str, frozenset[str]]:
    """term -> the other forms of the same irregular verb (stemmed)."""
    table: dict[str, set[str]] = {}
    for group in _IRREGULAR:
        terms = {stem(w) for w in group.split()}
        for t in terms:
            table.setdefault(t, set()).update(terms - {t})
    return {k: frozenset(v) for k, v in table.items()}
