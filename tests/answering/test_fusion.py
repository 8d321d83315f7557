from __future__ import annotations

import pytest

from answering.fusion import diversify, reciprocal_rank_fusion


def test_rrf_scores_and_order() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "d"]], k=60)
    scores = dict(fused)
    assert scores["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert scores["a"] == pytest.approx(1 / 61)
    assert [key for key, _ in fused] == ["b", "a", "d", "c"]


def test_rrf_weights_and_duplicates() -> None:
    fused = dict(reciprocal_rank_fusion([["a", "a", "b"], ["b"]], weights=[1.0, 3.0], k=1))
    assert fused["a"] == pytest.approx(1 / 2)  # the duplicate counts once
    assert fused["b"] == pytest.approx(1 / 4 + 3 / 2)
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([["a"]], weights=[1.0, 2.0])


def test_rrf_ties_keep_first_seen_order() -> None:
    assert [k for k, _ in reciprocal_rank_fusion([["x"], ["y"]])] == ["x", "y"]


def group(item: str) -> str:
    return item[0]


def test_diversify_caps_each_article() -> None:
    ranked = ["a1", "a2", "a3", "a4", "b1", "c1"]
    assert diversify(ranked, group, limit=4, per_group=2) == ["a1", "a2", "b1", "c1"]


def test_diversify_refills_when_too_few_articles() -> None:
    assert diversify(["a1", "a2", "a3", "b1"], group, limit=4, per_group=1) == [
        "a1",
        "a2",
        "a3",
        "b1",
    ]


def test_diversify_pinned_items_bypass_the_cap() -> None:
    ranked = ["a1", "a2", "b1", "a3", "c1"]
    out = diversify(ranked, group, limit=4, per_group=2, pinned=["a3"])
    assert "a3" in out and len(out) == 4
    assert out == sorted(out, key=ranked.index)
