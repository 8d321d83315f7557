"""Follow-ups resolved by the entities of earlier turns (spaCy), never by names in the code.

The turns are about a made-up event so nothing here matches the shipped corpus.
"""

from __future__ import annotations

import pytest

from answering.language import Analyzer
from answering.models import Turn
from answering.rewrite import EntityRewriter

UNION = Turn(
    "Who denied causing the fire?",
    "The Harbor Workers Union, the largest union at the port, denied any role in the fire on Sunday. [1]",
)
MAYOR = Turn(
    "Who condemned the fire?",
    "City spokesman Daniel Ortega said the mayor condemned the fire. [1]",
)
GOVERNOR = Turn("What did Governor Maria Lopez say about the fire?", "She called it a tragedy. [1]")


@pytest.fixture(scope="module")
def rewrite() -> EntityRewriter:
    return EntityRewriter(Analyzer())


def test_their_becomes_the_groups_possessive(rewrite: EntityRewriter) -> None:
    assert rewrite("What did their spokesman claim?", [UNION]) == (
        "What did The Harbor Workers Union's spokesman claim?"
    )


def test_they_becomes_the_subject_of_the_last_answer(rewrite: EntityRewriter) -> None:
    assert rewrite("Why did they deny it?", [UNION]) == "Why did The Harbor Workers Union deny it?"


def test_he_becomes_a_person(rewrite: EntityRewriter) -> None:
    assert rewrite("What else did he say?", [MAYOR]) == "What else did Daniel Ortega say?"


def test_ellipsis_swaps_the_entity_of_the_previous_question(rewrite: EntityRewriter) -> None:
    out = rewrite("and the mayor of Springfield?", [GOVERNOR])
    assert out.startswith("What did the mayor of Springfield say about the fire")
    assert "Maria Lopez" not in out
    assert rewrite("and when?", [GOVERNOR]) == (
        "and when? (following: \u201cWhat did Governor Maria Lopez say about the fire?\u201d)"
    )


def test_it_is_asked_in_the_context_of_the_previous_question_in_plain_english(rewrite: EntityRewriter) -> None:
    turn = Turn("How many ships were damaged?", "Two ships were damaged near the pier. [1]")
    out = rewrite("who repaired it?", [turn])
    assert out == "who repaired it? (following: \u201cHow many ships were damaged?\u201d)"


def test_standalone_questions_are_unchanged(rewrite: EntityRewriter) -> None:
    q = "Where did the fire start on the pier?"
    assert rewrite(q, [UNION]) == q
    assert rewrite("who is Ortega?", [GOVERNOR]) == "who is Ortega?"  # short, but a question of its own
    assert rewrite("What did their spokesman claim?", []) == "What did their spokesman claim?"


def test_refused_turns_give_no_entities(rewrite: EntityRewriter) -> None:
    refused = Turn("Who won the regatta?", "The articles don't say who won the regatta.")
    assert rewrite("What did they say?", [UNION, refused]) == "What did The Harbor Workers Union say?"
