"""The offline default: answer with the retrieved sentences that answer the question, cited.

Each candidate sentence gets the answerhood signals of ``answering.answerhood`` (does it hold an
answer of the asked kind, about the question's focus, said by whom the question names...) and a
probability of answering from the fitted model. The best sentence answers if that probability
reaches the model's threshold; otherwise the answer is a refusal that says what is missing, with
the closest excerpts offered for reference. Questions whose answer is several things ("who
condemned the attack?") gather the distinct answers across articles.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from answering import coverage, lists
from answering.answerers.base import Draft, refusal_text
from answering.answerers.dated import by_report_order, on_the_day
from answering.answerers.scoring import Limits, Scoring, scores_without_budget
from answering.answerhood import (
    AnswerModel,
    NounTyper,
    QuestionInfo,
    WordStats,
    choose,
    features,
    load_model,
    question_info,
)
from answering.asking import inner_question
from answering.citations import make_citation
from answering.language import NAMES, Analysis, Analyzer
from answering.models import AnswerDelta, Citation
from answering.recency import recency_topic
from answering.retrieval import Retrieved
from answering.sentences import Candidate, SentenceCache, candidates
from answering.sides import Ask, Sentence, agreement_ask, corroborate, gather
from answering.speakers import SIGNALS, Attribution, SpeechVerbs, asked
from answering.speakers import signals as speaker_signals
from answering.stance import stance_sides
from answering.text import Span, tokenize
from index.models import Document

log = logging.getLogger(__name__)

class ExtractiveAnswerer:
    name = "extractive"

    def __init__(
        self,
        document: Callable[[str], Document],
        cache: SentenceCache,
        stats: WordStats,
        analyzer: Analyzer,
        *,
        model: AnswerModel | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.document = document
        self.cache = cache
        self.stats = stats
        self.analyzer = analyzer
        self._model = model
        self.limits = limits or Limits()
        self.typer = NounTyper(cache.words)
        self.kind_typer = NounTyper(cache.words, margin=0.0)  # the one closest label: a list's items
        self.speech = SpeechVerbs(cache.words)
        self.attribution = Attribution(analyzer, cache, self.speech)

    @property
    def model(self) -> AnswerModel:
        """The fitted answerhood model (read on first use; ``signals`` does not need it)."""
        if self._model is None:
            self._model = load_model()
        return self._model

    # --- scoring -----------------------------------------------------------------------
    def score(
        self, question: str, retrieved: Sequence[Retrieved], *, said: Sequence[str] = (), every: bool = False
    ) -> Scoring:
        """Every candidate sentence with its signals and probability of answering.

        Embedding sentences is the expensive step (about 25 ms a sentence on one core), so only
        the ``embed_budget`` candidates the other signals rank best are embedded; the others get
        probability 0 (never chosen alone) but may still complete a chosen sentence. The choice
        does not depend on what is cached: the same question always gets the same answer.
        ``every``: parse every candidate (the sides of an agreement question share few words with it).
        """
        sc, embedded = self._scoring(question, retrieved, self.limits.embed_budget, every)
        if embedded:
            sc.probs[embedded] = self.model.probability(sc.rows[embedded])
        said_flat = [_flatten(t) for t in said]
        for i in embedded:
            if said_flat and any(_flatten(sc.cands[i].span.text) in t for t in said_flat):
                sc.probs[i] *= 0.5  # a follow-up wants something new; repeating still beats refusing
        return sc

    def signals(self, question: str, retrieved: Sequence[Retrieved]) -> Scoring:
        """Every candidate with its feature row, all embedded, no model (for fitting the model),
        judged against what ``answer`` judges them against."""
        asked, every = self._judged_by(question)
        return self._scoring(asked, retrieved, 0, every)[0]

    @staticmethod
    def _judged_by(question: str) -> tuple[str, bool]:
        """The question sentences are judged against, and whether every candidate is parsed:
        "do the reports agree on how many were hurt?" is judged by what it asks the reports
        ("how many were hurt?"), each of its sides parsed (the sides are compared by the whole
        question)."""
        if agreement_ask(question) is None:  # "the latest on X?" is judged as "what about X?"
            return recency_topic(question) or question, False
        return inner_question(question) or question, True

    def _scoring(
        self, question: str, retrieved: Sequence[Retrieved], budget: int, every: bool = False
    ) -> tuple[Scoring, list[int]]:
        """Candidates with their feature rows (probabilities 0), and which were embedded: all, or
        the ``budget`` best by the model without the embedding cosine."""
        q = question_info(question, self.analyzer)
        cands = candidates(retrieved, self.document, self.cache)
        cands = cands if every else self._within_parse_budget(question, cands)
        analyses, previous, before, after = self._neighbourhood(cands)
        ranks = [c.rank for c in cands]
        n = len(cands)
        word_sim = self._word_sim(q, analyses)
        labels = self._noun_labels(q)
        speech = self._speech(q, cands, analyses)

        def rows_with(cosines: list[float]) -> np.ndarray:
            return features(
                q, analyses, previous, cosines, ranks, self.stats, word_sim=word_sim, noun_labels=labels
            )

        embedded = list(range(n))
        if budget and n > budget:
            prior = self.model.probability(rows_with([0.0] * n))
            embedded = sorted(sorted(range(n), key=lambda i: -prior[i])[:budget])
        cos = np.zeros(n)
        if embedded:
            qvec, matrix = self.cache.embed(question, [(cands[i].doc.doc_id, cands[i].span) for i in embedded])
            cos[embedded] = matrix @ qvec
        rows = rows_with([float(c) for c in cos])
        return Scoring(q, cands, analyses, rows, np.zeros(n), before, after, speech), embedded

    def _speech(
        self, q: QuestionInfo, cands: Sequence[Candidate], analyses: Sequence[Analysis]
    ) -> np.ndarray | None:
        """Who speaks in each candidate, as its article says, when the question asks what someone
        said or who said something (``answering.speakers``); None for other questions."""
        ask = asked(q.analysis, q.kind, self.speech)
        if ask is None:
            return None
        vocabulary = frozenset(w for a in analyses for w in a.lemmas | a.words)
        return speaker_signals(
            ask,
            self.attribution.of(cands),
            q.analysis.lemmas | q.analysis.words,
            similar=self._closest_word,
            vocabulary=vocabulary,
            wants_speech=q.kind in ("say", "yesno"),
        )

    def _closest_word(self, word: str, words: frozenset[str]) -> float:
        return max((self.cache.similarity(word, w) for w in words), default=0.0)

    def _within_parse_budget(self, question: str, cands: list[Candidate]) -> list[Candidate]:
        """The ``parse_budget`` candidates that share the most (idf-weighted) words with the
        question, best retrieval rank first among equals, each with the sentence after it (which
        may complete it), in retrieval order.

        Parsing is the expensive step once embedding is budgeted (~5 ms a sentence on one core,
        and a large archive's candidates are rarely parsed before); a sentence sharing no word
        with the question rarely answers it. The cut does not depend on caches.
        """
        budget = self.limits.parse_budget
        if not budget or len(cands) <= budget:
            return cands
        if agreement_ask(question) is not None:
            # each side of "do the reports agree?" may share few words with the question (the
            # "tugboat attack" side of "was it a barge attack?"); its retrieval is one passage
            # per article, so every candidate is parsed
            return cands
        asked = set(tokenize(question))
        weight = {t: self.stats.weight(t) for t in asked}

        def prior(i: int) -> tuple[float, int, int]:
            return (-sum(weight[t] for t in cands[i].terms & asked), cands[i].rank, i)

        top = sorted(range(len(cands)), key=prior)[:budget]
        at = {(c.doc.doc_id, c.span.start): i for i, c in enumerate(cands)}
        keep = set(top)
        for i in top:
            nxt = self.cache.next(cands[i].doc, cands[i].span)
            j = at.get((cands[i].doc.doc_id, nxt.start)) if nxt is not None else None
            if j is not None:
                keep.add(j)
        return [cands[i] for i in sorted(keep)]

    def _noun_labels(self, q: QuestionInfo) -> frozenset[str]:
        return self.typer.labels(q.wh_noun) if q.wh_noun else frozenset()

    def _word_sim(
        self, q: QuestionInfo, analyses: Sequence[Analysis]
    ) -> Callable[[str, frozenset[str]], float]:
        """Closest cosine of a question word to a sentence's words ("hurt" ~ "injured")."""
        vocab = sorted({w for a in analyses for w in a.lemmas | a.verbs})
        asked = sorted({*q.focus, *([q.verb] if q.verb else []), *([q.wh_noun] if q.wh_noun else [])})
        if not asked or not vocab:
            return lambda word, words: 0.0
        vecs = self.cache.words([*asked, *vocab])
        position = {w: i for i, w in enumerate(vocab)}
        sims = np.stack([vecs[f] for f in asked]) @ np.stack([vecs[w] for w in vocab]).T
        row_of = {f: i for i, f in enumerate(asked)}

        def word_sim(word: str, words: frozenset[str]) -> float:
            cols = [position[w] for w in words if w in position]
            r = row_of.get(word)
            return float(sims[r, cols].max()) if cols and r is not None else 0.0

        return word_sim

    def _neighbourhood(
        self, cands: Sequence[Candidate]
    ) -> tuple[list[Analysis], list[Analysis | None], list[int], list[int]]:
        """Each candidate's analysis, that of the sentence just before it in its paragraph, and
        which candidates are adjacent (index before / after, -1 if none)."""
        prev_spans = [self.cache.previous(c.doc, c.span) for c in cands]
        texts = [c.span.text for c in cands] + [p.text for p in prev_spans if p is not None]
        by_text = dict(zip(texts, self.analyzer.analyse_many(texts), strict=True))
        index = {(c.doc.doc_id, c.span.start): i for i, c in enumerate(cands)}
        before = [
            index.get((c.doc.doc_id, p.start), -1) if p is not None else -1
            for c, p in zip(cands, prev_spans, strict=True)
        ]
        after = [-1] * len(cands)
        for i, j in enumerate(before):
            if j >= 0:
                after[j] = i
        return (
            [by_text[c.span.text] for c in cands],
            [by_text[p.text] if p is not None else None for p in prev_spans],
            before,
            after,
        )

    # --- answering ---------------------------------------------------------------------
    def answer(self, question: str, retrieved: Sequence[Retrieved], *, said: Sequence[str] = ()) -> Draft:
        t0 = time.perf_counter()
        ask = agreement_ask(question)
        asked, every = self._judged_by(question)
        scoring = self.score(asked, retrieved, said=said, every=every)
        t1 = time.perf_counter()
        draft = (
            self._covering(question, scoring)
            or (self._by_report_order(question, scoring) if ask is None else None)
            or self._compose(scoring, ask)
        )
        t2 = time.perf_counter()
        timings = {"select": (t1 - t0) * 1000, "compose": (t2 - t1) * 1000}
        return Draft(draft.answer, draft.refused, draft.citations, timings, self.name)

    def stream(
        self, question: str, retrieved: Sequence[Retrieved], *, said: Sequence[str] = ()
    ) -> Iterator[AnswerDelta | Draft]:
        draft = self.answer(question, retrieved, said=said)
        yield AnswerDelta(draft.answer)
        yield draft

    def _compose(self, sc: Scoring, ask: Ask | None = None) -> Draft:
        q = sc.question
        ranked = [i for i in sc.ranked() if sc.probs[i] > 0]
        best = float(sc.probs[ranked[0]]) if ranked else 0.0
        # an agreement question quotes each side, from different articles (answering/sides.py)
        ask = (ask or agreement_ask(q.text)) if ranked and not sc.has(ranked[0], "unknown_name") else None
        sides = self._sides(sc, ask) if ask is not None else []
        if sides:
            return self._cite(sc, sides)
        dated = (
            on_the_day(sc, self._scores(sc), self._is_lead, self._spans, self.limits.max_sentences)
            if ask is None
            else []
        )
        if dated:
            return self._cite(sc, dated)
        # "what did X say?" where no candidate is X's speech (answering.speakers): X did not say
        silent = sc.speech is not None and bool(sc.speech[:, SIGNALS.index("speaker_silent")].any())
        if not ranked or best < self.model.threshold or sc.has(ranked[0], "unknown_name") or silent:
            log.debug("refusing %r: best sentence p=%.3f", q.text, best)
            return self._refuse(sc)
        probs = sc.probs
        if sc.speech is not None and sc.question.kind == "say":
            by = sc.speech[:, 0] > 0
            if (by & (probs > 0)).any():
                probs = np.where(by, probs, 0.0)
        chosen = choose(sc.rows, probs, sc.before, sc.after, limit=self.limits.max_sentences)
        # "who condemned it?", "which roads were closed?": the distinct answers across articles
        wanted = lists.list_ask(q, self.kind_typer.labels)
        if wanted is not None:
            chosen = self._list(sc, wanted, chosen)
        return self._cite(sc, chosen)

    def _cite(self, sc: Scoring, chosen: Sequence[int]) -> Draft:
        citations: list[Citation] = []
        parts: list[str] = []
        for i in chosen:
            c = sc.cands[i]
            n = len(citations) + 1
            citations.append(make_citation(n, c.doc, c.span.start, c.span.end))
            parts.append(f"{_flatten(c.span.text)} [{n}]")
        return Draft(" ".join(parts), False, tuple(citations), {}, self.name)

    def _sides(self, sc: Scoring, ask: Ask) -> list[int]:
        """The sentences of each side of an agreement question, from different articles
        (``answering.sides.gather``); with no checkable detail stated by two articles, the
        answering sentences of several articles (``corroborate``); [] when neither.
        Candidates beyond the embedding budget count with their probability without it, halved."""
        scores = self._scores(sc)
        sentences = [
            Sentence(
                c.span.text,
                c.doc.doc_id,
                c.doc.published,
                0.0 if sc.has(i, "short") or sc.analyses[i].is_question else float(scores[i]),
            )
            for i, c in enumerate(sc.cands)
        ]
        answered = [
            Sentence(s.text, s.doc_id, s.published, float(p) if s.score > 0 else 0.0)
            for s, p in zip(sentences, sc.probs, strict=True)
        ]
        return (
            (stance_sides(ask.proposition, sentences, self.cache.similarity) if ask.proposition else [])
            or gather(ask, sentences, similar=self.cache.similarity, floor=0.75 * self.model.threshold)
            or corroborate(answered, self.model.threshold)
        )

    def _covering(self, question: str, sc: Scoring) -> Draft | None:
        """ "Which outlets reported that X?": each outlet's sentence stating X, named and cited
        (``answering.coverage``); None when the question does not ask that or no sentence states X."""
        ask = coverage.coverage_ask(question)
        if ask is None or not sc.cands:
            return None
        scores = self._scores(sc)
        usable = [i for i in range(len(sc.cands)) if not sc.has(i, "short") and not sc.analyses[i].is_question]
        titles = {c.doc.doc_id: c.doc.title for c in sc.cands}
        about = dict(zip(titles, self.analyzer.analyse_many(list(titles.values())), strict=True))
        said = [
            coverage.Said(
                sc.cands[i].doc.doc_id,
                sc.cands[i].doc.source,
                sc.cands[i].doc.published,
                sc.analyses[i].lemmas | sc.analyses[i].words,
                float(scores[i]),
                about[sc.cands[i].doc.doc_id].lemmas | about[sc.cands[i].doc.doc_id].words,
            )
            for i in usable
        ]
        claim = self.analyzer.analyse(ask.claim)
        picked = coverage.gather(ask, claim.lemmas, said, self.stats.weight, self.cache.similarity)
        if not picked:
            return None
        chosen = [usable[i] for i in picked]
        citations = tuple(
            make_citation(n, sc.cands[i].doc, sc.cands[i].span.start, sc.cands[i].span.end)
            for n, i in enumerate(chosen, start=1)
        )
        texts: list[str] = []
        for i in chosen:  # every outlet is named; its sentence is quoted while the answer is short
            if texts and sum(map(len, texts)) + len(sc.cands[i].span.text) > self.limits.max_chars:
                texts.append("")
            else:
                texts.append(sc.cands[i].span.text)
        return Draft(coverage.render(citations, texts), False, citations, {}, self.name)

    def _list(self, sc: Scoring, wanted: lists.ListAsk, chosen: list[int]) -> list[int]:
        """The chosen sentences and those that add an item of the list asked for
        (``answering.lists.gather``). Candidates beyond the embedding budget count with their
        probability without it, halved (as for the sides of an agreement question)."""
        q = sc.question
        scores = self._scores(sc)
        nouns = [n for n in (wanted.noun, wanted.measure) if n is not None]
        if nouns:  # embed the asked nouns and the phrase heads in one batch
            self.cache.words([*nouns, *sorted({p.head for a in sc.analyses for p in a.phrases})])
        return lists.gather(
            wanted,
            sc.analyses,
            scores,
            [len(c.span.text) for c in sc.cands],
            chosen,
            asked=q.analysis.lemmas | q.analysis.words,
            kin=lists.kin_of(wanted, self.cache.similarity),
            usable=lambda i: not sc.has(i, "short") and not sc.analyses[i].is_question,
            docs=[c.doc.doc_id for c in sc.cands],
        )

    def _scores(self, sc: Scoring) -> np.ndarray:
        return scores_without_budget(sc, self.model.probability(sc.rows))

    def _by_report_order(self, question: str, sc: Scoring) -> Draft | None:
        chosen = by_report_order(question, sc, self._scores(sc), self._is_lead, self.model.threshold)
        return self._cite(sc, chosen) if chosen is not None else None

    def _is_lead(self, c: Candidate) -> bool:
        """The article's first sentence (news puts the main news first)."""
        spans = self.cache.sentences(c.doc)
        return bool(spans) and spans[0].start == c.span.start

    def _spans(self, c: Candidate) -> list[Span]:
        return self.cache.sentences(c.doc)

    def closest(self, sc: Scoring, n: int = 2) -> list[Citation]:
        """The ``n`` most likely real sentences (not headings or questions), offered with a refusal."""
        out: list[Citation] = []
        for i in sc.ranked():
            if len(out) >= n or sc.probs[i] <= 0:
                break
            if sc.has(i, "short") or sc.analyses[i].is_question:
                continue
            c = sc.cands[i]
            out.append(make_citation(len(out) + 1, c.doc, c.span.start, c.span.end))
        return out

    def _refuse(self, sc: Scoring) -> Draft:
        closest = self.closest(sc)
        text = refusal_text(sc.question.text, missing=self._missing(sc))
        if closest:
            refs = " ".join(f"[{c.n}]" for c in closest)
            text += f" Closest excerpts, for reference: {refs}"
        return Draft(text, True, tuple(closest), {}, self.name)

    def _missing(self, sc: Scoring) -> str | None:
        """A name in the question that the articles never mention, as the user typed it."""
        if not len(sc.cands) or not sc.has(0, "unknown_name"):
            return None
        vocab: set[str] = set()
        for a in sc.analyses:
            vocab |= a.words | a.lemmas
        q = sc.question
        for e in q.analysis.entities:
            unseen = [w for w in e.key.split() if w.isalpha() and self.stats.unseen(w) and w not in vocab]
            if e.label in NAMES and unseen:
                return e.text
        for name in q.typed_names:
            if self.stats.unseen(name) and name not in vocab:
                return name
        return None


def _flatten(text: str) -> str:
    return " ".join(text.split())
