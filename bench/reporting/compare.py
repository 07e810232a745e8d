"""Regression tracking: compare a current run against a baseline, cell by cell and metric by metric.

Like asv's `compare`, a change must exceed the metric's tolerance to count, and where both sides have
two or more seeds it must also be significant (Welch's t-test); a change beyond tolerance that is not
significant is marked `~` and does not fail. Unlike asv, the exit status gates CI.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import pandas as pd
from tabulate import tabulate

from bench.core.errors import UsageError
from bench.results.metrics import METRICS, Metric
from bench.reporting.leaderboard import format_value
from bench.reporting.stats import ALPHA, Interval, mean_interval, welch_p

# A cell's identity without its seed: everything that makes two runs comparable.
IDENTITY = ["task", "data_variant", "method", "fraction", "profile", "method_params", "task_params", "train_config", "eval_config",
            "data_checksum"]
# The profile decides the training and evaluation settings, so comparing across profiles ignores them.
CROSS_PROFILE_IDENTITY = [k for k in IDENTITY if k not in ("profile", "train_config", "eval_config")]
STATUS_ORDER = ["regressed", "improved", "~", "unchanged"]
SHOWN = ["task", "data_variant", "method", "fraction"]


@dataclass
class Change:
    """One (cell, metric) present on both sides, with its verdict."""

    cell: tuple[str, str, str, str]  # task, data variant, method label, fraction
    metric: Metric
    base: Interval
    cur: Interval
    worse_by: float  # points or share of the baseline; positive = worse
    tolerance: float
    p: float  # Welch's t-test; NaN when a side has fewer than 2 seeds
    status: str


@dataclass
class Comparison:
    """All verdicts of one compare, and the cells or metrics only one side has."""

    changes: list[Change]
    missing: list[tuple[tuple[str, str, str, str], str]]  # (cell, what is missing where)
    alpha: float
    identity: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        return any(c.status == "regressed" for c in self.changes)


def tolerances(overrides: dict[str, float] | None = None) -> dict[str, float]:
    """Each compared metric's tolerance: the METRICS default unless overridden.

    Raises:
        UsageError: an override names no metric, or is negative.
    """
    result = {name: m.tolerance for name, m in METRICS.items() if m.tolerance is not None}
    for name, value in (overrides or {}).items():
        if name not in METRICS:
            raise UsageError(f"unknown metric {name!r} in --tolerance; choose from {', '.join(METRICS)}")
        if not value >= 0:
            raise UsageError(f"tolerance of {name} must be >= 0, got {value}")
        result[name] = value
    return result


def _verdict(metric: Metric, base: Interval, cur: Interval, tolerance: float, alpha: float,
             base_values: pd.Series, cur_values: pd.Series) -> tuple[float, float, str]:
    worse = base.mean - cur.mean if metric.higher_is_better else cur.mean - base.mean
    if metric.tolerance_kind == "points":
        worse_by = worse * metric.scale
    elif base.mean != 0:
        worse_by = worse / abs(base.mean)
    else:
        worse_by = 0.0 if worse == 0 else math.copysign(math.inf, worse)
    p = welch_p(base_values, cur_values)
    if abs(worse_by) <= tolerance or abs(worse) <= metric.min_change:
        return worse_by, p, "unchanged"
    if not math.isnan(p) and p >= alpha:
        return worse_by, p, "~"
    return worse_by, p, "regressed" if worse_by > 0 else "improved"


def _labels(ok: pd.DataFrame, identity: list[str]) -> dict[tuple, tuple[str, str, str, str]]:
    """Display names per identity: the method, plus a short config hash where several identities share one."""
    keys = ok[identity].drop_duplicates()
    shown = {tuple(row[identity]): (row["task"], row["data_variant"], row["method"], f"{row['fraction']:g}")
             for _, row in keys.iterrows()}
    counts = pd.Series(list(shown.values())).value_counts()
    labels = {}
    for key, cell in shown.items():
        if counts[cell] > 1:
            digest = hashlib.sha256("|".join(map(str, key)).encode()).hexdigest()[:8]
            cell = (cell[0], cell[1], f"{cell[2]} [{digest}]", cell[3])
        labels[key] = cell
    return labels


def _identity_filled(rows: pd.DataFrame) -> pd.DataFrame:
    """Identity columns present and without NaN: exports from before a column existed (eval_config) match
    each other, and NaN keys (never equal to themselves) cannot hide a cell."""
    rows = rows.copy()
    for column in IDENTITY:
        rows[column] = rows[column].fillna("") if column in rows else ""
    return rows


def compare(base: pd.DataFrame, cur: pd.DataFrame, tolerance_overrides: dict[str, float] | None = None,
            alpha: float = ALPHA, allow_profile_mismatch: bool = False) -> Comparison:
    """Compare the ok rows of `cur` against `base`, like with like (same identity except the seed).

    Raises:
        UsageError: the profiles differ (unless allowed), alpha is outside (0, 1), or no cell is in both.
    """
    if not 0 < alpha < 1:
        raise UsageError(f"alpha must be in (0, 1), got {alpha}")
    limits = tolerances(tolerance_overrides)
    base, cur = _identity_filled(base), _identity_filled(cur)
    every = {"BASE": base, "CUR": cur}
    base = base[base["status"] == "ok"]
    cur = cur[cur["status"] == "ok"]
    base_profiles, cur_profiles = sorted(set(base["profile"])), sorted(set(cur["profile"]))
    identity, notes = IDENTITY, []
    if base_profiles != cur_profiles:
        if not allow_profile_mismatch:
            raise UsageError(f"profiles differ: BASE has {', '.join(base_profiles) or 'no ok rows'}, CUR has "
                             f"{', '.join(cur_profiles) or 'no ok rows'}; pass --allow-profile-mismatch to compare anyway")
        identity = CROSS_PROFILE_IDENTITY
        notes.append(f"Profiles differ (BASE {', '.join(base_profiles)}, CUR {', '.join(cur_profiles)}): "
                     "cells matched ignoring profile, training config and robustness settings.")
    failed = {side: set(rows.loc[rows["status"] != "ok", identity].itertuples(index=False, name=None))
              for side, rows in every.items()}
    base_groups = dict(list(base.groupby(identity, sort=True, dropna=False)))
    cur_groups = dict(list(cur.groupby(identity, sort=True, dropna=False)))
    common = sorted(set(base_groups) & set(cur_groups), key=str)
    if not common:
        raise UsageError(f"no cells in common between BASE ({len(base_groups)} cells) and CUR ({len(cur_groups)} cells), "
                         f"matching on {', '.join(identity)}")
    labels = _labels(pd.concat([base, cur]), identity)
    changes, missing = [], []
    for key in sorted(set(base_groups) ^ set(cur_groups), key=str):
        absent_from = "CUR" if key in base_groups else "BASE"
        # A cell that ran but failed is worth telling apart from one that was not run.
        why = f"failed in {absent_from}" if key in failed[absent_from] else f"only in {'BASE' if absent_from == 'CUR' else 'CUR'}"
        missing.append((labels[key], why))
    for key in common:
        b_rows, c_rows = base_groups[key], cur_groups[key]
        for name, limit in limits.items():
            metric = METRICS[name]
            b_values, c_values = b_rows[name].astype(float).dropna(), c_rows[name].astype(float).dropna()
            if b_values.empty and c_values.empty:
                continue
            if b_values.empty or c_values.empty:
                missing.append((labels[key], f"{name} only in {'CUR' if b_values.empty else 'BASE'}"))
                continue
            b, c = mean_interval(b_values), mean_interval(c_values)
            worse_by, p, status = _verdict(metric, b, c, limit, alpha, b_values, c_values)
            changes.append(Change(labels[key], metric, b, c, worse_by, limit, p, status))
    return Comparison(changes, missing, alpha, identity, notes)


def _change_text(change: Change) -> str:
    metric = change.metric
    if metric.tolerance_kind == "points":
        return f"{(change.cur.mean - change.base.mean) * metric.scale:+.2f} pts"
    if change.base.mean == 0:
        return "±0" if change.cur.mean == 0 else "from 0"
    return f"{change.cur.mean / change.base.mean - 1:+.1%}"


def _tolerance_text(change: Change) -> str:
    metric = change.metric
    text = f"{change.tolerance:g} pts" if metric.tolerance_kind == "points" else f"{change.tolerance:.0%}"
    return text + (f" and {metric.min_change:g} {metric.unit}" if metric.min_change else "")


def render(comparison: Comparison, base_name: str, cur_name: str) -> str:
    """The comparison as markdown: a count line, then regressed / improved / ~ / unchanged / missing tables."""
    counts = {s: sum(c.status == s for c in comparison.changes) for s in STATUS_ORDER}
    lines = [
        f"# augbench compare: {base_name} -> {cur_name}",
        "",
        f"**{counts['regressed']} regressed**, {counts['improved']} improved, {counts['~']} ~ (beyond tolerance, "
        f"not significant), {counts['unchanged']} unchanged, {len(comparison.missing)} missing.",
        "",
        f"A change counts when it exceeds the metric's tolerance and, where both sides have 2+ seeds, Welch's "
        f"t-test gives p < {comparison.alpha:g}; with one seed on a side the tolerance alone decides.",
        *comparison.notes,
        "",
    ]
    titles = {"regressed": "Regressed", "improved": "Improved", "~": "Beyond tolerance, not significant (~)",
              "unchanged": "Unchanged"}
    headers = ["task", "variant", "method", "fraction", "metric", "base", "cur", "change", "tolerance", "p", "seeds"]
    for status in STATUS_ORDER:
        rows = [c for c in comparison.changes if c.status == status]
        if not rows:
            continue
        body = [[*c.cell, c.metric.name, format_value(c.metric, c.base.mean), format_value(c.metric, c.cur.mean),
                 _change_text(c), _tolerance_text(c), "–" if math.isnan(c.p) else f"{c.p:.3f}",
                 f"{c.base.n}/{c.cur.n}"] for c in rows]
        table = tabulate(body, headers=headers, tablefmt="github", disable_numparse=True)
        if status == "unchanged":
            # Folded, so a PR comment leads with what changed.
            lines += [f"## {titles[status]}", "", f"<details><summary>{len(rows)} unchanged</summary>", "", table, "",
                      "</details>", ""]
        else:
            lines += [f"## {titles[status]}", "", table, ""]
    if comparison.missing:
        body = [[*cell, where] for cell, where in comparison.missing]
        lines += ["## Missing", "", tabulate(body, headers=["task", "variant", "method", "fraction", "missing"],
                                             tablefmt="github", disable_numparse=True), ""]
    return "\n".join(lines)
