"""Word lists for the synthetic corpus.

A small head of real English words (what makes sentences read like news and embed sensibly) plus a
large, deterministic tail of invented names and rare terms (what makes BM25 statistics realistic:
tens of thousands of distinct terms with a Zipf-like frequency curve).
"""

from __future__ import annotations

import random
from functools import lru_cache

TOPICS: dict[str, dict[str, list[str]]] = {
    "security": {
        "nouns": [
            "attack",
            "drone",
            "militia",
            "ceasefire",
            "convoy",
            "checkpoint",
            "border",
            "explosion",
            "rocket",
            "investigation",
            "curfew",
            "raid",
            "hostage",
            "patrol",
        ],
        "verbs": [
            "condemned",
            "denied",
            "claimed",
            "targeted",
            "intercepted",
            "launched",
            "investigated",
            "arrested",
            "evacuated",
            "warned",
        ],
        "roles": [
            "interior minister",
            "military spokesman",
            "security adviser",
            "police chief",
            "commander",
            "defence minister",
        ],
    },
    "politics": {
        "nouns": [
            "election",
            "parliament",
            "coalition",
            "vote",
            "referendum",
            "cabinet",
            "opposition",
            "ballot",
            "reform",
            "mandate",
            "constitution",
            "campaign",
        ],
        "verbs": [
            "proposed",
            "rejected",
            "approved",
            "postponed",
            "announced",
            "vetoed",
            "debated",
            "endorsed",
            "resigned",
            "negotiated",
        ],
        "roles": [
            "prime minister",
            "speaker",
            "opposition leader",
            "party chairman",
            "electoral commissioner",
            "foreign minister",
        ],
    },
    "economy": {
        "nouns": [
            "inflation",
            "budget",
            "tariff",
            "currency",
            "deficit",
            "pipeline",
            "harvest",
            "exports",
            "bond",
            "subsidy",
            "strike",
            "refinery",
            "loan",
            "market",
        ],
        "verbs": [
            "raised",
            "cut",
            "forecast",
            "imported",
            "defaulted",
            "borrowed",
            "invested",
            "reported",
            "froze",
            "devalued",
        ],
        "roles": [
            "finance minister",
            "central bank governor",
            "chief economist",
            "trade envoy",
            "union leader",
            "chief executive",
        ],
    },
    "health": {
        "nouns": [
            "outbreak",
            "vaccine",
            "hospital",
            "clinic",
            "virus",
            "trial",
            "shortage",
            "epidemic",
            "quarantine",
            "diagnosis",
            "treatment",
            "ward",
        ],
        "verbs": [
            "confirmed",
            "treated",
            "vaccinated",
            "recorded",
            "tested",
            "isolated",
            "recommended",
            "suspended",
            "distributed",
            "diagnosed",
        ],
        "roles": [
            "health minister",
            "chief medical officer",
            "epidemiologist",
            "hospital director",
            "nurse",
            "WHO representative",
        ],
    },
    "science": {
        "nouns": [
            "satellite",
            "telescope",
            "laboratory",
            "discovery",
            "experiment",
            "glacier",
            "earthquake",
            "reactor",
            "species",
            "sample",
            "mission",
            "drought",
        ],
        "verbs": [
            "measured",
            "observed",
            "published",
            "detected",
            "launched",
            "mapped",
            "predicted",
            "sequenced",
            "recovered",
            "calibrated",
        ],
        "roles": [
            "lead researcher",
            "professor",
            "mission director",
            "geologist",
            "climate scientist",
            "agency spokeswoman",
        ],
    },
    "sport": {
        "nouns": [
            "final",
            "tournament",
            "league",
            "transfer",
            "stadium",
            "coach",
            "season",
            "penalty",
            "record",
            "medal",
            "squad",
            "derby",
        ],
        "verbs": [
            "won",
            "lost",
            "signed",
            "scored",
            "qualified",
            "appealed",
            "sacked",
            "defended",
            "equalised",
            "retired",
        ],
        "roles": [
            "head coach",
            "captain",
            "club president",
            "referee",
            "striker",
            "federation chief",
        ],
    },
}

COMMON = (
    "the a of in on at to for with after before during amid despite against about over "
    "under between while since until by from into near across said says told added "
    "according statement officials people government country city region week month "
    "year day night morning evening report reports local national international public "
    "early late new former senior several many some most other further more less "
    "about nearly least than also however meanwhile still already later earlier"
).split()

OUTLETS = [
    "Reuters",
    "Al Arabiya",
    "The Guardian",
    "AP",
    "BBC",
    "Le Monde",
    "Al Jazeera",
    "Der Spiegel",
    "NHK",
    "The Hindu",
    "El País",
    "Kyiv Independent",
    "Daily Star",
    "Agence France-Presse",
    "Deutsche Welle",
    "The National",
]

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

_ONSETS = [
    "b",
    "d",
    "f",
    "g",
    "h",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "v",
    "z",
    "br",
    "dr",
    "kh",
    "sh",
    "ch",
    "tr",
    "gr",
    "st",
    "al-",
    "q",
    "j",
    "y",
    "w",
]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ou", "ei", "ia", "ya"]
_CODAS = ["", "", "n", "r", "s", "m", "l", "k", "d", "t", "z", "sh", "v"]


def _word(rng: random.Random, syllables: int) -> str:
    parts = []
    for _ in range(syllables):
        parts.append(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS))
    return "".join(parts).replace("--", "-").strip("-")


def _unique_words(seed: str, count: int, min_syl: int, max_syl: int) -> list[str]:
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        w = _word(rng, rng.randint(min_syl, max_syl))
        if len(w) >= 3 and w not in seen:
            seen.add(w)
            out.append(w)
    return out


@lru_cache(maxsize=4)
def name_pools(seed: int) -> dict[str, list[str]]:
    """Invented but pronounceable entity names; deterministic per seed."""
    given = [w.capitalize() for w in _unique_words(f"{seed}:given", 1500, 2, 3)]
    family = [w.capitalize() for w in _unique_words(f"{seed}:family", 6000, 2, 4)]
    places = [w.capitalize() for w in _unique_words(f"{seed}:place", 3000, 2, 4)]
    org_roots = [w.capitalize() for w in _unique_words(f"{seed}:org", 1500, 2, 3)]
    kinds = [
        "Front",
        "Brigades",
        "Alliance",
        "Party",
        "Ministry",
        "Council",
        "Corporation",
        "Institute",
        "Union",
        "Movement",
        "Authority",
        "Bank",
        "Group",
        "League",
    ]
    orgs = [f"{root} {kinds[i % len(kinds)]}" for i, root in enumerate(org_roots)]
    return {"given": given, "family": family, "places": places, "orgs": orgs}


@lru_cache(maxsize=4)
def rare_terms(seed: int, count: int = 40000) -> list[str]:
    """The long tail of the vocabulary, sampled with a Zipf-like law."""
    return _unique_words(f"{seed}:rare", count, 2, 4)
