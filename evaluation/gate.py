"""The quality gate (minimum metric values) and comparisons between two runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from evaluation.metrics import LOWER_IS_BETTER, METRICS
from evaluation.run import EvalRun


@dataclass(frozen=True, slots=True)
class GateFailure:
    metric: str
    value: float | None
    threshold: float
    upper: bool = False  # True: a maximum (e.g. latency), False: a minimum

    def message(self) -> str:
        label = METRICS.get(self.metric, (self.metric, ""))[0]
        shown = "n/a (nothing to measure)" if self.value is None else f"{self.value:.3f}"
        relation = "above the maximum" if self.upper else "below the minimum"
        return f"{label} ({self.metric}) = {shown}, {relation} {self.threshold:.3f}"


def check_gate(
    metrics: Mapping[str, float | None],
    minimums: Mapping[str, float],
    maximums: Mapping[str, float] | None = None,
) -> list[GateFailure]:
    """Every threshold the run misses. A metric that could not be measured fails its gate."""
    failures: list[GateFailure] = []
    for name, threshold in minimums.items():
        value = metrics.get(name)
        # small tolerance: 1.0 must pass a 1.0 gate despite float rounding
        if value is None or value < threshold - 1e-9:
            failures.append(GateFailure(name, value, threshold))
    for name, threshold in (maximums or {}).items():
        value = metrics.get(name)
        if value is None or value > threshold + 1e-9:
            failures.append(GateFailure(name, value, threshold, upper=True))
    return failures


@dataclass(frozen=True, slots=True)
class MetricDelta:
    metric: str
    old: float | None
    new: float | None

    @property
    def delta(self) -> float | None:
        if self.old is None or self.new is None:
            return None
        return self.new - self.old

    @property
    def verdict(self) -> str:
        """ "better", "worse" or "same" (by the metric's direction)."""
        d = self.delta
        if d is None or abs(d) < 1e-9:
            return "same"
        better = d < 0 if self.metric in LOWER_IS_BETTER else d > 0
        return "better" if better else "worse"


@dataclass(slots=True)
class Comparison:
    deltas: list[MetricDelta]
    right_to_wrong: list[str]  # question ids
    wrong_to_right: list[str]
    only_old: list[str]
    only_new: list[str]
    same_set: bool  # same question file content (sha256)


def compare_runs(old: EvalRun, new: EvalRun) -> Comparison:
    """Per-metric deltas and the questions whose verdict flipped (matched by id)."""
    names = [m for m in METRICS if m in old.metrics or m in new.metrics]
    deltas = [MetricDelta(m, old.metrics.get(m), new.metrics.get(m)) for m in names]
    old_by_id = {r.id: r for r in old.results}
    new_by_id = {r.id: r for r in new.results}
    right_to_wrong = [
        i for i, r in new_by_id.items() if i in old_by_id and old_by_id[i].correct and not r.correct
    ]
    wrong_to_right = [
        i for i, r in new_by_id.items() if i in old_by_id and not old_by_id[i].correct and r.correct
    ]
    return Comparison(
        deltas=deltas,
        right_to_wrong=right_to_wrong,
        wrong_to_right=wrong_to_right,
        only_old=[i for i in old_by_id if i not in new_by_id],
        only_new=[i for i in new_by_id if i not in old_by_id],
        same_set=old.info.set_sha256 == new.info.set_sha256,
    )
