"""Word forms the extractive answerer matches as the same keyword ("heard" ~ "hear")."""

from __future__ import annotations

from answering.text import stem, verb_forms


def test_irregular_verb_forms_join_both_ways() -> None:
    forms = verb_forms()
    assert stem("heard") in forms[stem("hear")]
    assert stem("shoot") in forms[stem("shot")]
    assert stem("attack") not in forms
