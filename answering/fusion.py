"""Reciprocal-rank fusion and per-article diversity: pure functions over ranked id lists."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[K]],
    *,
    weights: Sequence[float] | None = None,
    k: int = 60,
) -> list[tuple[K, float]]:
    """Fuse ranked lists: score(id) = sum_i w_i / (k + rank_i(id)), rank from 1. Best first.

    Ties keep first-seen order, so fusion is deterministic.
    """
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[K, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        seen: set[K] = set()
        for rank, key in enumerate(ranking, start=1):
            if key in seen:
                continue
            seen.add(key)
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    order = {key: i for i, key in enumerate(scores)}
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))


def diversify(
    ranked: Sequence[K],
    group_of: Callable[[K], Hashable],
    *,
    limit: int,
    per_group: int,
    pinned: Sequence[K] = (),
) -> list[K]:
    """Take ``limit`` items in rank order, at most ``per_group`` per group (article) at first.

    If the cap leaves slots empty (few articles), the best skipped items fill them, so the cap
    spreads results across articles without ever returning fewer than are available.
    ``pinned`` items are taken first whatever the cap (they still count towards it).
    """
    chosen: list[K] = list(dict.fromkeys(pinned))[:limit]
    skipped: list[K] = []
    counts: dict[Hashable, int] = {}
    for item in chosen:
        counts[group_of(item)] = counts.get(group_of(item), 0) + 1
    for item in ranked:
        if len(chosen) >= limit:
            break
        if item in chosen:
            continue
        group = group_of(item)
        if counts.get(group, 0) >= per_group:
            skipped.append(item)
            continue
        counts[group] = counts.get(group, 0) + 1
        chosen.append(item)
    for item in skipped:
        if len(chosen) >= limit:
            break
        chosen.append(item)
    rank = {item: i for i, item in enumerate(ranked)}
    return sorted(chosen, key=lambda item: rank[item])
