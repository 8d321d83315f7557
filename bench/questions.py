"""Questions for latency runs: on the shipped corpus, and generated for the synthetic corpus."""

from __future__ import annotations

import random
from typing import Any

from bench.corpus import DEFAULT_SEED, generate_article

# (question, follow-up or None). Follow-ups exercise the rewrite stage with a one-turn history.
SHIPPED: list[tuple[str, str | None]] = [
    ("Who denied involvement in the attack?", "What did their spokesman claim?"),
    ("Who was targeted by the drone attack?", "Where is his residence?"),
    ("How many security guards were injured?", None),
    ("When did the assassination attempt happen?", None),
    ("What did Ned Price say about the attack?", "Which department does he speak for?"),
    ("Where were the drones launched from?", None),
    ("What did Kata'ib Hezbollah say?", None),
    ("Who is Saad Maan?", None),
    ("What did Iran's Foreign Ministry spokesman say?", "Whom did he blame?"),
    ("Why were protesters camped outside the Green Zone?", None),
    ("When was the parliamentary election held?", "Who lost seats in it?"),
    ("What did the Arab League say?", None),
    ("What did al-Kadhimi write on Twitter?", None),
    ("Which group has claimed responsibility for the attack?", None),
    ("How did the Kurdish Regional Government react?", None),
    ("What happened at the November 6 demonstration?", None),
    ("When was al-Kadhimi named prime minister?", None),
    ("What is the Fatah Alliance?", None),
    ("Who won the football world cup in 2022?", None),  # not in the articles: refusal path
    ("What is the price of bitcoin today?", None),  # not in the articles: refusal path
]


# Asked before measuring (loads documents, builds the keyword index); never measured.
SHIPPED_WARMUP = [
    "What happened in Baghdad?",
    "Tell me about the drone attack.",
    "Who is the prime minister of Iraq?",
]


def eval_questions() -> tuple[list[str], list[tuple[str, str]]]:
    """The shipped eval set's questions: (single questions, (previous question, follow-up))."""
    from evaluation.questions import load_questions

    single: list[str] = []
    follow: list[tuple[str, str]] = []
    for q in load_questions().questions:
        if q.history:
            follow.append((q.history[-1].question, q.question))
        else:
            single.append(q.question)
    return single, follow


def latency_plan() -> dict[str, Any]:
    """Distinct questions on the shipped corpus (the bench list, then the eval set), so each
    measured answer pays for its own query embedding like a new user's question."""
    single, follow = eval_questions()
    questions = [q for q in dict.fromkeys(shipped_questions() + single) if q not in SHIPPED_WARMUP]
    followups = list(dict.fromkeys(shipped_followups() + follow))
    return {"warmup": SHIPPED_WARMUP, "questions": questions, "followups": [list(p) for p in followups]}


def synthetic_plan(
    n_articles: int, seed: int = DEFAULT_SEED, n_questions: int = 60, n_followups: int = 10
) -> dict[str, Any]:
    """Distinct generated questions about the synthetic corpus, 3 warm-up ones first."""
    pool = list(dict.fromkeys(synthetic_questions(n_articles, 3 * (n_questions + n_followups + 3), seed)))
    warmup, rest = pool[:3], pool[3:]
    questions = rest[:n_questions]
    followups = [[q, "What did they say about it?"] for q in rest[n_questions : n_questions + n_followups]]
    return {"warmup": warmup, "questions": questions, "followups": followups}


def shipped_questions() -> list[str]:
    return [q for q, _ in SHIPPED]


def shipped_followups() -> list[tuple[str, str]]:
    return [(q, f) for q, f in SHIPPED if f is not None]


def synthetic_questions(n_articles: int, count: int, seed: int = DEFAULT_SEED) -> list[str]:
    """Questions naming people, organisations and places of random generated articles."""
    rng = random.Random(f"questions:{seed}:{n_articles}")
    out: list[str] = []
    for _ in range(count):
        art = generate_article(rng.randrange(n_articles), seed)
        words = art.text.split()
        # Entity-bearing phrases are capitalised runs; pick one the article really contains.
        caps = [w.strip(",.\u201c\u201d") for w in words if w[:1].isupper() and len(w) > 4]
        name = rng.choice(caps) if caps else art.title.split()[0]
        template = rng.choice(
            [
                "What did {n} say about the {t}?",
                "Who denied involvement in the {t} in {n}?",
                "How many people were affected in {n}?",
                "What happened to {n}?",
                "When did {n} announce the {t}?",
            ]
        )
        out.append(template.format(n=name, t=art.title.split()[-3]))
    return out
