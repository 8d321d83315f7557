"""Dates in questions ("on Nov 6", "last week", "latest", "in March 2024") and in sentences.

A question's date phrase is resolved with dateparser against a reference day (the newest article
date in the index, else today), to a day range plus whether the question asks for the newest
reports. Retrieval then drops articles published before the range (they cannot report it),
ranks chunks that mention a day of the range first, and for "latest" prefers newer articles.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# Words asking for the newest reports (English; dateparser has no notion of "latest").
RECENCY_WORDS = ("latest", "newest", "most recent", "recent", "recently", "currently", "now")
RECENCY_RE = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in RECENCY_WORDS) + r")\b", re.I)
_BEFORE_RE = re.compile(r"\b(?:before|until|prior to)\s*$", re.I)
_AFTER_RE = re.compile(r"\b(?:after|since)\s*$", re.I)  # "after" = from the next day
_MONTHS = {m.lower() for m in (*calendar.month_name[1:], *calendar.month_abbr[1:])} | {"sept"}
_ORDINAL_SUFFIXES = {"st", "nd", "rd", "th"}
_RELATIVE_RE = re.compile(r"\b(?:today|yesterday|week|month|year|ago)\b", re.I)
_SETTINGS = {"PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False}


@dataclass(frozen=True, slots=True)
class DateQuery:
    start: date | None  # inclusive
    end: date | None  # inclusive
    recency: bool  # the question asks for the newest reports
    phrase: str = ""  # the words of the question that were read as a date
    weekday: int | None = None  # "on Friday": the day is that weekday (0 = Monday), placed in the
    # week before the reference day; articles of the days after it may call it by its name
    earliest: bool = False  # the question asks what was reported first ("what was reported first")

    def days(self, limit: int = 31) -> list[date]:
        """The days of a bounded range (at most ``limit``), for matching dates in text."""
        if self.start is None or self.end is None or (self.end - self.start).days >= limit:
            return []
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def _granularity(phrase: str) -> str:
    words = phrase.lower()
    if "week" in words:
        return "week"
    if "month" in words or re.fullmatch(r"(?:in\s+)?[a-z]+\.?\s+\d{4}", words):
        return "month"
    if "year" in words or re.fullmatch(r"(?:in\s+)?\d{4}", words):
        return "year"
    return "day"


def _span(day: date, granularity: str) -> tuple[date, date]:
    if granularity == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if granularity == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    if granularity == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    return day, day


CALENDAR_RE = re.compile(
    r"\b\d{4}-\d{2}-\d{2}\b"
    r"|\b[A-Za-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]{3,9}\.?(?:\s+\d{4})?\b"
    r"|\b[A-Za-z]{3,9}\s+\d{4}\b"
)


def _found_dates(question: str, settings: dict[str, object]) -> list[tuple[str, datetime]]:
    """Calendar dates written out ("Nov 6", "6 November 2021") first, then relative phrases."""
    import dateparser
    from dateparser.search import search_dates

    found: list[tuple[str, datetime]] = []
    for m in CALENDAR_RE.finditer(question):
        words = {w.lower().rstrip(".") for w in re.findall(r"[A-Za-z.]+", m.group(0))} - _ORDINAL_SUFFIXES
        if words and not words <= _MONTHS:
            continue  # "the 22 countries"
        parsed = dateparser.parse(m.group(0), languages=["en"], settings=settings)
        if parsed is not None:
            found.append((m.group(0), parsed))
    if not found:  # relative phrases only: "the 22" or "Sunday" are not dates one can place
        found = [
            (phrase, when)
            for phrase, when in search_dates(question, languages=["en"], settings=settings) or []
            if _RELATIVE_RE.search(phrase)
        ]
    return found


_MAYBE_DATE_RE = re.compile(
    r"\d|\b(?:" + "|".join(sorted(m for m in calendar.month_abbr[1:])) + r")[a-z]*\b|today|yesterday|week|month"
    r"|year|ago|"
    + "|".join(re.escape(w) for w in RECENCY_WORDS)
    + r"|\b(?:"
    + "|".join(calendar.day_name)
    + r")\b|\b(?:before|after|since|until|prior to|first|initially|originally|earliest)\b",
    re.I,
)
_WEEKDAY_RE = re.compile(r"\b(" + "|".join(calendar.day_name) + r")s?\b", re.I)
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}


def may_name_a_date(question: str) -> bool:
    """A cheap first look: most questions name no date and need no dateparser call."""
    return bool(_MAYBE_DATE_RE.search(question))


def parse_question_dates(question: str, reference: date) -> DateQuery | None:
    """The date range a question is about, or None if it names none."""
    if not _MAYBE_DATE_RE.search(question):
        return None  # most questions: no dateparser call
    recency = bool(RECENCY_RE.search(question))
    base = datetime(reference.year, reference.month, reference.day)
    settings: dict[str, object] = dict(_SETTINGS, RELATIVE_BASE=base)
    for phrase, when in _found_dates(question, settings):
        start, end = _span(when.date(), _granularity(phrase))
        first, _, rest = phrase.partition(" ")
        if first.lower() in ("before", "after", "since", "until") and rest:
            head = first
        else:
            head = question[: question.find(phrase)]
        if _BEFORE_RE.search(head):
            return DateQuery(None, start - timedelta(days=1), recency, phrase)
        if m := _AFTER_RE.search(head):
            after = m.group(0).strip().lower() == "after"
            return DateQuery(end + timedelta(days=1) if after else start, None, recency, phrase)
        return DateQuery(start, end, recency, phrase)
    if m := _WEEKDAY_RE.search(question):  # "on Sunday": the last such day up to the reference
        weekday = _WEEKDAYS[m.group(1).lower()]
        day = reference - timedelta(days=(reference.weekday() - weekday) % 7)
        return DateQuery(day, day, recency, m.group(0), weekday)
    return DateQuery(None, None, True, "") if recency else None


def weekday_pattern(query: DateQuery) -> re.Pattern[str] | None:
    """'Friday' as news text names a day of the week before it was published."""
    if query.weekday is None:
        return None
    return re.compile(rf"\b{calendar.day_name[query.weekday]}\b", re.I)


def names_weekday(query: DateQuery, published: str | None) -> bool:
    """An article can call the query's day by its weekday name: published that day or in the
    six days after it (or undated)."""
    day = _day(published)
    if query.weekday is None or query.start is None:
        return False
    return day is None or 0 <= (day - query.start).days <= 6


def day_patterns(days: Iterable[date]) -> re.Pattern[str] | None:
    """Matches the days as news text writes them: 'November 6', 'Nov. 6', '6 November', '2021-11-06'."""
    forms: list[str] = []
    for d in days:
        full, short = calendar.month_name[d.month], calendar.month_abbr[d.month]
        forms += [
            rf"{full}\s+{d.day}\b",
            rf"{short}\.?\s+{d.day}\b",
            rf"\b{d.day}\s+(?:{full}|{short}\.?)",
            d.isoformat(),
        ]
    return re.compile("|".join(forms), re.I) if forms else None


def _day(published: str | None) -> date | None:
    try:
        return date.fromisoformat(published[:10]) if published else None
    except ValueError:
        return None


def article_allowed(published: str | None, query: DateQuery) -> bool:
    """An article published before the range cannot report it; an undated one may."""
    day = _day(published)
    return day is None or query.start is None or day >= query.start


def newest_day(published: Iterable[str | None]) -> date | None:
    days = [d for d in map(_day, published) if d is not None]
    return max(days) if days else None


def rerank(
    query: DateQuery,
    fused: list[tuple[str, float]],
    texts: dict[str, str],
    published: dict[str, str | None],
    leads: frozenset[str] = frozenset(),
) -> list[tuple[str, float]]:
    """Candidates (chunk id, score) re-scored for a dated question.

    ``texts``: chunk id -> text of every candidate (and of any extra chunk to consider);
    ``published``: chunk id -> its article's date. Chunks of articles published before the
    range are dropped; chunks that mention a day of the range get the best score added (first);
    for "latest", newer articles get up to half the best score added (for "what was reported
    first", older ones); ``leads`` (first chunks of the reports a "latest" / "first" question is
    answered from) get the best score added.
    """
    top = max((s for _, s in fused), default=1.0) or 1.0
    scores = {cid: s for cid, s in fused if article_allowed(published.get(cid), query)}
    days = query.days()
    pattern = day_patterns(days)
    weekday = weekday_pattern(query)
    if pattern is not None:
        for cid, text in texts.items():
            if not article_allowed(published.get(cid), query):
                continue
            named = bool(weekday and names_weekday(query, published.get(cid)) and weekday.search(text))
            # "March 12" is "Thursday" in a report of that week
            named = named or (len(days) <= 7 and bool(weekday_days(text, published.get(cid)) & set(days)))
            if pattern.search(text) or named:
                # the reports of the day itself (or the next morning) tell what happened on it
                # the reports of the day itself tell what happened on it, their lead first
                own = reported_on_the_day(query, published.get(cid))
                lead = own and cid.rsplit(":", 1)[-1] == "0"  # chunk id = document id + position
                scores[cid] = scores.get(cid, 0.0) + top * (1.5 if lead else 1.25 if own else 1.0)
    elif query.start is None and query.end is not None:  # "before the election"
        # Articles published later report what came before, so they cannot be filtered out;
        # chunks that date something in the range go first, with half the bonus of the asked
        # day itself (weaker evidence). "After X" needs no more: articles published before X
        # are already dropped, and what follows an event is rarely dated in the text.
        for cid in scores:
            if any(_within(query, d) for d in text_dates(texts.get(cid, ""), published.get(cid))):
                scores[cid] += 0.5 * top
    for cid in leads:  # the first chunk of the newest (oldest) reports: their main news
        if article_allowed(published.get(cid), query):
            scores[cid] = scores.get(cid, 0.0) + top
    if query.recency or query.earliest:
        days = sorted({d for cid in scores if (d := _day(published.get(cid))) is not None})
        if query.earliest:  # the oldest reports first
            days.reverse()
        for cid in scores:
            d = _day(published.get(cid))
            if d is not None and len(days) > 1:
                scores[cid] += 0.5 * top * days.index(d) / (len(days) - 1)
            elif d is not None:
                scores[cid] += 0.5 * top
    return sorted(scores.items(), key=lambda item: -item[1])


def reported_on_the_day(query: DateQuery, published: str | None) -> bool:
    """The article is one of the range's own reports: published in it or on the day after
    (a morning paper reports the day before)."""
    day = _day(published)
    if day is None or query.start is None or query.end is None:
        return False
    return query.start <= day <= query.end + timedelta(days=1)


def article_day(published: str | None) -> date | None:
    """The day of an article's ISO date, None if it has none."""
    return _day(published)


def names_a_weekday(text: str) -> bool:
    return bool(_WEEKDAY_RE.search(text))


def _within(query: DateQuery, day: date) -> bool:
    return (query.start is None or day >= query.start) and (query.end is None or day <= query.end)


def text_dates(text: str, published: str | None, reference: date | None = None) -> list[date]:
    """Calendar days a text names ("Oct. 10", "November 6, 2021"), placed in the past of the
    article's date (else of ``reference``); a date without a day ("October 2021") is not one."""
    import dateparser

    base = _day(published) or reference
    settings: dict[str, object] = dict(_SETTINGS, REQUIRE_PARTS=["day", "month"])
    if base is not None:
        settings["RELATIVE_BASE"] = datetime(base.year, base.month, base.day)
    out: list[date] = []
    for m in CALENDAR_RE.finditer(text):
        words = {w.lower().rstrip(".") for w in re.findall(r"[A-Za-z.]+", m.group(0))} - _ORDINAL_SUFFIXES
        if not words or not words <= _MONTHS:
            continue
        parsed = dateparser.parse(m.group(0).replace(".", ""), languages=["en"], settings=settings)
        if parsed is not None:
            out.append(parsed.date())
    return out


def names_day(query: DateQuery, text: str, published: str | None, reference: date | None = None) -> bool:
    """The text names a day of the query's (bounded) range: a calendar date ("March 12"), or a
    weekday ("on Thursday") placed in the week up to its article's date, as news text writes
    the days just past ("What happened on March 12?" is answered by "... on Thursday" in a
    report of that week)."""
    days = set(query.days())
    if not days:
        return False
    if any(d in days for d in text_dates(text, published, reference)):
        return True
    if _day(published) is None:
        return query.weekday is not None and any(
            _WEEKDAYS[m.group(1).lower()] == query.weekday for m in _WEEKDAY_RE.finditer(text)
        )
    return bool(weekday_days(text, published) & days)


def weekday_days(text: str, published: str | None) -> set[date]:
    """The days a text's weekday names place, as a report writes the days just past: "on
    Thursday" in an article of Monday March 16 is Thursday March 12 (or the article's own day);
    none in an undated article."""
    base = _day(published)
    if base is None:
        return set()
    return {
        base - timedelta(days=(base.weekday() - _WEEKDAYS[m.group(1).lower()]) % 7)
        for m in _WEEKDAY_RE.finditer(text)
        if not _NEXT_RE.search(text, 0, m.start())  # "next Thursday" is to come
    }


_NEXT_RE = re.compile(r"\b(?:next|coming|following)\s+$", re.I)


def weekday_names(days: Iterable[date]) -> list[str]:
    """'Thursday' for each day: the words a report of that week names it by."""
    return sorted({calendar.day_name[d.weekday()] for d in days})


def asks_about_day(question: str) -> bool:
    """The question's day places what it asks ("what happened on March 12?", "what did they do
    on Friday?"), not a thing it names ("according to the June 5 account": a noun's modifier)."""
    from answering.language import pipeline

    days = [
        t
        for t in pipeline()(question)
        if t.lower_ in _MONTHS or t.lower_.rstrip("s") in _WEEKDAYS or t.lower_.rstrip(".") in _MONTHS
    ]
    if any(
        t.head.lower_ in _AS_OF or t.head.nbor(-1).lower_ + " " + t.head.lower_ == "as of"
        for t in days
        if t.head.i
    ):
        return False  # "received by June 11": the day bounds a count, it does not place an event
    # "Monday evening": the day qualifies a time of day (an entity of time), it is still the day
    return bool(days) and not any(
        t.dep_ in ("nmod", "compound", "poss", "amod") and t.head.ent_type_ not in ("DATE", "TIME")
        for t in days
    )


_AS_OF = frozenset({"by", "until", "till", "through"})  # prepositions of a bound (and "as of")


# --- dates of events ("before the election", "after the attack") --------------------------------

_RELATIONS = {"before": "before", "until": "before", "prior": "before", "after": "after", "since": "after"}


@dataclass(frozen=True, slots=True)
class Event:
    relation: str  # "before" | "after"
    lemma: str  # the event noun's lemma ("election")
    phrase: str  # as the question writes it ("the parliamentary election")


def event_of(question: str) -> Event | None:
    """ "before the election" -> Event("before", "election", "the election"): a preposition of
    time whose object is a noun, not a date (spaCy parse)."""
    from answering.language import pipeline

    for tok in pipeline()(question):
        relation = _RELATIONS.get(tok.lower_)
        if relation is None or tok.dep_ != "prep":
            continue
        for obj in tok.children:
            if obj.dep_ == "pobj" and obj.pos_ in ("NOUN", "PROPN") and obj.ent_type_ not in ("DATE", "TIME"):
                phrase = question[obj.left_edge.idx : obj.idx + len(obj.text)]
                return Event(relation, obj.lemma_.lower(), phrase)
    return None


def event_day(event: Event, sentences: Iterable[tuple[str, str | None]], reference: date) -> date | None:
    """The day the articles give the event: the calendar date most often attached to the event
    noun in ``sentences`` (text, article date) — a date that modifies it ("the Oct. 10
    election", "elections on October 10") or the verb it is the subject of ("the election was
    held on October 10"). Ties go to the earliest. None if no sentence dates it."""
    from collections import Counter

    from answering.language import pipeline

    stem = re.compile(rf"\b{re.escape(event.lemma[: max(4, len(event.lemma) - 2)])}", re.I)
    votes: Counter[date] = Counter()
    for text, published in sentences:
        if not stem.search(text) or not text_dates(text, published, reference):
            continue  # only sentences naming the event and a calendar day are parsed
        doc = pipeline()(text)
        events = [t for t in doc if t.lemma_.lower() == event.lemma]
        if not events:
            continue
        for ent in doc.ents:
            if ent.label_ != "DATE" or not re.search(r"\d", ent.text):
                continue
            heads = []
            node = ent.root
            for _ in range(3):
                if node.head.i == node.i:
                    break
                node = node.head
                heads.append(node)
            verb = next((h for h in heads if h.pos_ in ("VERB", "AUX")), None)
            subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")] if verb else []
            inside = any(ent.start <= e.i < ent.end for e in events)  # "10 election" read as one date
            if inside or any(h in events for h in heads) or any(s in events for s in subjects):
                for day in text_dates(ent.text, published, reference):
                    votes[day] += 1
    if not votes:
        return None
    best = max(votes.values())
    return min(d for d, n in votes.items() if n == best)


def event_range(event: Event, day: date, recency: bool) -> DateQuery:
    """Before the event: up to the day before; after it: from its day (reports of that day
    already tell what followed)."""
    if event.relation == "before":
        return DateQuery(None, day - timedelta(days=1), recency, event.phrase)
    return DateQuery(day, None, recency, event.phrase)
