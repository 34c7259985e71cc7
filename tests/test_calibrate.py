"""The gate's threshold, chosen on a precision-recall curve for a target precision."""

from __future__ import annotations

import pytest

from adloc.evals.calibrate import choose_threshold, pr_curve


def test_the_curve_on_a_small_hand_computed_set():
    confidences = [0.9, 0.8, 0.8, 0.6, 0.4, 0.2]
    acceptable = [True, True, False, True, False, False]
    points = pr_curve(confidences, acceptable)
    assert [(p.threshold, round(p.precision, 3), round(p.recall, 3), round(p.coverage, 3)) for p in points] == [
        (0.9, 1.0, 0.333, 0.167), (0.8, 0.667, 0.667, 0.5), (0.6, 0.75, 1.0, 0.667),
        (0.4, 0.6, 1.0, 0.833), (0.2, 0.5, 1.0, 1.0)]


def test_the_lowest_threshold_reaching_the_target_precision_is_chosen():
    # 100 lines: above 0.7 nine in ten are acceptable, below it one in two.
    confidences = [i / 100 for i in range(100)]
    acceptable = [(i % 10 != 0) if i >= 70 else (i % 2 == 0) for i in range(100)]
    chosen = choose_threshold(confidences, acceptable, 0.9)
    assert chosen.threshold == 0.7 and chosen.precision == 0.9  # 27 of the 30 lines at or above 0.70
    assert chosen.coverage == pytest.approx(0.3)
    assert choose_threshold(confidences, acceptable, 0.95).threshold > chosen.threshold  # stricter: less coverage
    assert choose_threshold(confidences, [False] * 100, 0.5) is None  # nothing is good enough to ship unseen


def test_labels_and_confidences_must_pair_up():
    with pytest.raises(ValueError, match="one acceptability label per confidence"):
        pr_curve([0.5], [True, False])


def test_coverage_counts_the_lines_the_checks_blocked():
    # 4 lines passed the checks and could ship; 6 more failed them and never ship.
    points = pr_curve([0.9, 0.7, 0.5, 0.3], [True, True, False, False], total=10)
    assert [(p.threshold, p.precision, p.recall, p.coverage) for p in points] == [
        (0.9, 1.0, 0.5, 0.1), (0.7, 1.0, 1.0, 0.2), (0.5, 2 / 3, 1.0, 0.3), (0.3, 0.5, 1.0, 0.4)]
    assert choose_threshold([0.9, 0.7, 0.5, 0.3], [True, True, False, False], 0.95, total=10).coverage == 0.2
    with pytest.raises(ValueError, match="cannot be less"):
        pr_curve([0.9, 0.7], [True, True], total=1)
