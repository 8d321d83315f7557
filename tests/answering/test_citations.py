from __future__ import annotations

import pytest

from answering.citations import (
    expand_marker_lists,
    make_citation,
    markers,
    renumber,
    renumber_citations,
    verify,
)
from answering.models import Citation
from index.models import Chunk, Document

DOC = Document("d1", "Title", "Alpha beta. Gamma delta epsilon. Zeta eta.")
DOCS = {"d1": DOC}


def chunk(start: int, end: int) -> Chunk:
    return Chunk(f"d1:{start}", "d1", 0, DOC.text[start:end], start, end)


def test_markers_in_order_of_first_use() -> None:
    assert markers("A [2] b [1][2] c [3, 4]") == [2, 1, 3, 4]
    assert expand_marker_lists("x [1, 2]") == "x [1][2]"


def test_renumber_drops_markers_pointing_at_nothing() -> None:
    assert renumber("One [3]. Two [9]. Three [3][3].", {3: 1}) == "One [1]. Two. Three [1]."


def test_renumber_citations_orders_by_use_and_drops_unused() -> None:
    c5 = make_citation(5, DOC, 0, 11)
    c2 = make_citation(2, DOC, 12, 32)
    unused = make_citation(7, DOC, 33, 42)
    text, cites = renumber_citations("First [5]. Then [2]. Bogus [9].", [c2, c5, unused])
    assert text == "First [1]. Then [2]. Bogus."
    assert [(c.n, c.excerpt) for c in cites] == [(1, "Alpha beta."), (2, "Gamma delta epsilon.")]


def test_make_citation_takes_the_excerpt_from_the_document() -> None:
    c = make_citation(1, DOC, 12, 32)
    assert c.excerpt == "Gamma delta epsilon." == DOC.text[c.start : c.end]
    with pytest.raises(ValueError):
        make_citation(1, DOC, 30, 400)


def test_verify_rejects_non_verbatim_unknown_and_unretrieved() -> None:
    good = make_citation(1, DOC, 12, 32)
    altered = Citation(2, "d1", "Title", "Gamma delta EPSILON.", 12, 32)
    unknown = Citation(3, "nope", "Title", "Alpha beta.", 0, 11)
    not_retrieved = make_citation(4, DOC, 33, 42)
    ok, bad = verify([good, altered, unknown, not_retrieved], DOCS.__getitem__, [chunk(0, 32)])
    assert ok == [good]
    assert bad == [altered, unknown, not_retrieved]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("It fell. [1] Next one. [2]", "It fell [1]. Next one [2]."),
        ("It fell.[1][2] Next.", "It fell [1][2]. Next."),
        ("He said \u201cno.\u201d [3]", "He said \u201cno [3].\u201d"),
        ("Already inside [1].", "Already inside [1]."),
        ("No markers. At all.", "No markers. At all."),
    ],
)
def test_markers_after_the_full_stop_move_into_their_sentence(reply: str, expected: str) -> None:
    from answering.citations import attach_trailing_markers

    assert attach_trailing_markers(reply) == expected
