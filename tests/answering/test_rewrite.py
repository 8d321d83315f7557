from __future__ import annotations

from answering.models import Turn
from answering.rewrite import entities, is_follow_up, rewrite_follow_up

KATAIB = Turn(
    "Who denied involvement in the attack?",
    "Kata’ib Hezbollah, one of the most powerful Iranian-backed Shia militia groups in Iraq, "
    "rejected any relevance in the murder’s attempt on the prime minister on Sunday. [1]",
)


def test_entities_in_order() -> None:
    found = entities("What Ned Price said: the Arab League and Kata’ib Hezbollah met [1].")
    assert found == ["Ned Price", "Arab League", "Kata'ib Hezbollah"]


def test_their_spokesman_resolves_to_the_group() -> None:
    out = rewrite_follow_up("What did their spokesman claim?", [KATAIB])
    assert out == "What did Kata'ib Hezbollah's spokesman claim?"


def test_they_resolves_to_the_group() -> None:
    assert "Kata'ib Hezbollah" in rewrite_follow_up("Why did they reject it?", [KATAIB])


def test_he_prefers_a_person() -> None:
    turn = Turn(
        "Who condemned the attack?",
        "State Department spokesman Ned Price said the United States condemned the attack. [1]",
    )
    assert rewrite_follow_up("What else did he say?", [turn]) == "What else did Ned Price say?"


def test_elliptical_question_gets_the_topic() -> None:
    out = rewrite_follow_up("And when?", [KATAIB])
    assert out.startswith("And when") and "Kata'ib Hezbollah" in out


def test_standalone_questions_are_unchanged() -> None:
    q = "Where were the drones launched from?"
    assert not is_follow_up(q, [KATAIB])
    assert rewrite_follow_up(q, [KATAIB]) == q
    assert rewrite_follow_up("What did their spokesman claim?", []) == ("What did their spokesman claim?")


def test_refusals_in_history_give_no_entities() -> None:
    refused = Turn("Who won the 2022 World Cup?", "The articles don't say who won it. [1]")
    out = rewrite_follow_up("What did they say?", [KATAIB, refused])
    assert out == "What did Kata'ib Hezbollah say?"


def test_he_skips_descriptive_phrases_that_are_not_people() -> None:
    turn = Turn(
        "Who denied involvement?",
        "Kata’ib Hezbollah, Iranian-backed Shia militia, denied it through Abu Ali al-Askari. [1]",
    )
    assert rewrite_follow_up("Who is he?", [turn]) == "Who is Abu Ali al-Askari?"
