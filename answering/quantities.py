"""What a count in a sentence counts, and when two counts are counts of the same thing.

"The leak affects roughly 390,000 people" and "the network employs about 9,000 people" both count
people, but not the same people: comparing them would report a disagreement where there is none.
A count is the same quantity as another when both count the same kind of thing (the counted
noun: "people", "guards" ~ "personnel") *and* say the same of it (the claim: the verb or
participle the count is the subject or object of, "injured" ~ "hurt" ~ "wounded", not
"affects" vs "employs"). Both are read from the dependency parse; "the same" is the cosine of
the two words' vectors from the embedding model the answerer already uses (``Similar``), so
"injured"/"wounded" match without a synonym list, and exact lemmas match without any model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Token

# English number words (grammar, not corpus data): "seven" -> 7.
_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split()
)
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
NUMBER_WORDS = {w: i for i, w in enumerate(_UNITS)} | {w: 10 * i for i, w in enumerate(_TENS) if w != "_"}


def number_value(tokens: Sequence[Token]) -> int | float | None:
    """'seven' -> 7, '12,000' -> 12000, 'twenty-two' -> 22, 'two hundred' -> 200, '1.2' -> 1.2."""
    total: int | float = 0
    current: int | float = 0
    seen = False
    for tok in tokens:
        word = tok.lower_.replace(",", "")
        for piece in word.split("-"):
            if piece.isdigit():
                current += int(piece)
            elif piece in NUMBER_WORDS:
                current += NUMBER_WORDS[piece]
            elif piece in SCALES:
                current = max(current, 1) * SCALES[piece]
                if SCALES[piece] >= 1000:
                    total, current = total + current, 0
            else:
                try:
                    number = float(piece)
                except ValueError:
                    return None
                current += int(number) if number.is_integer() else number
            seen = True
    if not seen:
        return None
    value = total + current
    return int(value) if isinstance(value, float) and value.is_integer() else value


# word -> word -> cosine in [-1, 1] (``answering.sentences.SentenceCache.similarity``)
Similar = Callable[[str, str], float]

# Cosines of single-word vectors (all-MiniLM-L6-v2) between words that name the same claim:
# injure/hurt 0.62, injured/wounded 0.64, wound/injure 0.51; and of different claims:
# kill/injure 0.32, affect/employ 0.29, carry/hurt 0.26, arrest/injure 0.35.
CLAIM_SIMILAR = 0.45
# A count with no counted noun on one side: only near-synonyms (hurt/injured 0.66, not
# leave/kill 0.55: single-verb vectors are noisy without the noun to anchor them).
NOUNLESS_CLAIM_SIMILAR = 0.6
# Nouns: guard/personnel 0.47, people/passenger 0.43, people/patient 0.40; hospital/people 0.25.
NOUN_SIMILAR = 0.4

# the dependencies along which a counted noun belongs to the words that say something of it
_UP = frozenset(
    {
        "nsubj",
        "nsubjpass",
        "dobj",
        "pobj",
        "prep",
        "conj",
        "appos",
        "attr",
        "npadvmod",
        "nmod",
        "poss",
        "dative",
        "oprd",
        "nummod",
        "agent",
        "pcomp",
        "compound",
        "quantmod",
    }
)
_MODIFIERS = frozenset({"amod", "acl", "relcl"})
_COMPLEMENTS = frozenset({"acomp", "oprd", "xcomp"})
_MAX_STEPS = 6


def exact(a: str, b: str) -> float:
    """The similarity with no word vectors: only the same lemma is the same word."""
    return 1.0 if a == b else 0.0


def _lemma(tok: Token) -> str:
    return tok.lemma_.lower()


def _predicate(tok: Token) -> bool:
    if _lemma(tok) in ("be", "have"):
        return False  # grammar, not a claim ("there were 40 people")
    return tok.pos_ in ("VERB", "ADJ") or tok.tag_ in ("VBN", "VBG", "VBD")


def of_noun(tok: Token) -> Token | None:
    """'2 terabytes of data' -> data; 'the number of people' -> people."""
    for child in tok.children:
        if child.dep_ == "prep" and child.lower_ == "of":
            for pobj in child.children:
                if pobj.dep_ == "pobj" and pobj.pos_ in ("NOUN", "PROPN"):
                    return pobj
    return None


def modifiers(tok: Token) -> set[str]:
    """The participles and adjectives that say something of ``tok``: '17 injured', 'people
    injured', 'wounded guards', 'people who were hurt'."""
    out: set[str] = set()
    for child in tok.children:
        if child.dep_ in _MODIFIERS and _predicate(child) and child.tag_ not in ("JJR", "JJS"):
            out.add(_lemma(child))
    return out


def claim_of(tok: Token) -> tuple[frozenset[str], Token]:
    """What the sentence says of the thing ``tok`` counts (lemmas of its modifiers, the nouns on
    the way up and the first verb above it: "the records of 386,000 patients were stolen" ->
    record, steal) and the token the claim's verb is found at. A count with no noun of its own
    ("the number of people injured rose to 19", "confirmed the toll as 18") takes the noun of
    the verb's counted subject or object ("number of people injured": injure)."""
    words = modifiers(tok)
    t = tok
    for _ in range(_MAX_STEPS):
        if t.dep_ not in _UP or t.head.i == t.i:
            break
        conj = t.dep_ == "conj"  # "386,000 patients and 2,100 employees": not the patients'
        t = t.head
        if t.pos_ in ("VERB", "AUX") and _predicate(t):
            words.add(_lemma(t))
            # "were claimed wounded", "was reported injured": the complement says it
            words |= {_lemma(c) for c in t.children if c.dep_ in _COMPLEMENTS and _predicate(c)}
            words |= _counted_argument(t, tok)
            break
        if conj:
            continue
        if t.pos_ in ("VERB", "AUX"):  # "19 people were hurt" parsed with a copula: its complement
            words |= {_lemma(c) for c in t.children if c.dep_ in ("acomp", "attr") and c.i != tok.i}
            break
        if t.pos_ in ("NOUN", "ADJ"):
            words.add(_lemma(t))
            words |= modifiers(t)
    return frozenset(words), t


def counted_noun(tok: Token) -> Token | None:
    """The noun a bare count counts through its verb's counted subject or object: 19 in "the
    number of people injured rose to 19" -> people."""
    t = tok
    for _ in range(_MAX_STEPS):
        if t.dep_ not in _UP or t.head.i == t.i:
            return None
        t = t.head
        if t.pos_ in ("VERB", "AUX"):
            break
    else:
        return None
    for child in t.children:
        if child.dep_ in ("nsubj", "nsubjpass", "dobj") and (counted := of_noun(child)) is not None:
            return counted
    return None


def _counted_argument(verb: Token, number: Token) -> set[str]:
    """For a bare count under a verb ("rose to 19"), what the verb's subject or object counts
    ("the number of people injured" -> injure)."""
    if not number.like_num:
        return set()
    out: set[str] = set()
    for child in verb.children:
        if child.dep_ in ("nsubj", "nsubjpass", "dobj") and (counted := of_noun(child)) is not None:
            out |= modifiers(counted) | modifiers(child)
    return out


def close(xs: Iterable[str], ys: Iterable[str], similar: Similar, floor: float) -> bool:
    """Some word of ``xs`` is the same as, or close to, some word of ``ys``."""
    ys = list(ys)
    return any(x == y or similar(x, y) >= floor for x in xs for y in ys)


def same_quantity(
    nouns_a: frozenset[str],
    claim_a: frozenset[str],
    nouns_b: frozenset[str],
    claim_b: frozenset[str],
    similar: Similar,
) -> bool:
    """Two counts count the same thing: close counted nouns (or one without a noun), and close
    claims; with no claim on one side, only the very same noun."""
    if nouns_a and nouns_b and not close(nouns_a, nouns_b, similar, NOUN_SIMILAR):
        return False
    if claim_a and claim_b:
        # a count without a noun ("killed one of them") is the same only by a near-same claim
        floor = CLAIM_SIMILAR if nouns_a and nouns_b else NOUNLESS_CLAIM_SIMILAR
        return close(claim_a, claim_b, similar, floor)
    return bool(nouns_a & nouns_b)
