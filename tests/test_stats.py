"""Intervals, paired tests and Welch's test on synthetic numbers with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from augbench.reporting.stats import mean_interval, paired_test, welch_p


def test_t_interval_matches_the_textbook_value():
    interval = mean_interval([1.0, 2.0, 3.0])
    # mean 2, sem 1/sqrt(3), t(0.975, df=2) = 4.3027
    assert interval.mean == pytest.approx(2.0)
    assert interval.half_width == pytest.approx(4.302653 / math.sqrt(3), rel=1e-5)
    assert interval.n == 3


def test_intervals_shrink_as_seeds_grow():
    # The same spread at every size (one pattern repeated), so only the seed count changes.
    pattern = [0.88, 0.90, 0.92]
    widths = [mean_interval(np.tile(pattern, k)).half_width for k in (1, 2, 3, 5, 10)]
    assert all(a > b for a, b in zip(widths, widths[1:]))


def test_one_seed_has_a_mean_and_no_interval():
    interval = mean_interval([0.97])
    assert interval.mean == 0.97 and interval.n == 1
    assert math.isnan(interval.low) and math.isnan(interval.high)
    assert mean_interval([]).n == 0 and math.isnan(mean_interval([]).mean)


def test_missing_values_are_dropped():
    assert mean_interval([0.5, float("nan"), 0.7]).n == 2


def test_paired_test_detects_a_consistent_gain_that_an_unpaired_view_would_miss():
    seeds = np.array([0.90, 0.95, 0.99, 0.93])  # large seed-to-seed spread
    gained = seeds + np.array([0.010, 0.012, 0.009, 0.011])
    test = paired_test(gained, seeds)
    assert test.significant() and test.diff.mean == pytest.approx(0.0105)
    assert not welch_p(gained, seeds) < 0.05


def test_paired_test_degenerate_cases():
    assert math.isnan(paired_test([0.9], [0.8]).p)  # one pair: no test
    assert paired_test([0.9, 0.8], [0.9, 0.8]).p == 1.0  # identical
    # the same difference every seed: the exact sign-flip test's p (2 of 2^n assignments as extreme), not certainty
    assert paired_test([0.91, 0.81], [0.9, 0.8]).p == 0.5
    assert paired_test([0.96, 0.91, 0.81], [0.97, 0.92, 0.82]).p == 0.25
    assert paired_test([0.5] * 6, [0.49] * 6).p == 2 / 64
    with pytest.raises(ValueError, match="differ in length"):
        paired_test([0.9, 0.8], [0.9])


def test_welch():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0.99, 0.001, 5), rng.normal(0.95, 0.001, 5)
    assert welch_p(a, b) < 1e-6
    assert welch_p(a, a) == pytest.approx(1.0)
    assert math.isnan(welch_p([0.9], [0.8, 0.7]))
    assert welch_p([0.9, 0.9], [0.8, 0.8]) == 0.0


def test_a_collapsed_seed_is_named_by_its_distance_from_the_median():
    from augbench.reporting.stats import collapsed

    # Wong et al.'s FGSM-RS on MNIST: four seeds near 90% PGD accuracy, one collapsed.
    assert collapsed({0: 0.23, 1: 0.89, 2: 0.91, 3: 0.90, 4: 0.93}) == [0]
    assert collapsed({0: 0.89, 1: 0.91, 2: 0.90}) == []  # healthy seeds, whatever their count
    assert collapsed({0: 0.02, 1: 0.90, 2: 0.91}) == [0]
    assert collapsed({0: 0.60, 1: 0.65, 2: 0.78, 3: 0.70}) == [2]  # 78% lies 10.5 pts above the median of 67.5%
    assert collapsed({5: 0.5}) == [] and collapsed({}) == []


def test_benjamini_hochberg_matches_the_hand_computed_step_up_and_keeps_untested_out():
    from augbench.reporting.stats import adjust

    # p sorted 0.01, 0.02, 0.03, 0.5 of m = 4 tests: m p / rank = 0.04, 0.04, 0.04, 0.5, then the running minimum
    # from the largest down; the NaN (one seed, no test) is not a test and stays NaN.
    adjusted = adjust([0.03, float("nan"), 0.01, 0.5, 0.02])
    assert adjusted[0] == pytest.approx(0.04) and math.isnan(adjusted[1])
    assert adjusted[2:] == pytest.approx([0.04, 0.5, 0.04])


def test_iqm_drops_an_outlier_table_that_the_mean_follows():
    from augbench.reporting.stats import iqm, probability_of_improvement, stratified_bootstrap

    gains = [1.0, 1.2, 0.8, 1.1, 0.9, 1.0, 1.0, 40.0]  # one table's seeds far off
    assert iqm(gains) == pytest.approx(1.0, abs=0.05) and sum(gains) / len(gains) > 5
    # probability of improvement: per table the share of (x, y) pairs won, ties half, averaged over tables
    assert probability_of_improvement([([2, 3], [1, 1]), ([1, 1], [1, 2])]) == pytest.approx((1.0 + 0.25) / 2)
    low, high = stratified_bootstrap([[1.0, 1.2, 0.8], [0.9, 1.1, 1.0]], iqm)
    assert 0.8 <= low <= 1.0 <= high <= 1.2
    assert all(math.isnan(v) for v in stratified_bootstrap([[1.0], [2.0]], iqm))  # nothing to resample
