"""The question-focus helpers the extractive answerer uses to decide whether to refuse."""

from __future__ import annotations

import pytest

from answering.sentences import answer_head
from answering.text import stem, verb_forms


@pytest.mark.parametrize(
    ("question", "head"),
    [
        ("Which US politician met the prime minister?", {"politician"}),
        ("What kind of weapon was used?", {"weapon"}),
        ("Which State Department spokesman commented on the attack?", {"spokesman"}),
        ("Which news agency reported the strike?", {"agency"}),
        ("What did the protesters burn?", set()),
        ("Who denied involvement?", set()),
    ],
)
def test_answer_head_is_the_noun_a_which_question_asks_for(question: str, head: set[str]) -> None:
    assert set(answer_head(question)) == head


def test_irregular_verb_forms_join_both_ways() -> None:
    forms = verb_forms()
    assert stem("heard") in forms[stem("hear")]
    assert stem("shoot") in forms[stem("shot")]
    assert stem("attack") not in forms
