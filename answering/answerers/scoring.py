"""What the extractive answerer knows about a question's candidate sentences (``Scoring``) and
how long its answers may be (``Limits``): shared by the answerer and the modules that compose
particular kinds of answer from them (``answering.answerers.dated``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from answering.answerhood import FEATURES, QuestionInfo
from answering.language import Analysis
from answering.sentences import Candidate

_COL = {name: i for i, name in enumerate(FEATURES)}


@dataclass(frozen=True, slots=True)
class Limits:
    max_sentences: int = 3  # sentences in one answer (lists gather up to this many)
    max_chars: int = 600
    embed_budget: int = 0  # candidates embedded per question (best by the other signals); 0 = all
    parse_budget: int = 0  # candidates parsed per question (best by keywords and rank); 0 = all


@dataclass(frozen=True, slots=True)
class Scoring:
    """A question's candidate sentences with their signals, in retrieval order."""

    question: QuestionInfo
    cands: list[Candidate]
    analyses: list[Analysis]
    rows: np.ndarray  # FEATURES per candidate
    probs: np.ndarray  # P(answers); 0 for candidates beyond the embedding budget
    before: list[int]  # index of the adjacent sentence before, or -1
    after: list[int]
    speech: np.ndarray | None = None  # answering.speakers.SIGNALS per candidate, for quote questions

    def ranked(self) -> list[int]:
        return sorted(range(len(self.cands)), key=lambda i: -self.probs[i])

    def has(self, i: int, feature: str) -> bool:
        return bool(self.rows[i, _COL[feature]])


def scores_without_budget(sc: Scoring, prior: np.ndarray) -> np.ndarray:
    """Each candidate's probability; candidates beyond the embedding budget count with their
    probability without the embedding cosine (``prior``), halved."""
    return np.where(sc.probs > 0, sc.probs, 0.5 * prior)
