"""How much a sentence naming an asked day tells what happened on it (``day_weight``).

"What happened on Monday evening?" is answered from the sentences that name the day
(``answering.dates.names_day``); among them, the day's own reports come before recaps, what
happened before what was to come, an event on the day before a bound ("waiting by Monday
evening"), the asked clock time first, and a report's lead (its main news) first. Grammar by
regular expressions over the sentence (modals, "since"/"by", clock times), no word lists of a
corpus.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from answering.dates import DateQuery, article_day, names_a_weekday, reported_on_the_day, text_dates

_PLANNED_RE = re.compile(
    r"\b(?:will|would|shall|plans?|planned|planning|due to|expected to|set to|next)\b", re.I
)


def day_weight(
    query: DateQuery, question: str, text: str, published: str | None, *, lead: bool = False
) -> float:
    """How much a sentence naming the asked day tells what happened on it: fully in the day's own
    reports (``reported_on_the_day``), half in later ones (a recap); half again when it says what
    was to come ("would hold a vigil on Wednesday") and the question does not ask about plans, or
    when the day only bounds something ("waiting by Monday evening", "without shifts since
    Monday"); twice when it names the clock time the question asks about; one and a half for the
    lead of a report (its first sentence: the day's main news)."""
    weight = 1.0 if reported_on_the_day(query, published) or article_day(published) is None else 0.5
    if _planned(text) and not _PLANNED_RE.search(question):
        weight *= 0.5
    if _only_bounded(text):
        weight *= 0.5
    asked = clock_times(question)
    if asked and asked & clock_times(text):  # "at 9:45 a.m. on Tuesday": the sentence at that time
        weight *= 2.0
    return 1.5 * weight if lead else weight


_CLOCK_RE = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?\s?m\b\.?", re.I)


def clock_times(text: str) -> set[tuple[int, int, str]]:
    """Clock times a text names ("9:45 a.m.", "6am", "4 p.m.") as (hour, minute, a|p)."""
    return {(int(h), int(mm or 0), ap.lower()) for h, mm, ap in _CLOCK_RE.findall(text)}


_BOUND_RE = re.compile(r"\b(?:since|by|until|till|through|before)\s+(?:the\s+\w+\s+(?:hours\s+)?of\s+)?$", re.I)
_DAY_WORD_RE = re.compile(
    r"\b(?:" + "|".join(calendar.day_name) + "|" + "|".join(m for m in calendar.month_name[1:]) + r")\b"
)  # capitalised: "may" is a verb


def _planned(text: str) -> bool:
    """A day the text names is when something was to happen: a modal or "plans" before it in
    its clause ("the council would hold a vigil on Wednesday evening"; not "ended on Thursday,
    but analysts warned it would take months")."""
    for m in _DAY_WORD_RE.finditer(text):
        clause = re.split(r"[,;:]", text[: m.start()])[-1]
        if _PLANNED_RE.search(clause):
            return True
    return False


def _only_bounded(text: str) -> bool:
    """Every day the text names is a bound ("by Monday evening", "since the early hours of
    Monday"), none the time of an event."""
    found = list(_DAY_WORD_RE.finditer(text))
    return bool(found) and all(_BOUND_RE.search(text, 0, m.start()) for m in found)


def undated(text: str, published: str | None, reference: date | None = None) -> bool:
    """The sentence names no day: in an article of the asked day, it tells of that day."""
    return not text_dates(text, published, reference) and not names_a_weekday(text)
