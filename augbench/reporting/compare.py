"""Regression tracking: compare a current run against a baseline, cell by cell and metric by metric.

Like asv's `compare`, a change must exceed the metric's tolerance to count, and where both sides have
two or more seeds it must also be significant (Welch's t-test); a change beyond tolerance that is not
significant is marked `~` and does not fail. A cell that was ok in BASE and failed or was not run in CUR
fails too (unless allowed): a crash must not pass as "nothing regressed". Unlike asv, the exit status gates CI.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import pandas as pd
from tabulate import tabulate

from augbench.core.errors import UsageError
from augbench.core.policy import row_policy_keys
from augbench.results.metrics import COST_METRICS, METRICS, NUMBER_METRICS, Metric
from augbench.reporting.leaderboard import format_value, recorded_library_versions
from augbench.reporting.stats import ALPHA, Interval, mean_interval, welch_p

# A cell's identity without its seed: everything that makes two runs comparable.
IDENTITY = ["task", "data_variant", "method", "fraction", "profile", "method_params", "task_params", "train_config", "eval_config",
            "data_checksum"]
# The profile decides the training and evaluation settings, so comparing across profiles ignores them.
CROSS_PROFILE_IDENTITY = [k for k in IDENTITY if k not in ("profile", "train_config", "eval_config")]
STATUS_ORDER = ["regressed", "improved", "~", "unchanged"]
SHOWN = ["task", "data_variant", "method", "fraction"]
# Metrics that mean something only for some methods, and the columns whose values show that a cell's
# method is one of them. gen_fit_s times fitting a generator: only the generative methods have one, and
# only they set gen_cache_hit (schema 3) and report FID and CAS; every other method's fit is a no-op timed
# in microseconds, whose ratio is noise ("gen_fit_s 0.0 -> 0.0, -31.6%").
APPLIES_WITH: dict[str, tuple[str, ...]] = {"gen_fit_s": ("gen_cache_hit", "fid", "cas")}

Cell = tuple[str, str, str, str]  # task, data variant, method label, fraction


@dataclass
class Change:
    """One (cell, metric) present on both sides, with its verdict."""

    cell: Cell
    metric: Metric
    base: Interval
    cur: Interval
    worse_by: float  # points or share of the baseline; positive = worse
    tolerance: float
    p: float  # Welch's t-test; NaN when a side has fewer than 2 seeds
    status: str


@dataclass
class Missing:
    """A cell, some seeds of one, or one metric of one that a side lacks."""

    cell: Cell
    why: str  # "failed in CUR", "only in BASE", "seed 2 failed in CUR", "fid only in CUR", ...
    lost: bool = False  # ok in BASE, failed or not run in CUR: fails the compare unless allowed


@dataclass
class Comparison:
    """All verdicts of one compare, and the cells or metrics only one side has."""

    changes: list[Change]
    missing: list[Missing]
    alpha: float
    identity: list[str]
    notes: list[str] = field(default_factory=list)
    allow_missing: bool = False  # lost cells are reported but do not fail
    cells: int = 0  # cells with ok rows on both sides
    identical: int = 0  # of those, cells whose every number metric (NUMBER_METRICS) is equal to the last digit
    libraries: list[str] = field(default_factory=list)  # how the library versions behind BASE and CUR differ (library_differences)
    gate_timings: bool = True  # False (--timings report): a timing or memory metric beyond tolerance is reported, never fails

    @property
    def lost(self) -> list[Missing]:
        """Cells (or seeds) ok in BASE that failed or were not run in CUR."""
        return [m for m in self.missing if m.lost]

    @property
    def regressed(self) -> bool:
        """Whether the compare fails: a metric regressed, or (unless allowed) a cell was lost."""
        return bool(self.failing) or (bool(self.lost) and not self.allow_missing)

    @property
    def failing(self) -> list[Change]:
        """The regressed metrics that fail the compare: all of them, or with `gate_timings` off the numbers only."""
        return [c for c in self.changes if c.status == "regressed" and (self.gate_timings or c.metric.name not in COST_METRICS)]


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


def _labels(ok: pd.DataFrame, identity: list[str]) -> dict[tuple, Cell]:
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


def _values(rows: pd.DataFrame, name: str) -> pd.Series:
    """A metric's non-null values in `rows`; none where the export has no such column."""
    return rows[name].astype(float).dropna() if name in rows else pd.Series(dtype=float)


def applies(name: str, base_rows: pd.DataFrame, cur_rows: pd.DataFrame) -> bool:
    """Whether metric `name` means something for this cell, so that comparing it can say anything.

    Decided from the data, never from the method's name (an export may hold methods this checkout lacks):
    a metric null in every row on both sides does not apply (FID and CAS of a non-generative method);
    a metric in APPLIES_WITH applies only where one of its witness columns has a value on either side
    (gen_fit_s only for methods that fit a generator: they set gen_cache_hit and report FID and CAS).
    """
    if _values(base_rows, name).empty and _values(cur_rows, name).empty:
        return False
    witnesses = APPLIES_WITH.get(name)
    return witnesses is None or any(w in rows and rows[w].notna().any() for w in witnesses for rows in (base_rows, cur_rows))


# Columns that name one library's version each; schema 4 adds the JSON column library_versions for the rest.
VERSION_COLUMNS = {"torch_version": "torch", "torchvision_version": "torchvision", "numpy_version": "numpy",
                   "python_version": "python"}


def library_versions(rows: pd.DataFrame, libraries: set[str] = frozenset()) -> dict[str, set[str]]:
    """{library: the versions the rows name} over the rows' version columns and library_versions JSON. Rows
    from before schema 4 name only torch, torchvision, numpy and Python: for them each of `libraries` (the
    ones other rows record) counts as "unrecorded", so that a mix never passes for the same versions."""
    found = recorded_library_versions(rows)
    for column, library in VERSION_COLUMNS.items():
        if column in rows:
            found.setdefault(library, set()).update(str(v) for v in rows[column].dropna())
    if "library_versions" not in rows or rows["library_versions"].isna().any():
        for library in libraries:
            found.setdefault(library, set()).add("unrecorded")
    return {library: versions for library, versions in found.items() if versions}


def library_differences(base: pd.DataFrame, cur: pd.DataFrame) -> list[str]:
    """How the library versions behind BASE's and CUR's rows differ, one entry per library that differs
    ("scikit-learn 1.9.0 -> 1.9.1", "scipy unrecorded -> 1.17.1"). Empty: the same versions on both sides."""
    recorded = set(recorded_library_versions(base)) | set(recorded_library_versions(cur))
    b, c = library_versions(base, recorded), library_versions(cur, recorded)
    return [f"{library} {'/'.join(sorted(b.get(library, {'unrecorded'})))} -> {'/'.join(sorted(c.get(library, {'unrecorded'})))}"
            for library in sorted(set(b) | set(c)) if b.get(library) != c.get(library)]


def _libraries_text(comparison: Comparison) -> str:
    if not comparison.libraries:
        return "libraries: same versions"
    return f"libraries DIFFER: {'; '.join(comparison.libraries)}"


def _failed_seeds(rows: pd.DataFrame, identity: list[str]) -> dict[tuple, set]:
    """The seeds of each cell whose row is not ok."""
    failed: dict[tuple, set] = {}
    for *key, seed in rows.loc[rows["status"] != "ok", [*identity, "seed"]].itertuples(index=False, name=None):
        failed.setdefault(tuple(key), set()).add(seed)
    return failed


def _one_sided(base_groups: dict, cur_groups: dict, failed: dict[str, dict[tuple, set]],
               labels: dict[tuple, Cell]) -> list[Missing]:
    """Cells only one side ran ok, and seeds ok in BASE that failed in CUR.

    A cell ok in BASE that CUR failed or did not run is lost; so is a seed of a common cell that failed in
    CUR but was ok in BASE (a crash, even on one seed, is news). A seed CUR did not run is not: a one-seed
    CI run against a three-seed baseline is the usual case.
    """
    missing = []
    for key in sorted(set(base_groups) ^ set(cur_groups), key=str):
        absent_from = "CUR" if key in base_groups else "BASE"
        # A cell that ran but failed is worth telling apart from one that was not run.
        why = f"failed in {absent_from}" if key in failed[absent_from] else f"only in {'BASE' if absent_from == 'CUR' else 'CUR'}"
        missing.append(Missing(labels[key], why, lost=absent_from == "CUR"))
    for key in sorted(set(base_groups) & set(cur_groups), key=str):
        seeds = sorted(failed["CUR"].get(key, set()) & set(base_groups[key]["seed"]))
        if seeds:
            missing.append(Missing(labels[key], f"seed{'s' * (len(seeds) > 1)} {', '.join(map(str, seeds))} failed in CUR",
                                   lost=True))
    return missing


def compare(base: pd.DataFrame, cur: pd.DataFrame, tolerance_overrides: dict[str, float] | None = None,
            alpha: float = ALPHA, allow_profile_mismatch: bool = False, allow_missing: bool = False,
            gate_timings: bool = True) -> Comparison:
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
    failed = {side: _failed_seeds(rows, identity) for side, rows in every.items()}
    base_groups = dict(list(base.groupby(identity, sort=True, dropna=False)))
    cur_groups = dict(list(cur.groupby(identity, sort=True, dropna=False)))
    common = sorted(set(base_groups) & set(cur_groups), key=str)
    if not common:
        raise UsageError(f"no cells in common between BASE ({len(base_groups)} cells) and CUR ({len(cur_groups)} cells), "
                         f"matching on {', '.join(identity)}")
    labels = _labels(pd.concat([base, cur]), identity)
    missing = _one_sided(base_groups, cur_groups, failed, labels)
    changes, seed_matched, identical = [], 0, 0
    for key in common:
        b_rows, c_rows = base_groups[key], cur_groups[key]
        cur_seeds = set(c_rows["seed"])
        if cur_seeds < set(b_rows["seed"]):  # a 1-seed run against a 3-seed baseline: its own seeds, not the mean
            b_rows, seed_matched = b_rows[b_rows["seed"].isin(cur_seeds)], seed_matched + 1
        identical += _numbers_equal(b_rows, c_rows)
        for name, limit in limits.items():
            if not applies(name, b_rows, c_rows):
                continue
            b_values, c_values = _values(b_rows, name), _values(c_rows, name)
            if b_values.empty or c_values.empty:
                missing.append(Missing(labels[key], f"{name} only in {'CUR' if b_values.empty else 'BASE'}"))
                continue
            metric = METRICS[name]
            b, c = mean_interval(b_values), mean_interval(c_values)
            worse_by, p, status = _verdict(metric, b, c, limit, alpha, b_values, c_values)
            changes.append(Change(labels[key], metric, b, c, worse_by, limit, p, status))
    if seed_matched:
        notes.append(f"{_plural(seed_matched, 'cell')} compared on CUR's seeds only: BASE holds more seeds of "
                     f"{'it' if seed_matched == 1 else 'them'}, and CUR's seed is compared with the same seed in BASE.")
    policies = {side: sorted(set(row_policy_keys(rows)))
                for side, rows in (("BASE", base), ("CUR", cur))}
    if policies["BASE"] != policies["CUR"] or len(policies["BASE"]) > 1:
        notes.append(f"Execution policies differ (BASE: {', '.join(policies['BASE'])}; CUR: {', '.join(policies['CUR'])}): "
                     "the thread count and the kernels move last digits, so some cells differ for that reason alone "
                     "(docs/compare.md#execution-policy).")
    if not gate_timings:
        notes.append("Timings and memory are reported only (--timings report): a machine's load moves them, not the code.")
    return Comparison(changes, missing, alpha, identity, notes, allow_missing, len(common), identical,
                      library_differences(base, cur), gate_timings)


def _numbers_equal(base_rows: pd.DataFrame, cur_rows: pd.DataFrame) -> bool:
    """Whether every number metric of a cell is equal on both sides, seed by seed (a bit-reproducible rerun)."""
    if sorted(base_rows["seed"]) != sorted(cur_rows["seed"]):
        return False
    b, c = base_rows.sort_values("seed"), cur_rows.sort_values("seed")
    for name in NUMBER_METRICS:
        left = b[name].astype(float).to_numpy() if name in b else None
        right = c[name].astype(float).to_numpy() if name in c else None
        if left is None or right is None:
            if (left is not None and not pd.isna(left).all()) or (right is not None and not pd.isna(right).all()):
                return False
            continue
        if not ((left == right) | (pd.isna(left) & pd.isna(right))).all():
            return False
    return True


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


def _p_text(change: Change) -> str:
    return "–" if math.isnan(change.p) else f"{change.p:.3f}"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _counts(comparison: Comparison) -> dict[str, int]:
    return {s: sum(c.status == s for c in comparison.changes) for s in STATUS_ORDER}


def _lost_text(comparison: Comparison) -> str:
    """How many cells were lost and whether that fails: the part of the count line about missing cells."""
    lost = len(comparison.lost)
    text = f"{lost} ok in BASE but failed or missing in CUR"
    return text + (" (allowed by --allow-missing)" if lost and comparison.allow_missing else "")


def cell_counts(comparison: Comparison) -> dict[str, int]:
    """The cells of a compare by outcome, for the summary's table: compared (ok on both sides), identical (every
    number metric equal to the last digit), changed (a metric regressed or improved), missing (on one side only)
    and failed (a run, or a seed of one, failed in CUR)."""
    changed = {c.cell for c in comparison.changes if c.status in ("regressed", "improved") and _gated(comparison, c)}
    failed = {m.cell for m in comparison.missing if "failed in CUR" in m.why}
    missing = {m.cell for m in comparison.missing if m.why.startswith("only in")}
    return {"cells compared": comparison.cells, "identical": comparison.identical, "changed": len(changed),
            "missing": len(missing), "failed": len(failed)}


def _gated(comparison: Comparison, change: Change) -> bool:
    """Whether `change` can fail the compare (timings cannot under --timings report)."""
    return comparison.gate_timings or change.metric.name not in COST_METRICS


def _status_text(comparison: Comparison, change: Change) -> str:
    return change.status if _gated(comparison, change) else f"{change.status} (reported)"


def _result_text(comparison: Comparison) -> str:
    if not comparison.regressed:
        reported = _counts(comparison)["regressed"] - len(comparison.failing)
        notes = ([f"{_plural(len(comparison.lost), 'lost cell')} allowed"] if comparison.lost else []) + \
            ([f"{_plural(reported, 'timing')} beyond tolerance, reported"] if reported else [])
        return "pass" + (f" ({'; '.join(notes)})" if notes else "")
    failing = len(comparison.failing)
    why = [_plural(failing, "metric") + " regressed"] if failing else []
    if comparison.lost and not comparison.allow_missing:
        why.append(_plural(len(comparison.lost), "cell") + " lost")
    return f"**FAIL**: {', '.join(why)}"


def _summary_block(comparison: Comparison, base_name: str, cur_name: str) -> list[str]:
    """The short markdown summary: the cell counts, the metric verdicts, and a row per regressed or improved
    metric and per lost cell (unchanged and `~` metrics are only counted: on a full grid they bury the few
    that matter)."""
    counts, cells = _counts(comparison), cell_counts(comparison)
    table = tabulate([[*cells.values(), _result_text(comparison)]], headers=[*cells, "result"], tablefmt="github",
                     disable_numparse=True)
    lines = [
        f"### augbench compare: {base_name} -> {cur_name}",
        "",
        table,
        "",
        f"Metrics: {counts['regressed']} regressed, {counts['improved']} improved, {counts['unchanged']} unchanged, "
        f"{counts['~']} ~ (beyond tolerance, not significant); cells: {_lost_text(comparison)}; "
        f"{_libraries_text(comparison)}.",
        *[f"{note}" for note in comparison.notes],
    ]
    shown = [c for status in ("regressed", "improved") for c in comparison.changes if c.status == status]
    body = [[_status_text(comparison, c), *c.cell, c.metric.name,
             f"{format_value(c.metric, c.base.mean)} -> {format_value(c.metric, c.cur.mean)}", _change_text(c),
             _tolerance_text(c), _p_text(c), f"{c.base.n}/{c.cur.n}"] for c in shown]
    body += [["missing", *m.cell, m.why + (" (allowed)" if comparison.allow_missing else ""), "", "", "", "", ""]
             for m in comparison.lost]
    if body:
        headers = ["status", "task", "variant", "method", "fraction", "metric", "base -> cur", "change", "tolerance",
                   "p", "seeds"]
        lines += ["", tabulate(body, headers=headers, tablefmt="github", disable_numparse=True)]
    return lines


def render(comparison: Comparison, base_name: str, cur_name: str) -> str:
    """The full comparison as markdown, for `--output` (a CI job page, a PR comment): the summary, then
    regressed / improved / ~ / unchanged (folded in <details>) / missing tables."""
    lines = [
        *_summary_block(comparison, base_name, cur_name),
        "",
        f"A change counts when it exceeds the metric's tolerance and, where both sides have 2+ seeds, Welch's "
        f"t-test gives p < {comparison.alpha:g}; with one seed on a side the tolerance alone decides. A cell (or "
        f"seed) ok in BASE that failed or was not run in CUR fails the compare unless --allow-missing is given.",
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
                 _change_text(c), _tolerance_text(c), _p_text(c), f"{c.base.n}/{c.cur.n}"] for c in rows]
        table = tabulate(body, headers=headers, tablefmt="github", disable_numparse=True)
        if status == "unchanged":
            # Folded, so a PR comment leads with what changed.
            lines += [f"## {titles[status]}", "", f"<details><summary>{len(rows)} unchanged</summary>", "", table, "",
                      "</details>", ""]
        else:
            lines += [f"## {titles[status]}", "", table, ""]
    if comparison.missing:
        body = [[*m.cell, m.why, _fails_text(comparison, m)] for m in comparison.missing]
        lines += ["## Missing", "", tabulate(body, headers=["task", "variant", "method", "fraction", "missing", "fails"],
                                             tablefmt="github", disable_numparse=True), ""]
    return "\n".join(lines)


def _fails_text(comparison: Comparison, missing: Missing) -> str:
    """Whether a missing entry fails the compare, so a reader of the report sees why the exit status is 1."""
    if not missing.lost:
        return "no"
    return "no (--allow-missing)" if comparison.allow_missing else "yes"


def summary(comparison: Comparison, base_name: str, cur_name: str, output: str | None = None) -> str:
    """The terminal's view, short markdown a CI job page shows as it is (GitHub's step summary): the cell
    counts, the verdicts, one row per regressed or improved metric and per lost cell. The full report, with
    every row, goes to `--output`."""
    lines = _summary_block(comparison, base_name, cur_name)
    others = len(comparison.missing) - len(comparison.lost)
    tail = (f"{others} other one-sided {'entry' if others == 1 else 'entries'} (cells only in CUR, metrics on one side); "
            if others else "")
    lines += ["", tail + (f"full report in {output}" if output else "full report: pass --output FILE")]
    return "\n".join(lines) + "\n"
