"""answering.agreement on the shipped corpus's real disagreements and agreements (spaCy parse)."""

from __future__ import annotations

from pathlib import Path

import pytest

from answering.agreement import compare
from answering.models import Citation
from index.loaders import load_corpus
from index.models import Document

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


@pytest.fixture(scope="module")
def docs() -> dict[str, Document]:
    return {d.doc_id[:3]: d for d in load_corpus(CORPUS).documents}


def cite(docs: dict[str, Document], n: int, key: str, sentence: str, source: str | None = None) -> Citation:
    doc = docs[key]
    start = doc.text.index(sentence)  # a real, verbatim excerpt
    return Citation(
        n, doc.doc_id, doc.title, sentence, start, start + len(sentence), None, source, doc.published
    )


ROCKET = (
    "002",
    "The Baghdad residence inside the city’s fortified Green Zone was hit by a rocket attack early on "
    "November 7, the prime minister’s office said in a statement.",
)
DRONE_ATTACK = ("004", "No terrorist group has so far claimed responsibility for the drone attack.")
ARMED_DRONE = (
    "002",
    "Iraqi Prime Minister Mustafa al-Kadhimi survived an attack by an armed drone on his residence on "
    "November 7 amid escalating tensions over the refusal of Iran-backed militias to accept last month’s "
    "parliamentary election results.",
)
CNN = (
    "001",
    "According to the Ministry of Interior Spokesman General Saad Maan in an interview with the state-run "
    "Al-Iraqiya news network, seven of Kadhimi’s security personnel were claimed wounded, as CNN reported.",
)
CBS = (
    "003",
    "Even though al-Kadhimi was unharmed following the incident, two officials revealed that seven "
    "security guards were injured in the attack, according to CBS News.",
)


def test_rocket_versus_drone_is_a_difference_with_both_sides_cited(docs: dict[str, Document]) -> None:
    result = compare([cite(docs, 1, *ROCKET), cite(docs, 2, *DRONE_ATTACK)], "Was it a drone attack?")
    assert result.differ
    (diff,) = result.differences
    assert diff.slot == "attack"
    assert {s.value for s in diff.sides} == {"rocket", "drone"}
    text = result.render()
    assert text.startswith("Reports differ on the attack:")
    assert "[1]" in text and "[2] (2021-11-07) says drone" in text  # 004's dateline date


def test_rocket_attack_versus_attack_by_a_drone_when_the_question_asks(docs: dict[str, Document]) -> None:
    pair = [cite(docs, 1, *ROCKET), cite(docs, 2, *ARMED_DRONE)]
    asked = compare(pair, "Was it a rocket or a drone attack?")
    assert asked.differ and "rocket" in asked.render() and "armed drone" in asked.render()


def test_cnn_versus_cbs_attribution_differs_while_the_count_agrees(docs: dict[str, Document]) -> None:
    result = compare([cite(docs, 1, *CNN), cite(docs, 2, *CBS)], "How many security guards were wounded?")
    assert [d.kind for d in result.differences] == ["attribution"]
    sides = {s.surface for s in result.differences[0].sides}
    assert any("CNN" in s for s in sides) and "CBS News" in sides
    assert [(a.kind, a.value) for a in result.agreed] == [("number", "7")]
    assert "[1] and [2] agree on the number: seven." in result.render()


def test_who_is_blamed_differs_when_the_question_asks_who(docs: dict[str, Document]) -> None:
    iran = cite(
        docs,
        1,
        "002",
        "In a briefing on November 7, Iran’s Foreign Ministry spokesman Saeed Khatibzadeh condemned the "
        "attack and indirectly blamed the United States.",
    )
    nobody = cite(
        docs,
        2,
        "001",
        "The unsuccessful murder emerged amid the escalated tensions in the Iraq capital, although no one "
        "has been blamed or taken responsibility for the case.",
    )
    asked = compare([iran, nobody], "Who was blamed for the attack?")
    assert asked.render() == "Reports differ on who was blamed: [1] says the United States; [2] says no one."
    assert not compare([iran, nobody], "What did Iran say about the attack?").differ


def test_different_counts_and_dates_of_the_same_thing_differ() -> None:
    def c(n: int, text: str, source: str) -> Citation:
        return Citation(n, f"d{n}", "t", text, 0, len(text), None, source, "2021-11-08")

    drones = compare(
        [c(1, "Two drones were launched at the residence.", "A"), c(2, "Three drones were launched.", "B")]
    )
    assert [(d.kind, d.slot) for d in drones.differences] == [("number", "drone")]
    assert "Reports differ on the number of drones: [1] (A, 2021-11-08) says Two drones" in drones.render()
    dates = compare(
        [
            c(1, "The strike happened on Nov. 6, officials said.", "A"),
            c(2, "The strike happened on Nov. 7.", "B"),
        ]
    )
    assert [d.kind for d in dates.differences] == ["date"]


AGREEING = [
    [("002", "The United States condemned the attack."), ("004", "US strongly condemns the attack.")],
    [
        (
            "002",
            "Kadhimi was unharmed in the attack, which the statement said was a "
            "“failed assassination attempt.”",
        ),
        ("004", "Kadhimi was unharmed in the attack."),
    ],
    [
        (
            "001",
            "According to Iraq’s military, on Sunday, Nov. 7, Iraqi Prime Minister Mustafa Al-Kadhimi survived "
            "an assassination attempt by an explosive-laden drone targeting his residence in Baghdad.",
        ),
        (
            "004",
            'According to Iraq\'s military, Kadhimi was targeted in a "failed assassination attempt" after an '
            "explosive-laden drone attacked his residence in Baghdad.",
        ),
    ],
    [
        (
            "000",
            "Iraq’s Prime Minister Mustafa al-Kadhimi survived an attempted assassination by a drone that "
            "targeted his home on Nov. 7 and is “unharmed and in good health,” the Iraqi government said in a "
            "statement.",
        ),
        ARMED_DRONE,
    ],
    [
        (
            "000",
            "Residents of Baghdad heard the sound of an explosion followed by gunfire from the direction of "
            "the Green Zone, which houses foreign embassies and government offices.",
        ),
        (
            "004",
            "As per media reports, Baghdad residents heard the sound of an explosion, which was followed by "
            "heavy gunfire from the direction of the Green Zone that houses government offices and foreign "
            "embassies.",
        ),
        ("003", "Residents of Baghdad told reporters that they heard a loud explosion followed by gunfire."),
    ],
    [
        ("000", "No one has immediately claimed responsibility for the attack."),
        DRONE_ATTACK,
        (
            "002",
            "The government statement provided no further details, and there was no claim of responsibility.",
        ),
    ],
    [
        ("002", "Kadhimi called in a tweet for “calm and restraint from everyone for the sake of Iraq.”"),
        (
            "004",
            "The Iraqi PM also took to Twitter to assure the public that he was fine and urged for calm and "
            "restraint from everyone for the sake of Iraq.",
        ),
    ],
    [
        ("000", "Cowardly rocket and drone attacks don’t build homelands and don’t build a future."),
        ("002", "“Cowardly rocket and drone attacks don’t build homelands and don’t build a future,” he said."),
        DRONE_ATTACK,
    ],
    [
        (
            "003",
            "According to the Huffington Post, pro-Iran Shiite militias have been camping outside the Green "
            "zone for almost a month after they lost during Iraq's parliamentary elections.",
        ),
        (
            "004",
            "However, the supporters of pro-Iran Shiite militias pitched tents near the Green Zone after the "
            "vote, rejecting the election results.",
        ),
    ],
    [
        (
            "000",
            "The election was held months ahead of schedule following mass protests in late 2019 in Baghdad "
            "and across the Shiite south",
        ),
        (
            "003",
            "The Oct. 10 election was held months ahead of schedule following the mass protests in late 2019.",
        ),
        (
            "004",
            "The Iraq Parliamentary elections were held in October 2021, months ahead of schedule in "
            "following mass protests in late 2019",
        ),
    ],
    [
        (
            "002",
            "“We are relieved to learn the prime minister was unharmed. This apparent act of terrorism, "
            "which we strongly condemn, was directed at the heart of the Iraqi state,” State Department "
            "spokesman Ned Price said.",
        ),
        (
            "004",
            "US State Department spokesperson Ned Price said that the US strongly condemns this apparent act "
            "of terrorism, which was directed at the heart of the Iraqi state.",
        ),
    ],
    [
        CNN,
        (
            "003",
            "Even though al-Kadhimi was unharmed following the incident, two officials revealed that seven "
            "security guards were injured in the attack",
        ),
    ],
]
QUESTIONS = [
    None,
    "Who was blamed for the attack?",
    "Was the prime minister hurt?",
    "Was it a drone?",
    "What attacked his residence?",
    "What did residents hear?",
    "Did anyone claim responsibility for the attack?",
]


@pytest.mark.parametrize("case", range(len(AGREEING)))
@pytest.mark.parametrize("question", QUESTIONS)
def test_no_false_differ_where_the_reports_agree(
    docs: dict[str, Document], case: int, question: str | None
) -> None:
    pairs = AGREEING[case]
    result = compare([cite(docs, n, key, text) for n, (key, text) in enumerate(pairs, start=1)], question)
    assert not result.differ, result.render()
    assert "differ" not in result.render()
    if len({key for key, _ in pairs}) >= 2:
        # every case holds two articles saying the same thing; "Reported by N" counts those
        assert result.render().startswith(("Reported by 2 articles.", "Reported by 3 articles."))


def test_reported_by_counts_only_articles_that_say_the_same(docs: dict[str, Document]) -> None:
    """Citing two articles for two different facts is not two reports of one fact."""
    different = [
        cite(docs, 1, "002", "The Green Zone is the location of Iraqi government buildings and embassies."),
        cite(docs, 2, "003", "pro-Iran Shiite militias have been camping outside the Green zone"),
    ]
    assert "Reported by" not in compare(different).render()
    tents = "the supporters of pro-Iran Shiite militias pitched tents near the Green Zone after the vote"
    three = [*different, cite(docs, 3, "004", tents)]
    assert compare(three).render().startswith("Reported by 2 articles.")


def test_a_single_excerpt_or_none_says_nothing(docs: dict[str, Document]) -> None:
    assert compare([]).render() == ""
    assert compare([cite(docs, 1, *ROCKET)]).render() == ""
