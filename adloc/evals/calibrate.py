"""Calibrating the gate: from (confidence, acceptable) pairs measured on a held-out set, the
precision-recall curve of "ship when confidence >= t", and the lowest threshold whose precision
reaches a target, which gives the most coverage (lines shipped without review) at that precision."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    precision: float  # acceptable share of the lines shipped at this threshold
    recall: float  # shipped share of the acceptable lines
    coverage: float  # shipped share of all lines


def pr_curve(confidences: list[float], acceptable: list[bool], total: int | None = None) -> list[CurvePoint]:
    """One point per distinct confidence, highest threshold first. `total` counts every line of the
    set when the pairs are only the lines the gate could ship (those passing the checks), so that
    coverage is a share of all lines; the acceptable lines are always among the pairs."""
    if len(confidences) != len(acceptable):
        raise ValueError("one acceptability label per confidence")
    total = len(confidences) if total is None else total
    if total < len(confidences):
        raise ValueError("total counts every line, so it cannot be less than the pairs")
    good = sum(acceptable)
    pairs = sorted(zip(confidences, acceptable, strict=True), key=lambda p: -p[0])
    points, shipped, shipped_good = [], 0, 0
    for i, (confidence, ok) in enumerate(pairs):
        shipped += 1
        shipped_good += ok
        if i + 1 < len(pairs) and pairs[i + 1][0] == confidence:
            continue  # a threshold ships every line at or above it: ties go together
        points.append(CurvePoint(confidence, shipped_good / shipped, shipped_good / good if good else 0.0,
                                 shipped / total))
    return points


def threshold_on(curve: list[CurvePoint], target_precision: float = 0.95) -> CurvePoint | None:
    """On a `pr_curve`, the lowest threshold at which precision is at least the target (so the
    most coverage), or None when no threshold reaches it: then nothing ships without review."""
    reaching = [p for p in curve if p.precision >= target_precision]
    return min(reaching, key=lambda p: p.threshold) if reaching else None


def choose_threshold(confidences: list[float], acceptable: list[bool], target_precision: float = 0.95,
                     total: int | None = None) -> CurvePoint | None:
    """`threshold_on` the curve of these pairs."""
    return threshold_on(pr_curve(confidences, acceptable, total), target_precision)
