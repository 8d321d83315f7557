"""Answers composed by the reports' dates: "what happened on March 12?" (``on_the_day``) and
"the latest on the salvage" / "what was reported first?" (``by_report_order``). Each returns
the candidates to quote, in order, from the extractive answerer's ``Scoring``; the answerer
cites them."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date

import numpy as np

from answering.answerers.scoring import Scoring
from answering.dates import asks_about_day, may_name_a_date, names_day, newest_day, parse_question_dates
from answering.day_weight import clock_times, day_weight, undated
from answering.recency import report_order
from answering.sentences import Candidate
from answering.text import Span

Spans = Callable[[Candidate], Sequence[Span]]  # the sentence spans of a candidate's article


def on_the_day(
    sc: Scoring, scores: np.ndarray, is_lead: Callable[[Candidate], bool], spans: Spans, limit: int
) -> list[int]:
    """ "What happened on March 12?", "what did the regulator do on Friday?": the best
    sentences that name that day (``answering.dates.names_day``: "on Thursday" in a report
    of that week), however few words they share with the question, or that name no day in a
    report of that day (at half weight: "The authority suspended shipping at 6 a.m." in the
    Monday report answers "what did it do at 6 a.m. on Monday?"), weighted by
    ``answering.day_weight.day_weight``; [] when the question names no day, asks when, or no
    candidate names the day. ``scores``: each candidate's probability of answering."""
    q = sc.question
    if q.kind == "when" or not may_name_a_date(q.text) or not sc.cands or not asks_about_day(q.text):
        return []
    reference = newest_day(c.doc.published for c in sc.cands) or date.today()
    query = parse_question_dates(q.text, reference)
    if query is None or not query.days(limit=7):
        return []
    days = set(query.days())
    day_words = {w.lower() for w in re.findall(r"[A-Za-z]+", query.phrase)}
    asked = {w for w in q.focus if w not in day_words} - {q.verb or ""}
    weights = np.zeros(len(sc.cands))
    for i, c in enumerate(sc.cands):
        if sc.has(i, "short") or sc.analyses[i].is_question:
            continue
        if names_day(query, c.span.text, c.doc.published, reference):
            weights[i] = 1.0
        elif c.doc.published and c.doc.published[:10] in {d.isoformat() for d in days}:
            # a sentence of the day's own report that names no day, about what the question
            # names besides the day ("the authority ... at 6 a.m."; not any sentence for
            # "what happened on March 12?")
            about = asked & sc.analyses[i].lemmas or clock_times(q.text) & clock_times(c.span.text)
            weights[i] = 0.5 if about and undated(c.span.text, c.doc.published, reference) else 0.0
        if weights[i]:  # the day's own reports and what happened, before recaps and plans
            weights[i] *= day_weight(query, q.text, c.span.text, c.doc.published, lead=is_lead(c))
    named = [i for i in range(len(sc.cands)) if weights[i] > 0]
    chosen = _best_of_articles(sc, named, scores * weights, limit)
    out: list[int] = []
    at = {(c.doc.doc_id, c.span.start): k for k, c in enumerate(sc.cands)}
    for i in chosen:  # who "they" or "the declaration" are: the sentence before, first
        j = sc.before[i]
        if j < 0:  # the last sentence of the paragraph before ("the declaration" of the lead)
            article = spans(sc.cands[i])
            k = next((n for n, sp in enumerate(article) if sp.start == sc.cands[i].span.start), 0)
            j = at.get((sc.cands[i].doc.doc_id, article[k - 1].start), -1) if k > 0 else -1
        if j >= 0 and j not in chosen and j not in out and _refers_back(sc, i, j):
            out.append(j)
        out.append(i)
    return out[: limit + 1]


def by_report_order(
    question: str, sc: Scoring, scores: np.ndarray, is_lead: Callable[[Candidate], bool], threshold: float
) -> list[int] | None:
    """ "The latest on the salvage", "what was reported first about the incident?": from the
    newest (oldest) of the reports about the question (holding a sentence with at least 0.3
    of the best sentence's probability), the one with the likeliest sentence: its lead (its
    main news) and its likeliest sentence. None when the question asks neither or names a
    day (``on_the_day``), or no sentence is about it (the usual answer or refusal)."""
    order = report_order(question)
    if order is None or not sc.cands or sc.question.kind == "when":
        return None
    reference = newest_day(c.doc.published for c in sc.cands) or date.today()
    query = parse_question_dates(question, reference)
    if query is not None and (query.start is not None or query.end is not None):
        return None
    usable = [
        i
        for i, c in enumerate(sc.cands)
        if not sc.has(i, "short") and not sc.analyses[i].is_question and c.doc.published
    ]
    top = max((float(scores[i]) for i in usable), default=0.0)
    if top < 0.5 * threshold:
        return None
    about = [i for i in usable if scores[i] >= 0.3 * top]
    day = (max if order == "newest" else min)(str(sc.cands[i].doc.published)[:10] for i in about)
    best = max((i for i in about if str(sc.cands[i].doc.published)[:10] == day), key=lambda i: scores[i])
    doc_id = sc.cands[best].doc.doc_id
    lead = next((i for i in usable if sc.cands[i].doc.doc_id == doc_id and is_lead(sc.cands[i])), None)
    return [lead, best] if lead is not None and lead != best else [best]


def _refers_back(sc: Scoring, i: int, j: int) -> bool:
    """Sentence ``i`` starts with what sentence ``j`` just said: a pronoun ("They ...") or a
    definite noun made from its verb ("Lindqvist has declared general average." <- "The
    declaration was made on Tuesday.": a shared stem of at least five letters)."""
    if sc.has(i, "anaphor"):
        return True
    words = sc.cands[i].span.text.split()
    if len(words) < 2 or words[0].lower() != "the":
        return False
    noun = words[1].lower().strip(".,;:")
    said = sc.analyses[j].lemmas | sc.analyses[j].verbs
    return len(noun) >= 6 and any(w[:5] == noun[:5] and w != noun for w in said)


def _best_of_articles(sc: Scoring, pool: list[int], scores: np.ndarray, limit: int) -> list[int]:
    """The best of ``pool``, the best of other articles with at least 0.3 of its score, and
    others of the same articles nearly as good (0.8: a day's report tells several events)."""
    pool = sorted(pool, key=lambda i: -scores[i])
    chosen = pool[:1]
    for i in pool[1:]:
        if len(chosen) >= limit:
            break
        if scores[i] >= 0.3 * scores[chosen[0]] and sc.cands[i].doc.doc_id not in {
            sc.cands[j].doc.doc_id for j in chosen
        }:
            chosen.append(i)
    for i in pool[1:]:
        if len(chosen) >= limit:
            break
        if i not in chosen and scores[i] >= 0.8 * scores[chosen[0]]:
            chosen.append(i)
    return chosen
