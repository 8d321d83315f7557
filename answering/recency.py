"""Which end of the coverage a question asks for, and what "the latest on X" is about.

"The latest on the salvage" asks for the newest report, "what was reported first about the
incident?" for the oldest (``report_order``; "first" of the reports, not of the event: "the first
miners rescued"); "the latest on X" is searched for and judged as "What about X?"
(``recency_topic``): "latest" is a date, not a word a sentence should share. spaCy parse; the
verbs of reporting and nouns for reports are the vocabulary files of ``answering.coverage`` and
``answering.asking``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, cast

from answering.agreement import parse
from answering.asking import words as agreement_words
from answering.coverage import words as coverage_words
from answering.dates import RECENCY_RE

if TYPE_CHECKING:
    from spacy.tokens import Doc

# The words asking for the newest report itself ("the latest on X"), not the present state ("now").
NEWEST_RE = re.compile(r"\b(?:latest|newest|most recent)\b", re.I)

_FIRST_WORDS = frozenset({"first", "initially", "originally", "earliest", "initial", "original"})
_FIRST_RE = re.compile(r"\b(?:" + "|".join(sorted(_FIRST_WORDS)) + r")\b", re.I)


def asks_first_report(question: str) -> bool:
    """ "What was reported first about the incident?", "the first report", "the first explanation
    given": the question asks for the oldest reports — "first" qualifies a verb of reporting or a
    noun for a report or what was said of it, not the event ("the first miners rescued")."""
    if not _FIRST_RE.search(question):
        return False
    reporting = coverage_words().reporting | {"give", "offer", "announce"}
    sources = agreement_words().sources
    for tok in cast("Doc", parse(question)):
        if tok.lower_ not in _FIRST_WORDS:
            continue
        head = tok.head
        if head.pos_ in ("VERB", "AUX") and head.lemma_.lower() in reporting:
            return True  # "was reported first", "initially said"
        if head.pos_ in ("NOUN", "PROPN") and (
            head.lemma_.lower() in sources
            or any(c.dep_ == "acl" and c.lemma_.lower() in reporting for c in head.children)
        ):
            return True  # "the first report", "the first explanation given"
    return False


def report_order(question: str) -> str | None:
    """'newest' for "the latest on X", 'oldest' for "what was reported first", else None: which
    end of the coverage the answer comes from ("what is it now?" asks the present state, which
    the recency boost of retrieval serves)."""
    if NEWEST_RE.search(question):
        return "newest"
    return "oldest" if asks_first_report(question) else None


def recency_topic(question: str) -> str | None:
    """What a question asking for the newest reports is about: "What is the latest on the
    investigation?" / "latest update on whether the mine will reopen?" -> "What about the
    investigation?" / "What about whether the mine will reopen?". The recency word (and the noun
    it qualifies: "update", "news") is not a topic a sentence should share words with ("Sign up
    for our latest news!"); None when the question names no topic that way."""
    if not RECENCY_RE.search(question):
        return None
    doc = cast("Doc", parse(question))
    for tok in doc:
        if not RECENCY_RE.fullmatch(tok.text):
            continue
        head = tok.head
        if tok.dep_ not in ("amod", "advmod"):  # "the latest on X"
            preps = list(tok.children)
        elif tok.dep_ == "amod" and head.pos_ == "NOUN" and all(c.dep_ != "compound" for c in head.children):
            preps = list(head.children)  # "latest update on X" (not "the latest death toll")
        elif tok.dep_ == "advmod" and head.pos_ == "ADP":
            preps = [head]  # "latest on X" parsed as on(latest, X)
        else:
            continue
        for prep in preps:
            if prep.pos_ != "ADP" or prep.lower_ == "of":
                continue
            objects = [c for c in prep.children if c.dep_ in ("pobj", "pcomp")]
            if objects:
                topic = doc[objects[0].left_edge.i : objects[0].right_edge.i + 1].text.strip(" ?.!")
                return f"What about {topic}?" if topic else None
    return None
