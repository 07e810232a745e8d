"""The real-data exchange rate of generated data: how many real examples a generator's samples are worth.

For a (task, profile, size) the curve is the clean accuracy of `none` trained on its n_train real examples
plus k more real ones from the pool (`train.extra_real` = k / n_train; k = 0 is the ordinary `none` cell).
It is a monotone fit (isotonic least squares, more real data never worth less) of every seed's point, not of
the means' running maximum, which let one lucky seed at one k stretch a flat part of the curve. A generative
cell's mean accuracy is read off the fit: the k at which real data reach it, by linear interpolation. Below
the curve's start the samples cost accuracy ("< 0": worth less than no extra data); above its end they are
worth "more than" the largest k measured.

The interval is a parametric bootstrap over seeds (BOOTSTRAP resamples, a fixed seed; `bootstrap_worth`):
each resample draws every curve point's mean and the generative cells' mean from their t sampling
distributions over their seeds (the classifier's and, since a generator's seed is its cell's, the
generator's), refits the curve and reads the cells' mean off it. The 2.5th and 97.5th percentiles (nearest
rank, so "< 0" and "> k" count as values) are the interval. When it holds 0, the samples' effect is within
the noise and the worth is written as such, never as a number (`Worth.within_noise`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from augbench.reporting.stats import mean_interval

EXTRA = "extra_real"
CURVE_METHOD = "none"
BOOTSTRAP = 2000  # resamples behind each worth's interval
BOOTSTRAP_SEED = 0
WITHIN_NOISE = "within noise"


def _json(text: object) -> dict:
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def extra_real(train_config: object) -> float:
    """The row's `train.extra_real` (0 when the key is absent, as in every row stored before it)."""
    return float(_json(train_config).get(EXTRA, 0.0) or 0.0)


def generator_regime(method_params: object) -> str | None:
    """`scarce` or `pool` for a row with a generator (a composition's generator part included), else None."""
    params = _json(method_params)
    parts = [params] + [v for v in params.values() if isinstance(v, dict)]
    for part in parts:
        if "ratio" in part and "steps" in part:  # a generator's parameters (GenerativeParams)
            return str(part.get("data", "scarce"))
    return None


POOL_SUFFIX = " (pool)"  # how tables, validate and plots name a generator fitted on the task's whole train split


UNLABELLED_SUFFIX = " (unlabelled)"  # a generator fitted on the split's inputs alone, its samples labelled by a teacher
SUFFIXES = {"pool": POOL_SUFFIX, "unlabelled": UNLABELLED_SUFFIX}


def regime_named(rows: pd.DataFrame) -> pd.Series:
    """Each row's method as reports name it: `vae (pool)` for a pool-regime generator, `vae (unlabelled)` for one
    fitted on the pool's inputs without labels (a composition's too); a scarce one keeps its method's name."""
    suffix = rows["method_params"].map(generator_regime).map(SUFFIXES).fillna("")
    return rows["method"] + suffix


def is_curve_row(rows: pd.DataFrame) -> pd.Series:
    """Rows of the exchange-rate curve proper (extra real examples): not leaderboard cells of their own."""
    if rows.empty or "train_config" not in rows:
        return pd.Series(False, index=rows.index)
    return rows["train_config"].map(extra_real) > 0


def base_setting(train_config: object) -> str:
    """The training configuration without `extra_real`: curve points and cells of one size share it."""
    values = _json(train_config)
    values.pop(EXTRA, None)
    return json.dumps(values, sort_keys=True)


@dataclass(frozen=True)
class Worth:
    """What one generative method (in one regime) is worth in real examples at one task and size."""

    task: str
    profile: str
    fraction: float
    n_train: int
    method: str
    regime: str
    seeds: int
    acc: float  # mean clean accuracy of the generative cells
    acc_low: float
    acc_high: float
    none_acc: float  # the curve at k = 0
    worth: float  # real examples (k); -inf below the curve's start, +inf above its end
    worth_low: float
    worth_high: float
    k_max: int  # the largest k measured
    curve: tuple[tuple[int, float], ...]  # (k, the monotone fit's accuracy)

    @property
    def within_noise(self) -> bool:
        """The bootstrap interval holds 0: the samples' effect is not told apart from no extra data."""
        return self.worth_low <= 0 <= self.worth_high

    @property
    def share_of_labels(self) -> float | None:
        """The worth as a share of the labels the arm consumed, where the suite knows them: a `scarce` generator
        saw the cell's n_train labelled examples, as does an `unlabelled` one's teacher (a `pool` one the task's
        whole labelled split, whose size the rows do not record: None)."""
        if self.regime not in ("scarce", "unlabelled") or not math.isfinite(self.worth):
            return None
        return self.worth / self.n_train


def isotonic(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The weighted isotonic (non-decreasing) least-squares fit of each row of `values` [n, m] (m points in k order,
    `weights` [m]), by the min-max formula fit_i = max over a <= i of min over b >= i of the weighted mean of points
    a..b: exact, and vectorized over the n rows (m is a handful of curve points, so m^3 is nothing). The same as
    scikit-learn's IsotonicRegression (a test checks), which takes a Python call per row."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    weights = np.asarray(weights, dtype=float)
    m = values.shape[1]
    sums = np.concatenate([np.zeros((values.shape[0], 1)), np.cumsum(values * weights, axis=1)], axis=1)
    totals = np.concatenate([[0.0], np.cumsum(weights)])
    fit = np.empty_like(values)
    for i in range(m):
        best = np.full(values.shape[0], -np.inf)
        for a in range(i + 1):
            lowest = np.full(values.shape[0], np.inf)
            for b in range(i, m):
                lowest = np.minimum(lowest, (sums[:, b + 1] - sums[:, a]) / (totals[b + 1] - totals[a]))
            best = np.maximum(best, lowest)
        fit[:, i] = best
    return fit


def monotone_fit(ks: np.ndarray, accs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The isotonic (non-decreasing) least-squares fit of accuracy on k over every point given (one per seed and
    k): (the distinct ks ascending, the fit at them). Points at one k enter as their mean, weighted by their count,
    which gives the same fit."""
    ks, accs = np.asarray(ks, dtype=float), np.asarray(accs, dtype=float)
    distinct = np.unique(ks)
    means = np.array([accs[ks == k].mean() for k in distinct])
    counts = np.array([(ks == k).sum() for k in distinct], dtype=float)
    return distinct, isotonic(means[None, :], counts)[0]


def read_off_many(ks: np.ndarray, fits: np.ndarray, accs: np.ndarray) -> np.ndarray:
    """`read_off` for each row of `fits` [n, len(ks)] (non-decreasing) and its accuracy `accs` [n]."""
    n = len(accs)
    out = np.empty(n)
    below, above = accs < fits[:, 0], accs > fits[:, -1]
    upper = np.argmax(fits >= accs[:, None], axis=1)
    lower = np.maximum(upper - 1, 0)
    rows = np.arange(n)
    step = fits[rows, upper] - fits[rows, lower]
    share = np.divide(accs - fits[rows, lower], step, out=np.zeros(n), where=step > 0)
    out[:] = np.where((upper == 0) | (step <= 0), ks[upper], ks[lower] + share * (ks[upper] - ks[lower]))
    out[below], out[above] = -math.inf, math.inf
    return out


def _nearest_rank(values: np.ndarray, q: float) -> float:
    """The q-quantile of `values` by nearest rank (no interpolation, so +-inf stay themselves)."""
    ordered = np.sort(values)
    return float(ordered[min(len(ordered) - 1, max(0, int(math.ceil(q * len(ordered))) - 1))])


def bootstrap_worth(points: pd.DataFrame, cells: pd.DataFrame, n: int = BOOTSTRAP,
                    seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """The 95% interval of a worth by a parametric bootstrap. `points`: the curve's rows (k, seed, acc); `cells`:
    the generative cells' rows (seed, acc).

    Each resample draws every curve point's mean and the cells' mean from its own Student-t sampling distribution
    (mean + sd / sqrt(m) * T with m - 1 degrees of freedom, m its seeds), refits the curve to the drawn means
    (isotonic, weighted by m) and reads the drawn cells' mean off it. Resampling the seeds themselves has 10
    distinct outcomes for 3 seeds and understates the spread (docs/metrics.md#statistics); the t draws keep the
    small-sample width of the t-intervals the tables use. The draws are independent across points, which ignores
    the pairing of a cell with the curve's point of its seed and so errs wide, never narrow."""
    rng = np.random.default_rng(seed)
    groups = [(k, g["acc"].to_numpy(dtype=float)) for k, g in points.groupby("k", sort=True)]
    cells_acc = cells["acc"].to_numpy(dtype=float)

    def draws(values: np.ndarray) -> np.ndarray:
        m = len(values)
        if m < 2:
            return np.full(n, float(values.mean()))
        sd = float(values.std(ddof=1))
        return values.mean() + sd / math.sqrt(m) * rng.standard_t(m - 1, size=n)

    ks = np.array([k for k, _ in groups], dtype=float)
    weights = np.array([len(v) for _, v in groups], dtype=float)
    curve_draws = np.stack([draws(v) for _, v in groups], axis=1)  # [n, len(ks)]
    cell_draws = draws(cells_acc)
    if len(ks) < 2:
        return math.nan, math.nan
    worths = read_off_many(ks, isotonic(curve_draws, weights), cell_draws)
    return _nearest_rank(worths, 0.025), _nearest_rank(worths, 0.975)


def read_off(ks: np.ndarray, accs: np.ndarray, acc: float) -> float:
    """The k at which the curve (ks ascending, accs at them) reaches `acc`, on its running maximum; -inf when
    `acc` is below the curve's start, +inf when above its maximum."""
    if math.isnan(acc):
        return math.nan
    envelope = np.maximum.accumulate(accs)
    if acc < envelope[0]:
        return -math.inf
    if acc > envelope[-1]:
        return math.inf
    upper = int(np.argmax(envelope >= acc))  # the first point at or above acc
    if upper == 0 or envelope[upper] == envelope[upper - 1]:
        return float(ks[upper])
    lower = upper - 1
    share = (acc - envelope[lower]) / (envelope[upper] - envelope[lower])
    return float(ks[lower] + share * (ks[upper] - ks[lower]))


def curves(rows: pd.DataFrame) -> dict[tuple, tuple[pd.DataFrame, int]]:
    """{(task, profile, fraction, setting): (the curve's points: k, seed, acc; n_train)} for every size with at
    least one extra-real point; k = 0 is the `none` cell of that size."""
    ok = rows[(rows["status"] == "ok") & (rows["method"] == CURVE_METHOD)] if not rows.empty else rows
    if ok.empty:
        return {}
    ok = ok.assign(extra=ok["train_config"].map(extra_real), setting=ok["train_config"].map(base_setting))
    out = {}
    for key, group in ok.groupby(["task", "profile", "fraction", "setting"]):
        base = group[group["extra"] == 0]
        if base.empty or (group["extra"] > 0).sum() == 0:
            continue
        n = int(base["n_train"].iloc[0])
        points = pd.DataFrame({"k": [float(int(round(e * n))) for e in group["extra"]], "seed": group["seed"].to_numpy(),
                               "acc": group["clean_acc"].astype(float).to_numpy()})
        out[key] = (points, n)
    return out


def exchange_rates(rows: pd.DataFrame) -> list[Worth]:
    """Every generative method's worth in real examples, per task, size and regime, where a curve exists."""
    found = curves(rows)
    if not found:
        return []
    ok = rows[(rows["status"] == "ok") & ~rows["method"].str.contains("+", regex=False)]
    ok = ok.assign(regime=ok["method_params"].map(generator_regime), setting=ok["train_config"].map(base_setting))
    ok = ok[ok["regime"].notna() & (ok["train_config"].map(extra_real) == 0)]
    worths = []
    for (task, profile, fraction, setting, method, regime, params), cells in ok.groupby(
            ["task", "profile", "fraction", "setting", "method", "regime", "method_params"]):
        curve = found.get((task, profile, fraction, setting))
        if curve is None:
            continue
        points, n = curve
        ks, fit = monotone_fit(points["k"].to_numpy(dtype=float), points["acc"].to_numpy(dtype=float))
        interval = mean_interval(cells["clean_acc"].astype(float))
        low = interval.low if not math.isnan(interval.low) else interval.mean
        high = interval.high if not math.isnan(interval.high) else interval.mean
        worth_low, worth_high = bootstrap_worth(points, pd.DataFrame({"seed": cells["seed"].to_numpy(),
                                                                      "acc": cells["clean_acc"].astype(float).to_numpy()}))
        worths.append(Worth(task, profile, float(fraction), n, method, regime, int(cells["seed"].nunique()),
                            interval.mean, low, high, float(fit[0]), read_off(ks, fit, interval.mean),
                            worth_low, worth_high, int(ks[-1]), tuple((int(k), float(a)) for k, a in zip(ks, fit))))
    return sorted(worths, key=lambda w: (w.task, w.profile, w.fraction, w.regime, w.method))


def worth_text(value: float, k_max: int) -> str:
    """A worth in real examples as the report writes it."""
    if math.isnan(value):
        return "n/a"
    if value == -math.inf:
        return "< 0"
    if value == math.inf:
        return f"> {k_max:,}"
    return f"{value:,.0f}"


def exchange_table(worths: list[Worth]) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the exchange-rate table."""
    headers = ["task", "n_train", "regime", "method", "seeds", "clean acc", "none", "worth (real examples)",
               "interval", "share of its labels", "curve: k -> acc"]
    body = []
    for w in worths:
        curve = ", ".join(f"{k:,}: {100 * a:.2f}" for k, a in w.curve)
        share = w.share_of_labels
        body.append([w.task, f"{w.n_train:,}", w.regime, w.method, str(w.seeds), f"{100 * w.acc:.2f}",
                     f"{100 * w.none_acc:.2f}", shown_worth(w),
                     f"[{worth_text(w.worth_low, w.k_max)}, {worth_text(w.worth_high, w.k_max)}]",
                     "–" if share is None or w.within_noise else f"{100 * share:.0f}%", curve])
    return headers, body


def shown_worth(w: Worth) -> str:
    """The worth as tables write it: a number only when its interval excludes 0."""
    return WITHIN_NOISE if w.within_noise else worth_text(w.worth, w.k_max)


def summary_lines(worths: list[Worth]) -> list[str]:
    """Per task and regime, one sentence: what each generator's samples are worth at each size, in real
    examples ("mnist, pool: vae worth 150 real examples at 600 (gain -0.40 pts), ...")."""
    lines = []
    groups: dict[tuple[str, str, str], list[Worth]] = {}
    for w in worths:
        groups.setdefault((w.task, w.profile, w.regime), []).append(w)
    for (task, profile, regime), group in sorted(groups.items()):
        parts = []
        for w in sorted(group, key=lambda w: (w.method, w.n_train)):
            value = worth_text(w.worth, w.k_max)
            if w.within_noise:
                worth = f"within the curve's noise (interval [{worth_text(w.worth_low, w.k_max)}, {worth_text(w.worth_high, w.k_max)}])"
            else:
                worth = "costs accuracy (< 0)" if value == "< 0" else f"worth {value} real examples"
            parts.append(f"`{w.method}` at {w.n_train:,} {worth}, {100 * (w.acc - w.none_acc):+.2f} pts vs none")
        fitted_on = {"pool": "whole train split", "unlabelled": "whole train split's inputs, labels withheld"}.get(regime, "cell subset")
        lines.append(f"{task} ({profile}), generator fitted on the {fitted_on} ({regime}): " + "; ".join(parts) + ".")
    return lines
