"""Statistics over seeds: t-intervals for means, a paired t-test for gains, Welch's t-test for compare.

Why t-based rather than bootstrap or rank tests: benchmarks here have 1-5 seeds. A bootstrap over three
values has only ten distinct resamples and understates the spread; a Wilcoxon signed-rank test on three
pairs cannot reach p < 0.25. The t-distribution is the honest small-sample choice (assuming roughly normal
seed-to-seed noise), and its interval widens as it should when seeds are few.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
ALPHA = 0.05


@dataclass(frozen=True)
class Interval:
    """A mean over `n` seeds with its two-sided t-interval; `low`/`high` are NaN when n < 2."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


@dataclass(frozen=True)
class PairedTest:
    """Mean of per-seed differences (a - b) with its t-interval and the paired t-test's two-sided p."""

    diff: Interval
    p: float  # NaN when fewer than 2 pairs: no test is possible

    def significant(self, alpha: float = ALPHA) -> bool:
        return not math.isnan(self.p) and self.p < alpha


def _clean(values: Sequence[float]) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return array[~np.isnan(array)]


def mean_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> Interval:
    """Mean and t-interval of `values` (NaNs dropped). One value: the mean, no interval."""
    x = _clean(values)
    n = len(x)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if n < 2:
        return Interval(mean, math.nan, math.nan, n)
    sem = float(x.std(ddof=1)) / math.sqrt(n)
    if sem == 0.0:
        return Interval(mean, mean, mean, n)
    low, high = stats.t.interval(confidence, df=n - 1, loc=mean, scale=sem)
    return Interval(mean, float(low), float(high), n)


COLLAPSE_POINTS = 10.0  # percentage points: a seed this far from its seeds' median has collapsed


def collapsed(values: dict[int, float], points: float = COLLAPSE_POINTS) -> list[int]:
    """The seeds (keys) whose value (an accuracy, a fraction) lies more than `points` percentage points from
    the median of all the seeds' values: catastrophic overfitting of FGSM training strikes single seeds.

    The median, not the mean: one collapsed seed at 23% among four at ~90% pulls the mean to ~77%, which
    would put every seed more than 10 points from it. With the median the four stay and the one is named.
    """
    if not values:
        return []
    middle = float(np.median(list(values.values())))
    return [seed for seed, value in values.items() if abs(value - middle) * 100 > points]


def _degenerate_p(difference: float) -> float:
    # Zero spread: any difference is certain and no difference is certainly none (scipy returns NaN here).
    return 1.0 if difference == 0.0 else 0.0


def _sign_flip_p(difference: float, n: int) -> float:
    """Two-sided p of the exact sign-flip (permutation) test when every seed shows the same difference: of the 2^n
    sign assignments, the two extremes are as far from zero as the one observed. The t-test has no spread to work
    with there, and zero spread over a few seeds is no certainty: a test set of 100 items quantizes accuracies to
    1 point, so three seeds can each differ by exactly one item (p = 0.25, not 0)."""
    return 1.0 if difference == 0.0 else min(1.0, 2.0 / 2 ** n)


def paired_test(a: Sequence[float], b: Sequence[float], confidence: float = CONFIDENCE) -> PairedTest:
    """Paired t-test of a vs b, where a[i] and b[i] come from the same seed.

    Raises:
        ValueError: a and b differ in length.
    """
    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a_arr.shape != b_arr.shape:
        raise ValueError(f"paired samples differ in length: {len(a_arr)} vs {len(b_arr)}")
    keep = ~(np.isnan(a_arr) | np.isnan(b_arr))
    diffs = a_arr[keep] - b_arr[keep]
    interval = mean_interval(diffs, confidence)
    if interval.n < 2:
        return PairedTest(interval, math.nan)
    if np.allclose(diffs, diffs[0], rtol=0.0, atol=1e-9):  # equal but for float rounding (accuracies are k / n)
        return PairedTest(interval, _sign_flip_p(0.0 if abs(diffs[0]) <= 1e-9 else float(diffs[0]), len(diffs)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nearly equal differences: see welch_p
        return PairedTest(interval, float(stats.ttest_rel(a_arr[keep], b_arr[keep]).pvalue))


def welch_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided p of Welch's t-test (unequal variances); NaN when either side has fewer than 2 values."""
    x, y = _clean(a), _clean(b)
    if len(x) < 2 or len(y) < 2:
        return math.nan
    if x.std(ddof=1) == 0.0 and y.std(ddof=1) == 0.0:
        return _degenerate_p(float(x.mean() - y.mean()))
    with warnings.catch_warnings():
        # One constant side (a deterministic metric) is legitimate; scipy's precision warning is noise here.
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(stats.ttest_ind(x, y, equal_var=False).pvalue)


# --- Multiplicity: one rule on every page ----------------------------------------------------------------------
# Every page that stars gains corrects its p-values for the number of tests it makes, with Benjamini-Hochberg at
# ALPHA: among the starred gains of a family, the expected share of false ones is at most 5%. Why BH and not Holm:
# a leaderboard is a screen of many methods on many tables, where the useful guarantee is on the share of wrong
# stars, not on there being no wrong star at all (Holm, family-wise, would leave almost no star standing at 3-5
# seeds and ~300 tests); the tests of one page share their `none` rows, so they are positively dependent, the case
# in which BH keeps its guarantee (Benjamini & Yekutieli 2001).
CORRECTION = "Benjamini-Hochberg"
RULE = f"{CORRECTION}-adjusted p < {ALPHA}"


def adjust(pvalues: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (scipy's `false_discovery_control`), in the order given; NaN (no
    test: one seed) stays NaN and does not count among the tests."""
    values = np.asarray(pvalues, dtype=float)
    out = np.full(values.shape, np.nan)
    tested = ~np.isnan(values)
    if tested.any():
        out[tested] = stats.false_discovery_control(np.clip(values[tested], 0.0, 1.0), method="bh")
    return [float(v) for v in out]


# --- Cross-task aggregates (Agarwal et al. 2021, "Deep RL at the edge of the statistical precipice") -----------
BOOTSTRAP_REPS = 2000
BOOTSTRAP_SEED = 0


def iqm(values: Sequence[float]) -> float:
    """Interquartile mean: the mean of the middle 50% of `values` (scipy's trim_mean at 25%), so one outlier
    table cannot dominate the aggregate as it does a mean; NaN when empty."""
    x = _clean(values)
    return float(stats.trim_mean(x, 0.25)) if len(x) else math.nan


def probability_of_improvement(pairs: Sequence[tuple[Sequence[float], Sequence[float]]]) -> float:
    """P(X > Y) averaged over tasks (rliable's probability of improvement): for each (x runs, y runs) of one
    table, the share of (x_i, y_j) pairs with x_i > y_j, ties counting half (the Mann-Whitney U statistic
    over n*m); NaN without a table."""
    shares = []
    for x, y in pairs:
        a, b = _clean(x), _clean(y)
        if len(a) and len(b):
            diff = a[:, None] - b[None, :]
            shares.append(float(((diff > 0) + 0.5 * (diff == 0)).mean()))
    return float(np.mean(shares)) if shares else math.nan


def stratified_bootstrap(strata: Sequence[Sequence[float]], statistic, reps: int = BOOTSTRAP_REPS,
                         confidence: float = CONFIDENCE, seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """Percentile interval of `statistic` (a function of one flat array) when each stratum (a table's seeds) is
    resampled with replacement on its own, as rliable's stratified bootstrap does; NaNs when no stratum has two
    values (nothing to resample)."""
    groups = [_clean(s) for s in strata]
    groups = [g for g in groups if len(g)]
    if not any(len(g) > 1 for g in groups):
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    draws = np.empty(reps)
    for i in range(reps):
        draws[i] = statistic(np.concatenate([g[rng.integers(0, len(g), len(g))] for g in groups]))
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)


# --- Power: how large a gain a table's seeds can see ----------------------------------------------------------
POWER = 0.8


def detectable_gain(sd: float, n: int, alpha: float = ALPHA, power: float = POWER) -> float:
    """The smallest true mean gain a two-sided paired t-test at `alpha` detects with probability `power`, for
    `n` seed pairs whose per-seed differences spread with standard deviation `sd` (the usual approximation
    (t_{1-alpha/2} + t_{power}) * sd / sqrt(n), on n - 1 degrees of freedom); NaN with fewer than 2 pairs."""
    if n < 2 or math.isnan(sd):
        return math.nan
    df = n - 1
    return float((stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)) * sd / math.sqrt(n))


def seeds_needed(sd: float, gain: float, alpha: float = ALPHA, power: float = POWER, most: int = 100) -> int | None:
    """The fewest seed pairs whose `detectable_gain` is at most `gain`; None when more than `most` are needed."""
    for n in range(2, most + 1):
        if detectable_gain(sd, n, alpha, power) <= gain:
            return n
    return None
