"""Who speaks in each sentence of an article, and whether that is who a question asks about.

"What did X say?" is answered by speech *by X*: "X said", "said X", "according to X", "X told",
"in a statement, X's ministry said", a quotation whose speaker is named in the sentence before or
after, or "the minister" / "she" standing for X after X was named. A sentence that only mentions
X, or where someone else speaks, does not answer it. "Who said ...?" is answered by the speaker.

The parse gives each sentence's reports (``answering.speech``); this module walks an article in
order and resolves them: a name as written (with the titles the article gives it), a title ("the
spokesman") to the latest person or body the article gave that title, a pronoun to the latest
person (he/she, of a matching courtesy title if one was written) or body (it/they) named before
it. Whether a verb is one of speaking is its parse shape (it governs a clause, names something,
"according to") or its meaning: the closeness of its embedding to a few general reporting verbs.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from answering.language import Analysis, Analyzer
from answering.sentences import Candidate, SentenceCache
from answering.speech import Report

# The most general verbs of reporting (the heads of the class in any English grammar), and the
# most general verbs of doing, moving and having: a verb reports speech when its embedding is
# close to the first (at least SPEECH_FLOOR) and clearly closer to them than to the second.
REPORTING = ("say", "tell", "state", "announce")
GENERAL = ("go", "make", "get", "do", "take")
# MiniLM single-word cosines (reporting / general): explain .51/.45, warn .47/.33, describe
# .41/.30, admit .57/.39, quote .47/.32; not: go .41/1, come .40/.60, get .41/1, think .45/.51,
# claim .38/.46, kill .38/.46 (a clause after the verb still makes "confirmed that" speech).
SPEECH_FLOOR = 0.40
SPEECH_MARGIN = 0.05  # lose .49/.47, begin .42/.42 are no closer to speaking than to doing
_WH_SUBJECTS = frozenset({"who", "whom", "which", "what"})
# Sentences of an article read to resolve its speakers (parsing is the cost: ~5 ms a sentence):
OPENING_SENTENCES = 4  # its opening, where people are introduced with their titles
WINDOW_SENTENCES = 3  # before each candidate (8 gave the same answers on every set and 50 ms more p95 at 100k)

Speakers = tuple[frozenset[str], ...]  # per sentence: the words of each speaker


class SpeechVerbs:
    """Is a verb lemma one of speaking? By its embedding's closeness to ``REPORTING``
    (and not more to ``GENERAL``)."""

    def __init__(self, words: Callable[[Sequence[str]], dict[str, np.ndarray]], floor: float = SPEECH_FLOOR):
        self._words = words
        self._floor = floor
        self._known: dict[str, bool] = {}
        self._lock = threading.Lock()

    def __call__(self, verb: str) -> bool:
        with self._lock:
            hit = self._known.get(verb)
        if hit is not None:
            return hit
        vecs = self._words([verb, *REPORTING, *GENERAL])
        close = max(float(vecs[verb] @ vecs[r]) for r in REPORTING)
        other = max(float(vecs[verb] @ vecs[g]) for g in GENERAL)
        speaks = close >= self._floor and close >= other + SPEECH_MARGIN
        with self._lock:
            self._known[verb] = speaks
        return speaks

    def speaks(self, r: Report) -> bool:
        return r.shape or self(r.verb)


@dataclass(frozen=True, slots=True)
class Asked:
    """Whose speech a question asks for: ``words`` of X ("what did the foreign ministry say"),
    of which ``names`` must be matched when X has a name; ``who`` when it asks who said it."""

    words: frozenset[str]
    names: frozenset[str]
    head: str
    who: bool = False

    def said_by(self, speaker: frozenset[str], similar: Similar | None = None) -> bool:
        """A name of X is the speaker's ("Reyes" for "Mayor Ana Reyes"); else X's head noun is
        (or means) one of the speaker's words and at least half of the words it is qualified by
        are too: "the opposition transport spokesperson" is not "a hospital spokesperson"."""
        if self.names:
            return any(_fuzzy(n, speaker) for n in self.names)
        if not _close(self.head, speaker, similar):
            return False
        rest = self.words - {self.head}
        return 2 * sum(_fuzzy(w, speaker) for w in rest) >= len(rest)


Similar = Callable[[str, frozenset[str]], float]  # closest cosine of a word to any of the words
# "spokesman" ~ "spokesperson" .87; not "expert" ~ "specialist" .57 (too near: "minister" ~ other titles)
SAME_MEANING = 0.7


def _close(word: str, words: frozenset[str], similar: Similar | None) -> bool:
    return _fuzzy(word, words) or (similar is not None and bool(words) and similar(word, words) >= SAME_MEANING)


def _fuzzy(word: str, words: frozenset[str]) -> bool:
    if word in words:
        return True
    return len(word) >= 5 and bool(difflib.get_close_matches(word, list(words), n=1, cutoff=0.84))


def asked(q: Analysis, kind: str, speech: SpeechVerbs) -> Asked | None:
    """The speaker a quote question asks about, or a who-said question; None for other questions.

    "What did X say/tell/warn ...", "according to X, ...", "did X say ...": X is the subject of
    a verb of speaking. "Who said ...", "which group called ...": the subject is the question word.
    """
    for r in q.reports:
        if r.verb == "according":
            return _asked_of(r)
    for r in q.reports:
        if r.pronoun is not None or not speech.speaks(r):
            continue
        if r.head in _WH_SUBJECTS or (q.wh_noun is not None and r.head == q.wh_noun and kind == "who"):
            return Asked(frozenset(), frozenset(), r.head, who=True)
        return _asked_of(r)
    return None


def _asked_of(r: Report) -> Asked | None:
    names = frozenset(_name_words(r.name or ""))
    words = r.words | names
    if not words:
        return None
    return Asked(words, names, r.head)


class Attribution:
    """The speakers of candidate sentences, resolved over the articles they come from."""

    def __init__(self, analyzer: Analyzer, cache: SentenceCache, speech: SpeechVerbs) -> None:
        self.analyzer = analyzer
        self.cache = cache
        self.speech = speech

    def of(self, cands: Sequence[Candidate]) -> list[Speakers]:
        """Per candidate, the words of each speaker the article gives it (empty: nobody speaks)."""
        out: list[Speakers] = [()] * len(cands)
        by_doc: dict[str, list[int]] = {}
        for i, c in enumerate(cands):
            by_doc.setdefault(c.doc.doc_id, []).append(i)
        for idx in by_doc.values():
            doc = cands[idx[0]].doc
            spans = self.cache.sentences(doc)
            starts = {s.start: k for k, s in enumerate(spans)}
            at = sorted({k for i in idx if (k := starts.get(cands[i].span.start)) is not None})
            # the article's opening (where people are introduced with their titles) and a window
            # before each candidate (who "he" is) and the sentence after it ('..." she said.')
            read = set(range(min(OPENING_SENTENCES, len(spans))))
            for k in at:
                read.update(range(max(0, k - WINDOW_SENTENCES), min(len(spans), k + 2)))
            order = sorted(read)
            analyses = self.analyzer.analyse_many([spans[k].text for k in order])
            article: list[Analysis | None] = []
            position: dict[int, int] = {}  # sentence of the article -> its place in ``article``
            for j, k in enumerate(order):
                if j and k != order[j - 1] + 1:
                    article.append(None)  # a gap: its neighbours are not adjacent
                position[k] = len(article)
                article.append(analyses[j])
            said = attribute(article, self.speech)
            for i in idx:
                k = starts.get(cands[i].span.start)
                if k is not None and k in position:
                    out[i] = said[position[k]]
        return out


@dataclass(slots=True)
class _Known:
    name: str
    label: str
    titles: set[str]
    gender: str | None


def attribute(article: Sequence[Analysis | None], speech: SpeechVerbs) -> list[Speakers]:
    """Per sentence of an article (in order), the words of each speaker it reports; None for
    sentences not read (no speakers; the sentences on either side are not adjacent)."""
    known: list[_Known] = []  # people and bodies named so far, latest last
    by_last: dict[str, _Known] = {}  # last word of a name -> who ("Okafor" after "Daniel Okafor")
    out: list[Speakers] = []
    for a in article:
        if a is None:
            out.append(())
            continue
        mentioned: list[tuple[int, _Known]] = []
        for m in a.mentions:
            last = m.name.split()[-1] if m.name.split() else m.name
            k = by_last.get(last)
            if k is None or (k.label != m.label and m.label == "PERSON"):
                k = _Known(m.name, m.label, set(), None)
                by_last[last] = k
            k.titles |= m.titles
            k.gender = k.gender or m.gender
            mentioned.append((m.start, k))
        for r in a.reports:  # a subject that is a name the recogniser missed is a person named
            last = r.name.split()[-1] if r.name else ""
            if not last or any(k is by_last.get(last) for _, k in mentioned):
                continue
            if last not in by_last:
                by_last[last] = _Known(r.name or last, "PERSON", set(), None)
            mentioned.append((r.start, by_last[last]))
        said: list[frozenset[str]] = []
        for r in a.reports:
            if not speech.speaks(r):
                continue
            before = [k for start, k in mentioned if start < r.start]
            who = _resolve(r, [*_without(known, before), *before], by_last)
            if who:
                said.append(who)
        # latest last; within a sentence its subjects last: a pronoun in the next sentence
        # most often continues the subject ("Ms Holt met Tom Reyes. She said ...")
        subjects = {r.name.split()[-1] for r in a.reports if r.name}
        for _, k in sorted(mentioned, key=lambda sk: sk[1].name.split()[-1] in subjects):
            if k in known:
                known.remove(k)
            known.append(k)
        out.append(tuple(dict.fromkeys(said)))
    # a quotation no verb in it attributes: its speaker is named in the sentence before or after
    for i in reversed(range(len(article) - 1)):  # '"It held. | We rebuilt. | We will," she said.'
        a = article[i]
        if not out[i] and a is not None and a.quoted and _opens(a.text):
            out[i] = out[i + 1]
    for i, a in enumerate(article):
        if out[i] or a is None or not a.quoted:
            continue
        if i > 0 and out[i - 1]:  # 'She said ... | "Nobody listened."': she goes on
            out[i] = out[i - 1]
        elif i + 1 < len(article) and out[i + 1]:
            out[i] = out[i + 1]
    return out


_OPENING = '"\u201c\u00ab'
_MARKS = '"\u201c\u201d\u00ab\u00bb'


def _opens(text: str) -> bool:
    """The sentence opens a quotation it does not close: the quotation goes on after it."""
    text = text.strip()
    return bool(text) and text[0] in _OPENING and sum(text.count(m) for m in _MARKS) % 2 == 1


def _without(known: list[_Known], drop: list[_Known]) -> list[_Known]:
    return [k for k in known if k not in drop]


def _name_words(name: str) -> set[str]:
    return set(name.split())


def _words_of(k: _Known) -> frozenset[str]:
    return frozenset({*_name_words(k.name), *k.titles})


def _resolve(r: Report, recent: list[_Known], by_last: dict[str, _Known]) -> frozenset[str]:
    """The words of the speaker of a report: a name with its titles; a pronoun's or a title's
    latest fitting antecedent (``recent``: latest last); else the noun phrase as written."""
    if r.name is not None:
        parts = r.name.split()
        k = by_last.get(parts[-1]) if parts else None
        if k is not None:
            return r.words | _words_of(k)
        return r.words | frozenset(_name_words(r.name))
    if r.pronoun in ("he", "she"):
        gender = "m" if r.pronoun == "he" else "f"
        for k in reversed(recent):
            if k.label == "PERSON" and k.gender in (None, gender):
                return _words_of(k)
        return frozenset()
    if r.pronoun in ("it", "they"):
        for k in reversed(recent):
            if k.label != "PERSON":
                return _words_of(k)
        return frozenset()
    for k in reversed(recent):  # "the spokesman said": the one the article called spokesman
        if r.head in k.titles:
            return r.words | _words_of(k)
    return r.words


SIGNALS = ("said_by", "said_other", "asks_speech", "speaker_silent")


def signals(
    ask: Asked | None,
    said: Sequence[Speakers],
    question_words: frozenset[str],
    similar: Similar | None = None,
    vocabulary: frozenset[str] = frozenset(),
    wants_speech: bool = True,
) -> np.ndarray:
    """Per sentence, ``SIGNALS``: spoken by whom the question asks about; spoken only by others;
    the question asks for someone's speech (1 for every sentence of such a question); it asks
    for X's, no candidate is X's speech, and X is named, or not all its words are in the
    candidates' ``vocabulary`` and the question ``wants_speech`` itself ("what did X say", "did
    X say ...") (1 for every sentence: X does not speak on it). "What did the unions say" where
    the articles speak of unions, and "why do experts say ..." where they say "specialists",
    are left to the other signals: a group may speak through a name the parse cannot tie to it.

    For "who said ...": spoken by someone the question does not name, and 0. Zeros for questions
    that ask for no one's speech."""
    out = np.zeros((len(said), len(SIGNALS)), dtype=np.float64)
    if ask is None:
        return out
    out[:, 2] = 1.0
    for i, speakers in enumerate(said):
        if not speakers:
            continue
        if ask.who:
            out[i, 0] = float(any(not s <= question_words for s in speakers))
            continue
        by = any(ask.said_by(s, similar) for s in speakers)
        out[i, 0] = float(by)
        out[i, 1] = float(not by)
    known = all(_fuzzy(w, vocabulary) for w in ask.words)
    if not ask.who and not out[:, 0].any() and (ask.names or (wants_speech and not known)):
        out[:, 3] = 1.0
    return out
