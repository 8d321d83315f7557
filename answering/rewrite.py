"""Follow-up questions made standalone before retrieval.

"What did their spokesman claim?" after a turn about Kata'ib Hezbollah becomes "What did Kata'ib
Hezbollah's spokesman claim?". The deterministic rewriter (extractive mode) detects pronouns and
elliptical questions and fills them from the named entities of the previous turns; LLM modes use
``prompts/condense.txt`` and fall back to this one when the model's output is unusable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from answering.answerers.base import REFUSAL_PREFIX
from answering.citations import MARKER
from answering.models import Turn
from answering.text import STOPWORDS, normalize, tokenize

_PERSONAL = {"he": "subj", "him": "obj", "his": "poss", "she": "subj", "her": "poss"}
_PLURAL = {"they": "subj", "them": "obj", "their": "poss", "theirs": "poss"}
_ELLIPTIC_START = re.compile(r"^\s*(and|but|also|what about|how about|and what about|why|what else)\b", re.I)
_ORG_CUES = frozenset(
    "hezbollah league department ministry government council alliance forces group militia "
    "militias party army military office state nations union agency committee network press "
    "news reuters cnn cbs institute".split()
)
_ENTITY = re.compile(r"(?:\b[A-Z][\w'\-]*|\bal-[A-Z][\w'\-]*)(?:\s+(?:of\s+|al-|bin\s+|de\s+)?[A-Z][\w'\-]*)*")
_QUESTION_WORDS = frozenset(
    "what who whom whose when where why how which did does do is are was were can could "
    "should would will has have had according".split()
)


def entities(text: str) -> list[str]:
    """Capitalised name phrases in order of appearance ("Kata'ib Hezbollah", "Ned Price")."""
    found: list[str] = []
    seen: set[str] = set()
    for m in _ENTITY.finditer(normalize(MARKER.sub("", text))):
        words = m.group(0).split()
        while words and (words[0].lower() in STOPWORDS or words[0].lower() in _QUESTION_WORDS):
            words.pop(0)
        phrase = " ".join(words)
        if phrase.endswith("'s"):
            phrase = phrase[:-2]
        if len(phrase) < 2 or phrase.lower() in STOPWORDS or phrase == "I":
            continue
        key = phrase.lower()
        if key not in seen:
            seen.add(key)
            found.append(phrase)
    return found


def _is_org(entity: str) -> bool:
    return any(w.lower().strip("'") in _ORG_CUES for w in entity.split())


def is_follow_up(question: str, history: Sequence[Turn]) -> bool:
    """Does the question lean on earlier turns (pronouns, "what about ...", too few terms)?"""
    if not history:
        return False
    words = [w.lower() for w in re.findall(r"[\w']+", normalize(question))]
    if any(w in _PERSONAL or w in _PLURAL for w in words):
        return True
    if _ELLIPTIC_START.match(question):
        return True
    if any(w in ("it", "its", "this", "these", "those") for w in words) and not entities(question):
        return True
    return len(tokenize(question)) <= 1


def _context_entities(question: str, history: Sequence[Turn]) -> list[str]:
    """Entities from the latest turns first (answer before question), not already asked about."""
    asked = {e.lower() for e in entities(question)}
    out: list[str] = []
    for turn in reversed(history[-3:]):
        if normalize(turn.answer).startswith(REFUSAL_PREFIX):
            continue  # a refused turn says nothing about what "they" refers to
        for text in (turn.answer, turn.question):
            for e in entities(text):
                if e.lower() not in asked and e.lower() not in {x.lower() for x in out}:
                    out.append(e)
        if out:
            break
    return out


def _pick(candidates: list[str], want_person: bool) -> str | None:
    if not candidates:
        return None
    if want_person:
        people = [
            e
            for e in candidates
            if not _is_org(e) and len(e.split()) >= 2 and not re.search(r"-[a-z]", e)
        ]
        if people:
            return people[0]
    else:
        orgs = [e for e in candidates if _is_org(e)]
        if orgs:
            return orgs[0]
    return candidates[0]


def rewrite_follow_up(question: str, history: Sequence[Turn]) -> str:
    """A standalone version of ``question``; unchanged when it does not need the history."""
    question = question.strip()
    if not is_follow_up(question, history):
        return question
    candidates = _context_entities(question, history)
    for table, person in ((_PLURAL, False), (_PERSONAL, True)):
        pattern = re.compile(r"\b(" + "|".join(table) + r")\b", re.I)
        m = pattern.search(question)
        if m is None:
            continue
        entity = _pick(candidates, want_person=person)
        if entity is None:
            break
        role = table[m.group(1).lower()]
        replacement = f"{entity}'s" if role == "poss" else entity
        rest = question[m.end() :]
        if role == "poss":
            rest = _name_the_noun(rest, history)
        return question[: m.start()] + replacement + rest
    # Elliptical or "it/this": keep the question, add what the conversation was about.
    previous = history[-1].question
    topic = " ".join(dict.fromkeys([*candidates[:2], *_keywords(previous)]))
    if not topic:
        return question
    return f"{question.rstrip('?').rstrip()} ({topic})?"


_NAME_WORD = r"(?:[A-Z][\w'\-]*|al-[A-Z][\w'\-]*)"


def _name_the_noun(rest: str, history: Sequence[Turn]) -> str:
    """ "their spokesman claim" + earlier "the spokesman Abu Ali al-Askari" ->
    "their spokesman Abu Ali al-Askari claim": names the person the conversation already named."""
    m = re.match(r"\s+([a-z][\w\-]*)", rest)
    if m is None:
        return rest
    noun = m.group(1)
    pattern = re.compile(rf"\b{re.escape(noun)}\s+({_NAME_WORD}(?:\s+{_NAME_WORD})*)")
    for turn in reversed(history[-3:]):
        found = pattern.search(normalize(MARKER.sub("", turn.answer)))
        if found:
            name = found.group(1)
            name = name[:-2] if name.endswith("'s") else name
            return rest[: m.end()] + " " + name + rest[m.end() :]
    return rest


def _keywords(text: str) -> list[str]:
    words = re.findall(r"[\w'\-]+", normalize(text))
    return [w for w in words if w.lower() not in STOPWORDS and w.lower() not in _QUESTION_WORDS]
