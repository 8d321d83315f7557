"""Tokenising and sentence splitting shared by BM25, the extractive answerer and the LLM guard.

Keyword search must find names as users type them: curly and straight apostrophes, case and
possessives are normalised, and "Kata'ib" also matches "Kataib". Sentence spans keep character
offsets so an excerpt can always be quoted verbatim from the stored document.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from index.chunking import sentence_spans

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})
_TOKEN = re.compile(r"\w+(?:'\w+)*", re.UNICODE)


@cache
def stopwords() -> frozenset[str]:
    """English stop words: spaCy's list (``spacy/lang/en/stop_words.py``), not one written here.

    The module is read on its own: importing it through the ``spacy`` package pulls thinc and
    torch (seconds), and tokenizing must stay cheap for the CLI and the index.
    """
    words = _spacy_en_data("stop_words.py", "STOP_WORDS")
    numbers = _spacy_en_data("lex_attrs.py", "_num_words")  # "two", "hundred": keep them searchable
    return frozenset(w.replace("\u2019", "'") for w in words - numbers) | {"s", "t", "d", "ll", "m", "re", "ve"}


def _spacy_en_data(module: str, name: str) -> set[str]:
    spec = importlib.util.find_spec("spacy")
    if spec is None or spec.origin is None:
        raise RuntimeError("spaCy is not installed: pip install spacy")
    path = Path(spec.origin).parent / "lang" / "en" / module
    namespace: dict[str, object] = {"__name__": f"spacy.lang.en.{module[:-3]}"}
    source = path.read_text(encoding="utf-8")
    if module == "lex_attrs.py":  # only its word list: its imports need the spacy package
        start = source.index(f"{name} = ")
        source = source[start : source.index("]", start) + 1]
    exec(compile(source, str(path), "exec"), namespace)  # noqa: S102 - spaCy's data module
    words = namespace[name]
    assert isinstance(words, set | list)
    return {str(w) for w in words}


def normalize(text: str) -> str:
    """Unicode-normalise and unify apostrophes/quotes (used for matching, never for excerpts)."""
    return unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).translate(_QUOTES)


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
    if not tok or tok in stopwords():
        return ""
    if "'" in tok:
        return tok.replace("'", "")  # "kata'ib" -> "kataib", however it was typed
    return stem(tok)


def tokenize(text: str) -> list[str]:
    """Index/query terms: stemmed, stop words kept out; "kata'ib" also yields "kataib"."""
    return [t for t in map(_term, _TOKEN.findall(normalize(text).lower())) if t]


@dataclass(frozen=True, slots=True)
class Span:
    """A sentence of a document: ``doc_text[start:end] == text``."""

    start: int
    end: int
    text: str


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Sentences (and lines) with absolute offsets, cut as the index cuts chunks."""
    return [Span(offset + s, offset + e, text[s:e]) for s, e in sentence_spans(text)]
