"""The offline default: answer with the retrieved sentences that answer the question, cited.

Each candidate sentence is scored by meaning (MiniLM cosine to the question), by idf-weighted
keyword overlap (with a few synonyms: "denied" ~ "rejected"), and by whether it has what the
question type asks for (a name for "who", a date for "when", ...). Below a calibrated threshold,
or when the question names things the corpus never mentions, it refuses and offers the closest
excerpts for reference instead of quoting something unrelated.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from answering.answerers.base import Draft, refusal_text
from answering.citations import make_citation
from answering.models import AnswerDelta, Citation
from answering.retrieval import Retrieved
from answering.sentences import (
    Candidate,
    SentenceCache,
    candidates,
    cue,
    question_type,
    stance,
)
from answering.text import SYNONYM_WEIGHT, normalize, synonyms, tokenize, verb_forms
from index.models import Document

log = logging.getLogger(__name__)

# Words that frame a question rather than name its topic ("what happened", "which outlet").
_GENERIC = frozenset(
    tokenize(
        "happen happened happening name names people person persons thing things report reported "
        "anyone anybody someone somebody type kind sort use used using number amount percentage "
        "outlet outlets source sources based base represent represents mean means describe "
        "described mention mentioned call called carry carried exactly detail details"
    )
)


# A sentence that starts by pointing back ("He also said ...") names its subject earlier.
_ANAPHOR = re.compile(r"(?:He|She|They|It|His|Her|Their)\b")


@dataclass(frozen=True, slots=True)
class Weights:
    cosine: float = 0.55
    keyword: float = 0.35
    cue: float = 0.12
    stance: float = 0.15
    repeat: float = 0.25  # penalty for a sentence the conversation already gave
    rank: float = 0.04
    threshold: float = 0.45  # calibrated on ~90 answerable vs unanswerable probe questions
    min_cosine: float = 0.25
    keyword_alone: float = 0.8  # idf-weighted share of question words that answers by itself
    second_ratio: float = 0.88  # a 2nd/3rd sentence must score this close to the best
    max_sentences: int = 3
    max_chars: int = 700
    context_gain: float = 0.1  # a neighbour joins the answer if it adds this share of the question
    embed_budget: int = 0  # candidates embedded per question (best keyword/cue/rank first); 0 = all


@dataclass(frozen=True, slots=True)
class Scored:
    cand: Candidate
    score: float
    cosine: float
    keyword: float
    raw: float  # score before the repeat penalty (decides answer vs refusal)


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(
        self,
        document: Callable[[str], Document],
        cache: SentenceCache,
        idf: Callable[[str], float],
        max_idf: Callable[[], float],
        weights: Weights | None = None,
    ) -> None:
        self.document = document
        self.cache = cache
        self.idf = idf
        self.max_idf = max_idf
        self.weights = weights or Weights()

    # --- scoring -----------------------------------------------------------------------
    def score(self, question: str, retrieved: Sequence[Retrieved], *, said: Sequence[str] = ()) -> list[Scored]:
        """Candidate sentences, best first; sentences already ``said`` rank lower.

        Embedding sentences is the expensive step (about 25 ms a sentence on one core, and at
        100k chunks almost none are cached), so only the ``embed_budget`` candidates with the
        best keyword/cue/rank score are embedded and can be chosen. The rest stay in the list,
        after them, as neighbours that may complete a chosen sentence. The choice does not
        depend on what is cached, so the same question always gets the same answer.
        """
        said_flat = [_flatten(normalize(t)) for t in said]
        cands = candidates(retrieved, self.document, self.cache)
        if not cands:
            return []
        qterms = [t for t in dict.fromkeys(tokenize(question)) if t not in _GENERIC]
        weights = {t: self.idf(t) or self.max_idf() for t in qterms}
        total = sum(weights.values()) or 1.0
        syn = synonyms()
        forms = verb_forms()
        qtype = question_type(question)
        w = self.weights
        priors: list[tuple[float, float]] = []  # (score without the cosine, keyword share)
        for cand in cands:
            hit = 0.0
            for t, weight in weights.items():
                if t in cand.terms or forms.get(t, frozenset()) & cand.terms:  # "hear" ~ "heard"
                    hit += weight
                elif syn.get(t, frozenset()) & cand.terms:
                    hit += SYNONYM_WEIGHT * weight
            kw = hit / total
            s = (
                w.keyword * kw
                + w.cue * cue(question, cand.span.text, qtype)
                + w.stance * stance(question, cand.span.text)
                + w.rank / (1 + cand.rank)
            )
            if len(cand.span.text.split()) < 5:
                s -= 0.1  # headings, captions, "Tags"
            priors.append((s, kw))
        order = sorted(range(len(cands)), key=lambda i: -priors[i][0])  # stable: retrieval order on ties
        chosen = order[: w.embed_budget] if w.embed_budget > 0 else order
        qvec, matrix = self.cache.embed(question, [(cands[i].doc.doc_id, cands[i].span) for i in chosen])
        cosines = matrix @ qvec
        out: list[Scored] = []
        for i, cos in zip(chosen, cosines, strict=True):
            cand = cands[i]
            s = priors[i][0] + w.cosine * float(cos)
            raw = s
            if said_flat:
                flat = _flatten(normalize(cand.span.text))
                if any(flat in t for t in said_flat):
                    s -= w.repeat
            out.append(Scored(cand, s, float(cos), priors[i][1], raw))
        out.sort(key=lambda x: -x.score)
        # Not embedded (the rest of ``order``): never chosen on their own, kept for _context().
        out += [
            Scored(cands[i], float("-inf"), float("nan"), priors[i][1], float("-inf"))
            for i in order[len(chosen) :]
        ]
        return out

    def unknown_names(self, question: str) -> list[str]:
        """Capitalised words / numbers of the question that the corpus never mentions."""
        words = re.findall(r"[\w'\u2019\-]+", question)
        unknown = []
        for i, word in enumerate(words):
            named = (i > 0 and word[:1].isupper()) or any(ch.isdigit() for ch in word)
            if not named:
                continue
            terms = tokenize(word)
            if terms and all(self.idf(t) == 0.0 for t in terms):
                unknown.append(word)
        return unknown

    # --- answering ---------------------------------------------------------------------
    def answer(self, question: str, retrieved: Sequence[Retrieved], *, said: Sequence[str] = ()) -> Draft:
        t0 = time.perf_counter()
        scored = self.score(question, retrieved, said=said)
        t1 = time.perf_counter()
        draft = self._compose(question, scored)
        t2 = time.perf_counter()
        timings = {"select": (t1 - t0) * 1000, "compose": (t2 - t1) * 1000}
        return Draft(draft.answer, draft.refused, draft.citations, timings, self.name)

    def stream(
        self, question: str, retrieved: Sequence[Retrieved], *, said: Sequence[str] = ()
    ) -> Iterator[AnswerDelta | Draft]:
        draft = self.answer(question, retrieved, said=said)
        yield AnswerDelta(draft.answer)
        yield draft

    def _compose(self, question: str, scored: list[Scored]) -> Draft:
        w = self.weights
        unknown = self.unknown_names(question)
        best = scored[0] if scored else None
        if best is not None and best.raw < w.threshold:
            # New information is preferred, but repeating an answer beats refusing.
            best = max(scored, key=lambda s: s.raw)
        if best is None or unknown or not self._enough(best) or best.cosine < w.min_cosine:
            if best is not None:
                log.debug(
                    "refusing %r: best %.3f (cos %.3f, kw %.2f) unknown=%s",
                    question,
                    best.score,
                    best.cosine,
                    best.keyword,
                    unknown,
                )
            return self._refuse(question, scored)
        chosen = [best]
        length = len(best.cand.span.text)
        for s in self._context(question, best, scored):
            if length + len(s.cand.span.text) <= w.max_chars:
                chosen.append(s)
                length += len(s.cand.span.text)
        for s in scored:
            if s is best:
                continue
            if len(chosen) >= w.max_sentences or s.score < w.second_ratio * best.score:
                break
            if length + len(s.cand.span.text) > w.max_chars or self._redundant(s, chosen):
                continue
            chosen.append(s)
            length += len(s.cand.span.text)
        # Best article first; within an article, in reading order.
        doc_order: dict[str, int] = {}
        for s in chosen:
            doc_order.setdefault(s.cand.doc.doc_id, len(doc_order))
        chosen.sort(key=lambda s: (doc_order[s.cand.doc.doc_id], s.cand.span.start))
        citations: list[Citation] = []
        parts: list[str] = []
        for s in chosen:
            n = len(citations) + 1
            citations.append(make_citation(n, s.cand.doc, s.cand.span.start, s.cand.span.end))
            parts.append(f"{_flatten(s.cand.span.text)} [{n}]")
        return Draft(" ".join(parts), False, tuple(citations), {}, self.name)

    def _context(self, question: str, best: Scored, scored: list[Scored]) -> list[Scored]:
        """Neighbours of the best sentence, in the same paragraph, that complete its answer.

        A news sentence often names the topic and the next one holds the answer ("Kata'ib
        Hezbollah rejected ... . Through the spokesman Abu Ali al-Askari's statement, ...");
        or the best one says "He ..." and the name is in the previous one.
        """
        doc = best.cand.doc
        same = sorted((s for s in scored if s.cand.doc.doc_id == doc.doc_id), key=lambda s: s.cand.span.start)
        i = next(j for j, s in enumerate(same) if s is best)
        out: list[Scored] = []
        if i + 1 < len(same):
            nxt = same[i + 1]
            if self._adjacent(doc, best, nxt) and self._adds_focus(question, best, nxt):
                out.append(nxt)
        if i > 0 and question_type(question) == "entity" and _ANAPHOR.match(best.cand.span.text):
            prev = same[i - 1]
            if self._adjacent(doc, prev, best):
                out.append(prev)
        return out

    @staticmethod
    def _adjacent(doc: Document, first: Scored, second: Scored) -> bool:
        gap = doc.text[first.cand.span.end : second.cand.span.start]
        return len(gap) < 5 and "\n" not in gap

    def _adds_focus(self, question: str, best: Scored, other: Scored) -> bool:
        """True if ``other`` has question words ``best`` lacks, worth a share of the question."""
        qterms = [t for t in dict.fromkeys(tokenize(question)) if t not in _GENERIC]
        weights = {t: self.idf(t) or self.max_idf() for t in qterms}
        total = sum(weights.values()) or 1.0
        new = sum(wt for t, wt in weights.items() if t in other.cand.terms and t not in best.cand.terms)
        return new / total >= self.weights.context_gain

    def _enough(self, best: Scored) -> bool:
        """Score over the threshold, or nearly every question word in one sentence: MiniLM's
        cosine is diluted in long sentences, a near-complete keyword match is not."""
        return best.raw >= self.weights.threshold or best.keyword >= self.weights.keyword_alone

    def closest(
        self,
        question: str,
        retrieved: Sequence[Retrieved],
        n: int = 2,
        scored: list[Scored] | None = None,
    ) -> list[Citation]:
        """The ``n`` best-scoring real sentences, offered for reference with a refusal."""
        if scored is None:
            scored = self.score(question, retrieved)
        out: list[Citation] = []
        for s in scored:
            if len(out) >= n:
                break
            if len(s.cand.span.text.split()) < 5:
                continue
            out.append(make_citation(len(out) + 1, s.cand.doc, s.cand.span.start, s.cand.span.end))
        return out

    def _refuse(self, question: str, scored: list[Scored]) -> Draft:
        closest = self.closest(question, (), scored=scored)
        text = refusal_text(question)
        if closest:
            refs = " ".join(f"[{c.n}]" for c in closest)
            text += f" The closest excerpts, for reference: {refs}"
        return Draft(text, True, tuple(closest), {}, self.name)

    @staticmethod
    def _redundant(s: Scored, chosen: list[Scored]) -> bool:
        for c in chosen:
            if c.cand.doc.doc_id == s.cand.doc.doc_id and c.cand.span.start == s.cand.span.start:
                return True
            union = c.cand.terms | s.cand.terms
            if union and len(c.cand.terms & s.cand.terms) / len(union) > 0.5:
                return True
        return False


def _flatten(text: str) -> str:
    return " ".join(text.split())
