"""Which outlets reported something: answered from each article's outlet, each with its sentence.

"Which outlets reported that Tomas Reyne died?", "who quoted the mayor?", "how many papers mention
the 2023 rockfall?" ask about the coverage, not the event: the answer names the outlets (the
``source`` of each article, from its metadata; the article itself where none is known) that carry
a sentence stating the claim, each with that sentence cited:

    Reported by 3 outlets: The Capital Herald [1], Valley Public Radio [2] and Resource Markets
    Daily [3]. <sentence> [1] <sentence> [2] <sentence> [3]

``coverage_ask`` reads the question (spaCy parse; the nouns for outlets and the verbs of reporting
are English vocabulary in ``answering/data/coverage_words.json``); ``gather`` picks, per outlet,
the sentence that states the claim best (the claim's head word, and most of its idf-weighted
words, exactly or by word similarity); ``render`` writes the answer over the citations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, cast

from answering.agreement import parse
from answering.asking import words as agreement_words
from answering.models import Citation

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

WORDS_PATH = Path(__file__).resolve().parent / "data" / "coverage_words.json"
HEADER = "Reported by"  # as ``answering.agreement.Agreement.render`` writes a consensus


@dataclass(frozen=True, slots=True)
class Words:
    outlets: frozenset[str]
    reporting: frozenset[str]
    who: frozenset[str]


@cache
def words(path: Path = WORDS_PATH) -> Words:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Words(
        frozenset(data["outlet_nouns"]), frozenset(data["reporting_verbs"]), frozenset(data["who_verbs"])
    )


@dataclass(frozen=True, slots=True)
class CoverageAsk:
    """What a coverage question asks the outlets to have reported."""

    claim: str  # "Tomas Reyne died", "emergency coordinator Priya Sandhu"
    head: str  # lemma the claim is about: its verb, or its noun phrase's head ("die", "sandhu")
    head_words: frozenset[str]  # words that state the head: a name's other words ("priya"), the
    # alternatives coordinated with it ("diverted or rerouted" -> reroute)
    count: bool  # "how many outlets ..."
    descriptive: frozenset[str] = frozenset()  # words describing a name ("the local MP"): a
    # sentence naming the person need not repeat them


_MAY_ASK = re.compile(r"\b(?:which|what|how\s+many|who)\b", re.I)


def _lemma(tok: Token) -> str:
    return tok.lemma_.lower()


def _noun_lemma(tok: Token) -> str:
    """'reports' is sometimes tagged a verb ("Which reports quoted X?"): its noun lemma."""
    lemma = _lemma(tok)
    if tok.pos_ in ("NOUN", "PROPN"):
        return lemma
    lower = tok.lower_
    return lower[:-1] if lower.endswith("s") and not lower.endswith("ss") else lower


def _asked_noun(doc: object) -> tuple[Token, bool] | None:
    """The noun a question word determines ("which outlets", "which of the papers", "how many
    reports") when it names a kind of report or outlet, and whether it counts ("how many")."""
    sources = agreement_words().sources
    tokens = list(doc)  # type: ignore[call-overload]
    for i, tok in enumerate(tokens):
        low = tok.lower_
        if low in ("which", "what"):
            start, count = i + 1, False
        elif low == "how" and i + 1 < len(tokens) and tokens[i + 1].lower_ == "many":
            start, count = i + 2, True
        else:
            continue
        for nxt in tokens[start : start + 4]:  # "which of the outlets"
            if _noun_lemma(nxt) in sources:
                return nxt, count
            if nxt.lower_ not in ("of", "the", "these", "those", "news", "all"):
                break
    return None


def _verb_of(noun: Token) -> Token | None:
    node = noun
    for _ in range(3):
        if node.pos_ in ("VERB", "AUX") and node.dep_ != "nsubj" and node is not noun:
            return node
        if node.head.i == node.i:
            break
        node = node.head
    root = next((t for t in noun.doc if t.dep_ == "ROOT"), None)
    return root if root is not None and root.pos_ in ("VERB", "AUX") else None


def coverage_ask(question: str) -> CoverageAsk | None:
    """What a question asks outlets to have reported, or None if it does not ask which did."""
    if not _MAY_ASK.search(question):
        return None
    w = words()
    doc = cast("Doc", parse(question))  # the parse is kept: the agreement check reads it too
    asked = _asked_noun(doc)
    if asked is not None:
        noun, count = asked
        verb = _verb_of(noun)
        if verb is None or (_noun_lemma(noun) not in w.outlets and _lemma(verb) not in w.reporting):
            return None
        skip = {t.i for t in noun.subtree} | {t.i for t in doc if t.lower_ in ("which", "what", "how", "many")}
    else:
        who = next((t for t in doc if t.lower_ == "who" and t.dep_ in ("nsubj", "nsubjpass")), None)
        if who is None or who.head.pos_ not in ("VERB", "AUX") or _lemma(who.head) not in w.who:
            return None
        verb, count, skip = who.head, False, {who.i}
    claim_tokens = _claim_tokens(verb, skip, keep_verb=_lemma(verb) not in w.reporting)
    if not claim_tokens:
        return None
    claim = doc[claim_tokens[0].i : claim_tokens[-1].i + 1].text.strip(" ?.!,")
    head = _claim_head(verb, claim_tokens)
    if head is None:
        return None
    head_words = {_lemma(head)} | {_lemma(t) for t in head.conjuncts if t.pos_ == head.pos_}
    descriptive: set[str] = set()
    if head.pos_ == "PROPN" and head.ent_type_ == "PERSON":  # any word of a person's name
        # ("Sandhu said" for "emergency coordinator Priya Sandhu"; not "investigation" for the
        # "Marine Accident Investigation Branch")
        left = [t for t in head.subtree if t.i < head.i]
        head_words |= {t.lower_ for t in left if t.ent_type_ == "PERSON" and t.head.i == head.i}
        descriptive = {_lemma(t) for t in left} | {t.lower_ for t in left}
    return CoverageAsk(claim, _lemma(head), frozenset(head_words), count, frozenset(descriptive))


def _claim_tokens(verb: Token, skip: set[int], *, keep_verb: bool) -> list[Token]:
    """The verb's complements after the subject (not a second clause: "..., and who made it?"),
    without "that"; with the verb itself when it is not one of reporting ("linked X to Y")."""
    out: list[Token] = [verb] if keep_verb else []
    for child in verb.children:
        if child.i in skip or child.dep_ in (
            "cc",
            "conj",
            "punct",
            "aux",
            "auxpass",
            "neg",
            "nsubj",
            "nsubjpass",
        ):
            continue
        if child.i < verb.i and child.dep_ not in ("advmod", "npadvmod"):
            continue
        out += [t for t in child.subtree if t.i not in skip and not (t.dep_ == "mark" and t.head.i == child.i)]
    return sorted(out, key=lambda t: t.i)


def _claim_head(verb: Token, claim: list[Token]) -> Token | None:
    """The word a sentence must state for it to report the claim: the reporting verb's clause's
    verb ("that Reyne died" -> die), or its object's head ("quoted ... Priya Sandhu" -> Sandhu),
    or the non-reporting verb itself ("linked X to Y" -> link)."""
    if verb in claim:
        return verb
    inside = {t.i for t in claim}
    for child in verb.children:
        if child.i not in inside:
            continue
        if child.dep_ in ("ccomp", "xcomp", "advcl") and child.pos_ in ("VERB", "AUX"):
            return child
        if child.dep_ in ("dobj", "attr", "oprd", "pobj", "ccomp") or child.pos_ in ("NOUN", "PROPN"):
            return child
        for grand in child.children:  # "reported on the rockfall"
            if grand.dep_ == "pobj" and grand.i in inside:
                return grand
    return claim[-1] if claim[-1].pos_ in ("NOUN", "PROPN", "VERB") else None


# --- choosing the sentences ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Said:
    """A candidate sentence: what it says (content lemmas and words) and who published it."""

    doc_id: str
    outlet: str | None
    published: str | None
    lemmas: frozenset[str]
    score: float = 0.0  # the answerer's probability that it answers (ties)
    context: frozenset[str] = frozenset()  # words of its article's title: what the article is
    # about ("Brannock Hill" in the title, "the collapse" in the sentence)


Similar = Callable[[str, str], float]


def _match(word: str, said: frozenset[str], similar: Similar, floor: float) -> float:
    if word in said:
        return 1.0
    best = max((similar(word, w) for w in said), default=0.0)
    return best if best >= floor else 0.0


def gather(
    ask: CoverageAsk,
    claim_lemmas: frozenset[str],
    sentences: Sequence[Said],
    weight: Callable[[str], float],
    similar: Similar,
    *,
    share: float = 0.5,
    floor: float = 0.6,
    head_floor: float = 0.7,
) -> list[int]:
    """Per outlet (its articles together; an article without an outlet on its own), the index
    of the sentence that states the claim best, oldest report first: a sentence states it when it
    has the claim's head (one of its name's words for a name; else the word or one at least
    ``head_floor`` similar: "death" for "died") and ``share`` of the claim's other idf-weighted
    words (each counting by its similarity when at least ``floor``), in the sentence or its
    article's title (``Said.context``)."""
    lemmas = claim_lemmas - {ask.head} - ask.head_words - ask.descriptive
    total = sum(weight(w) for w in lemmas)
    best: dict[str, tuple[float, int]] = {}
    for i, s in enumerate(sentences):
        if ask.head_words & s.lemmas:
            head = 1.0
        else:
            head = max(_match(w, s.lemmas, similar, head_floor) for w in {ask.head} | ask.head_words)
        if not head:
            continue
        said = s.lemmas | s.context
        got = sum(weight(w) * _match(w, said, similar, floor) for w in lemmas)
        covered = got / total if total else 1.0
        if covered < share:
            continue
        key = s.outlet or s.doc_id
        value = covered + head + 0.25 * s.score
        if key not in best or value > best[key][0]:
            best[key] = (value, i)
    chosen = [i for _, i in best.values()]
    return sorted(
        chosen, key=lambda i: (sentences[i].published or "", sentences[i].outlet or sentences[i].doc_id)
    )


def render(citations: Sequence[Citation], sentences: Sequence[str]) -> str:
    """'Reported by 3 outlets: A [1], B [2] and C [3]. <sentence> [1] ...' — each outlet named
    with its marker, then each outlet's sentence ('' leaves one out: the answer stays short);
    articles without an outlet are named by title."""
    named = all(c.source for c in citations)
    labels = [f"{c.source or c.title} [{c.n}]" for c in citations]
    n = len(citations)
    noun = ("outlet" if n == 1 else "outlets") if named else ("article" if n == 1 else "articles")
    head = f"{HEADER} {n} {noun}: {_and(labels)}."
    body = " ".join(
        f"{' '.join(text.split())} [{c.n}]"
        for c, text in zip(citations, sentences, strict=True)
        if text.strip()
    )
    return f"{head} {body}".strip()


def is_coverage_answer(text: str) -> bool:
    """An answer ``render`` wrote (the service adds no second "Reported by" to it)."""
    return text.startswith(HEADER + " ")


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _outlet_key(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", name.casefold())
    return " ".join(words[1:] if len(words) > 1 and words[0] == "the" else words)


def named_outlet(question: str, outlets: Iterable[str]) -> str | None:
    """The outlet (an article's ``source``) a question names ("According to Maritime Cargo
    Review, ...", "what did the harbour gazette report"), longest name first; None if none."""
    text = f" {' '.join(re.findall(r'[a-z0-9]+', question.casefold()))} "
    for outlet in sorted(set(outlets), key=len, reverse=True):
        key = _outlet_key(outlet)
        if key and f" {key} " in text:
            return outlet
    return None
