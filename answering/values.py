"""Values an agreement question may ask the reports for, other than counts of a thing.

A clock time ("about 2:40 a.m." -> time 02:40), a part of the day (spaCy's TIME entity
"evening"), an amount of money ("$4.2 million"), an age ("a 52-year-old", "Tomas Reyne, 47,"),
a percentage and a measure with its unit ("640 metres below", "a 20-centimetre borehole" ->
measure:centimetre), a duration ("for at least 30 days" -> duration 30 days, "a 78-hour
ordeal", "closed indefinitely" -> duration open-ended), each in a slot of its kind.
``answering.agreement.compare`` compares them only when a question asks for that kind
(``answering.asking.value_kinds``).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from answering.quantities import NUMBER_WORDS, SCALES, number_value


class Value(NamedTuple):
    slot: str  # "time", "time of day", "money", "age", "percent", "measure:<unit>"
    value: str  # normalised: "02:40", "4200000", "52", "640"
    surface: str  # as written


_CLOCK = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?\s?m\b\.?", re.I)
_AGE = re.compile(r"^(\d{1,3})-year-old$")
_SCALE_WORDS = frozenset(SCALES)
# a length of time: "for (at least) 30 days", "lasting two weeks", "a 30-day ban"; not a point in
# time ("30 days ago", "two days after the collapse"). Units and their length in hours (grammar).
_UNIT_HOURS = {"minute": 1 / 60, "hour": 1, "day": 24, "week": 24 * 7, "month": 24 * 30, "year": 24 * 365}
_NUM = r"\d+(?:\.\d+)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_UNIT = r"(minute|hour|day|week|month|year)s?"
_LEAD = r"for|lasting|last|lasted|another|further|extra|additional"
_ABOUT = r"at least|at most|about|around|roughly|nearly|almost|more than|less than|up to|over|some"
_DURATION = re.compile(
    rf"\b(?:(?:{_LEAD})\s+(?:(?:{_ABOUT})\s+)?|(?:{_ABOUT})\s+)"
    rf"({_NUM})\s+{_UNIT}\b(?!\s+(?:ago|after|before|later|earlier|since|into|of)\b)",
    re.I,
)
_DURATION_MODIFIER = re.compile(rf"\b({_NUM})-{_UNIT}\b(?!-old)", re.I)  # "a 30-day closure"
# with no length: an end that is not set ("closed indefinitely", "until further notice")
_OPEN_ENDED = re.compile(r"\b(?:indefinitely|until further notice|permanently|for good)\b", re.I)


def values(doc: object) -> list[Value]:
    """The values of one parsed sentence (a spaCy ``Doc``), in the order found."""
    from spacy.tokens import Doc

    assert isinstance(doc, Doc)
    out: list[Value] = durations(doc.text)
    for m in _CLOCK.finditer(doc.text):
        hour = int(m.group(1)) % 12 + (12 if m.group(3).lower() == "p" else 0)
        out.append(Value("time", f"{hour:02d}:{m.group(2) or '00'}", m.group(0).strip()))
    for ent in doc.ents:
        if ent.label_ == "TIME" and ent.text.isalpha() and ent.root.dep_ != "compound":  # not "night shift"
            out.append(Value("time of day", ent.text.lower(), ent.text))
        if ent.label_ == "DATE" and (age := _AGE.match(ent.text)):
            out.append(Value("age", age.group(1), ent.text))
    for tok in doc:
        if not tok.like_num or tok.ent_type_ == "DATE" and not tok.dep_ == "appos":
            continue
        number = [c for c in tok.children if c.like_num and c.dep_ == "compound"] + [tok]
        value = number_value(number)
        if value is None:
            continue
        nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
        prev = doc[tok.i - 1] if tok.i > 0 else None
        if tok.dep_ == "appos" and tok.head.ent_type_ == "PERSON" and isinstance(value, int) and value < 130:
            out.append(Value("age", str(value), f"{tok.head.text}, {tok.text}"))
            continue
        if nxt is not None and nxt.lower_ in _SCALE_WORDS:
            continue  # "4.2 million": read at "million"
        if prev is not None and prev.tag_ == "$":
            out.append(Value("money", str(value), f"{prev.text}{doc[tok.i : tok.i + 1].text}"))
            continue
        if tok.lower_ in _SCALE_WORDS and prev is not None and prev.like_num:
            scaled = number_value([prev, tok])
            before = doc[prev.i - 1] if prev.i > 0 else None
            if scaled is not None and before is not None and before.tag_ == "$":
                out.append(Value("money", str(scaled), doc[before.i : tok.i + 1].text))
            continue
        if (
            nxt is not None
            and nxt.lower_ in ("%", "percent")
            or (
                nxt is not None
                and nxt.lower_ == "per"
                and tok.i + 2 < len(doc)
                and doc[tok.i + 2].lower_ == "cent"
            )
        ):
            out.append(Value("percent", str(value), doc[tok.i : min(tok.i + 3, len(doc))].text))
            continue
        unit = nxt
        hyphen = unit is not None and unit.text == "-" and not tok.whitespace_ and tok.i + 2 < len(doc)
        if hyphen:
            unit = doc[tok.i + 2]  # "a 20-centimetre borehole"
        # a unit measures how far, deep, wide or long something is ("640 metres below",
        # "15 centimetres wide", "a 20-centimetre borehole"), unlike a count ("six men remain")
        after = doc[unit.i + 1] if unit is not None and unit.i + 1 < len(doc) else None
        measures = unit is not None and (
            hyphen
            or unit.dep_ == "npadvmod"
            or unit.head.pos_ in ("ADJ", "ADV")
            or (after is not None and after.pos_ in ("ADJ", "ADV") and after.head.i in (unit.i, unit.head.i))
        )
        if (
            measures
            and unit is not None
            and unit.pos_ == "NOUN"
            and unit.is_alpha
            and not _CLOCK.match(unit.text)
        ):
            out.append(Value(f"measure:{unit.lemma_.lower()}", str(value), doc[tok.i : unit.i + 1].text))
    return out


def durations(text: str) -> list[Value]:
    """Lengths of time in a sentence, in hours ("for at least 30 days" -> 720), and open-ended
    ones ("indefinitely" -> "open-ended"): "30 days" and "indefinitely" differ, "a month" and
    "30 days" agree."""
    out: list[Value] = []
    for m in (*_DURATION.finditer(text), *_DURATION_MODIFIER.finditer(text)):
        word = m.group(1).lower()
        number = float(word) if word[0].isdigit() else float(NUMBER_WORDS[word])
        hours = number * _UNIT_HOURS[m.group(2).lower()]
        out.append(Value("duration", f"{hours:g}h", m.group(0).strip()))
    out += [Value("duration", "open-ended", m.group(0)) for m in _OPEN_ENDED.finditer(text)]
    return out
