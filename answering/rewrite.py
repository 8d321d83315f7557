"""Follow-up questions made standalone before retrieval, by the entities of the earlier turns.

"What did their spokesman claim?" after a turn about the Harbor Workers Union becomes "What did
the Harbor Workers Union's spokesman claim?"; "and the mayor?" after "What did the governor say?"
becomes "What did the mayor say?". Pronouns are found by spaCy's tagger, the entities they
stand for by its recogniser and parser (the subject of the last answer first); nothing here
knows any name. When no entity fits, the question is asked in the context of the previous one,
written so it reads as English. LLM modes use ``prompts/condense.txt`` and fall back to this
rewriter when the model's reply is unusable.
"""

from __future__ import annotations

from collections.abc import Sequence

from answering.answerers.base import REFUSAL_PREFIX
from answering.citations import MARKER
from answering.language import Analyzer, Entity
from answering.models import Turn
from answering.text import normalize

_PERSONAL = {"he": "subj", "him": "obj", "his": "poss", "she": "subj", "her": "poss"}
_PLURAL = {"they": "subj", "them": "obj", "their": "poss", "theirs": "poss"}
_THING = {"it": "subj", "its": "poss"}
_QUESTION_WORDS = frozenset(
    "who whom whose what when where why how which is are was were do does did has have had can will".split()
)
_ELLIPTIC_START = ("and ", "but ", "also ", "what about ", "how about ", "and what about ")
# Entity kinds that can be "they" (groups, places) and "he" / "she" (people).
_GROUPS = frozenset({"ORG", "NORP", "GPE", "PERSON", "FAC", "LOC", "PRODUCT", "EVENT"})


class EntityRewriter:
    """Callable ``(question, history) -> standalone question``; thread-safe."""

    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer

    def __call__(self, question: str, history: Sequence[Turn]) -> str:
        question = " ".join(question.split())
        turns = [t for t in history if not normalize(t.answer).startswith(REFUSAL_PREFIX)]
        if not turns or not question:
            return question
        words = [w.strip("?.,!").lower() for w in question.split()]
        pronoun = next(
            (i for i, w in enumerate(words) if w in _PERSONAL or w in _PLURAL or w in _THING), None
        )
        if pronoun is not None and words[pronoun] not in _THING:  # "it" is rarely a named entity
            rewritten = self._replace_pronoun(question, pronoun, words[pronoun], turns)
            if rewritten is not None:
                return rewritten
        lowered = question.lower()
        # "and the US?", "the mayor?": a bare phrase, not a short question of its own ("who is X?")
        bare = pronoun is None and len(words) <= 3 and not any(w in _QUESTION_WORDS for w in words)
        elliptic = lowered.startswith(_ELLIPTIC_START) or bare
        if elliptic:
            rewritten = self._fill_ellipsis(question, turns)
            if rewritten is not None:
                return rewritten
        if pronoun is not None or elliptic:
            previous = turns[-1].question.strip().rstrip("?")
            return f"{question.rstrip('?')}? (following: \u201c{previous}?\u201d)"
        return question

    # --- pronouns ------------------------------------------------------------------------
    def _replace_pronoun(self, question: str, index: int, word: str, turns: Sequence[Turn]) -> str | None:
        people = word in _PERSONAL
        entity = self._referent(turns, people=people)
        if entity is None:
            return None
        role = (_PERSONAL | _PLURAL)[word]
        name = normalize(entity.text)
        name = name[:-2] if name.endswith("'s") else name
        replacement = f"{name}'s" if role == "poss" else name
        tokens = question.split()
        original = tokens[index]
        stripped = original.rstrip("?.,!")
        tokens[index] = replacement + original[len(stripped) :]
        return " ".join(tokens)

    def _referent(self, turns: Sequence[Turn], *, people: bool) -> Entity | None:
        """The entity a pronoun most likely stands for: in the latest turn, the answer's subject
        first, then its other entities, then the question's."""
        for turn in reversed(turns[-3:]):
            ranked: list[Entity] = []
            for text in (MARKER.sub("", turn.answer), turn.question):
                a = self.analyzer.analyse(text)
                subjects = [e for e in a.entities if all(w in a.subjects for w in e.key.split())]
                ranked += subjects + [e for e in a.entities if e not in subjects]
            if people:
                fits = [e for e in ranked if e.label == "PERSON"]
            else:
                fits = [e for e in ranked if e.label in _GROUPS]
            if fits:
                return fits[0]
        return None

    # --- ellipsis ------------------------------------------------------------------------
    def _fill_ellipsis(self, question: str, turns: Sequence[Turn]) -> str | None:
        """ "and the US?" after "What did Iran say?" -> "What did the US say?"."""
        q = question.rstrip("?").strip()
        lowered = q.lower()
        for start in sorted(_ELLIPTIC_START, key=len, reverse=True):
            if lowered.startswith(start):
                q = q[len(start) :].strip()
                break
        if not q or any(w.strip("?.,!").lower() in _QUESTION_WORDS for w in q.split()):
            return None  # "and when?": not a name to put in the previous question's place
        previous = turns[-1].question.strip()
        prev = self.analyzer.analyse(previous)
        swap = [e for e in prev.entities if e.label in _GROUPS]
        if not swap:
            return None
        entity = swap[0]
        begin = entity.start
        # A title written before the name belongs to it ("Governor Maria Lopez").
        while True:
            head = previous[:begin].rstrip()
            word = head.rsplit(" ", 1)[-1] if head else ""
            if not word or not word[0].isupper() or len(head) == len(word):
                break
            begin = len(head) - len(word)
        return previous[:begin] + q + previous[entity.end :]


def rewrite_follow_up(question: str, history: Sequence[Turn], analyzer: Analyzer | None = None) -> str:
    """A standalone version of ``question`` (a shared default analyzer when none is given)."""
    return EntityRewriter(analyzer or _default_analyzer())(question, history)


_DEFAULT: list[Analyzer] = []


def _default_analyzer() -> Analyzer:
    if not _DEFAULT:
        _DEFAULT.append(Analyzer())
    return _DEFAULT[0]
