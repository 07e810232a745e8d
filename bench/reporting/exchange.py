"""The real-data exchange rate of generated data: how many real examples a generator's samples are worth.

For a (task, profile, size) the curve is the clean accuracy of `none` trained on its n_train real examples
plus k more real ones from the pool (`train.extra_real` = k / n_train; k = 0 is the ordinary `none` cell),
averaged over seeds. A generative cell's mean accuracy is read off that curve: the k at which real data
reach it, by linear interpolation on the curve's running maximum (more real data never counts as worth
less). Its interval is the seeds' 95% t-interval of the generative cell's accuracy read off the same curve.
Below the curve's start the samples cost accuracy ("< 0": worth less than no extra data); above its end
they are worth "more than" the largest k measured.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bench.reporting.stats import mean_interval

EXTRA = "extra_real"
CURVE_METHOD = "none"


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


def regime_named(rows: pd.DataFrame) -> pd.Series:
    """Each row's method as reports name it: `vae (pool)` for a pool-regime generator (a composition's too)."""
    pool = rows["method_params"].map(generator_regime) == "pool"
    return rows["method"].where(~pool, rows["method"] + POOL_SUFFIX)


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
    curve: tuple[tuple[int, float], ...]  # (k, mean accuracy)


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


def curves(rows: pd.DataFrame) -> dict[tuple, tuple[np.ndarray, np.ndarray, int]]:
    """{(task, profile, fraction, setting): (ks, mean accuracies, n_train)} for every size with at least one
    extra-real point; k = 0 is the `none` cell of that size."""
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
        points = group.groupby("extra")["clean_acc"].mean().sort_index()
        ks = np.array([int(round(e * n)) for e in points.index], dtype=float)
        out[key] = (ks, points.to_numpy(dtype=float), n)
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
        ks, accs, n = curve
        interval = mean_interval(cells["clean_acc"].astype(float))
        low = interval.low if not math.isnan(interval.low) else interval.mean
        high = interval.high if not math.isnan(interval.high) else interval.mean
        worths.append(Worth(task, profile, float(fraction), n, method, regime, int(cells["seed"].nunique()),
                            interval.mean, low, high, float(accs[0]), read_off(ks, accs, interval.mean),
                            read_off(ks, accs, low), read_off(ks, accs, high), int(ks[-1]),
                            tuple((int(k), float(a)) for k, a in zip(ks, accs))))
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
               "interval", "curve: k -> acc"]
    body = []
    for w in worths:
        curve = ", ".join(f"{k:,}: {100 * a:.2f}" for k, a in w.curve)
        body.append([w.task, f"{w.n_train:,}", w.regime, w.method, str(w.seeds), f"{100 * w.acc:.2f}",
                     f"{100 * w.none_acc:.2f}", worth_text(w.worth, w.k_max),
                     f"[{worth_text(w.worth_low, w.k_max)}, {worth_text(w.worth_high, w.k_max)}]", curve])
    return headers, body


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
            worth = "costs accuracy (< 0)" if value == "< 0" else f"worth {value} real examples"
            parts.append(f"`{w.method}` at {w.n_train:,} {worth}, {100 * (w.acc - w.none_acc):+.2f} pts vs none")
        lines.append(f"{task} ({profile}), generator fitted on the {'whole train split' if regime == 'pool' else 'cell subset'} "
                     f"({regime}): " + "; ".join(parts) + ".")
    return lines
