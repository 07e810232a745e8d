"""The leaderboard: a pure function of stored rows (rows -> summary DataFrame -> tables -> markdown).

The tables are built once as plain data (`Leaderboard`), so the markdown and the HTML report show the
same numbers in the same order: summary, how to read it, contents, the tables, notes last. Columns come from
augbench/results/metrics.py; no method gets special treatment except the `none` baseline that gains are measured
against.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tabulate import tabulate

from augbench.core.policy import policy_lines, row_pairing_keys
from augbench.results.metrics import METRICS, Metric
from augbench.reporting.stats import (ALPHA, CORRECTION, POWER, RULE, adjust, detectable_gain, iqm, mean_interval,
                                   paired_test, probability_of_improvement, seeds_needed, stratified_bootstrap)
from augbench.reporting.corruption_error import mce
from augbench.reporting.exchange import WITHIN_NOISE, exchange_rates, exchange_table, is_curve_row, regime_named, summary_lines

BASELINE = "none"
TABLE = ["profile", "task", "data_variant", "fraction", "setting"]
# What else makes two cells incomparable: the task's and the trainer's settings, the data, and the attacks and
# corruptions that measured them (`eval_config`): a robust gain never pairs two attacks.
SETTING = ["task_params", "train_config", "data_checksum", "eval_config"]
# Validation accuracy follows clean accuracy: it says how far the split hyperparameters are chosen on agrees with test.
LEADING = ["clean_acc", "val_acc"]
# Marks after a line's clean accuracy, from the run record's training diagnostics (explained under each table).
NOT_CONVERGED, STOPPED_EARLY, NEAR_CHANCE = "†", "‡", "§"
MEANINGS = {  # mark: (the `diagnostics` key of its seeds, what it means)
    NOT_CONVERGED: ("unconverged_seeds", "not converged (over the last quarter of the epochs, the trend line of "
                                         "validation accuracy moved 1 point or more)"),
    STOPPED_EARLY: ("stopped_seeds", "stopped early (the early-stop guard ended training and kept that epoch's weights)"),
    NEAR_CHANCE: ("near_chance_seeds", "near chance (too close to chance for the large-epsilon attack check to mean "
                                       "anything, so its attack accuracies are unchecked)"),
}
# A gain whose seed pairs ran under different execution policies (threads, kernels): shown with this mark, never
# tested or starred (the thread count alone moved clean accuracy by up to 0.59 points on one cell).
MIXED_POLICY = "≠"
MIXED_POLICY_MEANING = ("its seed pairs ran under different execution policies (threads or kernels; the provenance "
                        "lists them), so the difference holds the policies' effect too: not tested")
# An interval over 2 seeds is 12.7 standard errors wide: shown, but marked after the interval.
FEW_SEEDS, MIN_SEEDS = "ⁿ", 3
FEW_SEEDS_MEANING = f"interval from fewer than {MIN_SEEDS} seeds: wide and unreliable."
PERCENT, POINTS = (0.0, 100.0), (-100.0, 100.0)  # what an accuracy, and a difference of two, can be
SMOKE = "smoke"
SMOKE_BANNER = ("Smoke profile: the numbers of profile `smoke` come from tiny budgets meant for testing the pipeline; "
                "they are not for conclusions.")
# Per-task outcomes of a method in the summary (see `task_outcome`).
GAIN, LOSS, NEITHER, UNTESTED = "gain", "loss", "neither", "untested"
# A robust gain (robust accuracy over `none`'s, as a fraction; `robust_metric`) the verdict names: a tenth of the accuracy range.
ROBUST_NOTABLE = 0.10
ROBUST_HEADER, COST_HEADER = "robust gain (pts)", f"cost vs {BASELINE}"  # the summary's optional columns


@dataclass(frozen=True)
class Link:
    """A section of the page as Contents links to it: its title and its id."""

    text: str
    anchor: str


# The page's fixed sections. Each title's slug is its id (see `_heading`); the tables' ids come from their keys.
GUIDE = Link("How to read this", "how-to-read-this")
CONTENTS = Link("Contents", "contents")
PROVENANCE = Link("Provenance", "provenance")
NOTES = Link("Notes", "notes")
EXCHANGE_ANCHOR = "exchange"
FAILED, CELLS = Link("Failed cells", "failed-cells"), Link("All cells", "all-cells")
# The one line under the summary and under the exchange-rate table: their full legends are in the notes.
SUMMARY_POINTER = f"How to read the columns: see [{NOTES.text}](#{NOTES.anchor})."
EXCHANGE_POINTER = f"How to read it, and each task's worths in words: see [{NOTES.text}](#{NOTES.anchor})."


@dataclass
class Table:
    """One rendered table: a title, column headers and rows of display strings."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    legend: list[str] = field(default_factory=list)  # lines explaining the marks used in `rows`
    numeric: list[int] = field(default_factory=list)  # columns holding numbers (right-aligned in HTML)
    best: set[tuple[int, int]] = field(default_factory=set)  # (row, column) of each column's best value
    anchor: str = ""  # the section's id, short and stable: what links (Contents) point at
    group: str = ""  # per-task tables: the Contents bullet that lists it (its task)
    link: str = ""  # per-task tables: its link text in that bullet (its training-set size)


@dataclass
class Leaderboard:
    """Everything the markdown and HTML reports show, already formatted."""

    notes: list[str]
    tables: list[Table]
    provenance: list[str]
    failed: Table | None = None
    cells: Table | None = None
    empty: bool = False
    summary: list[Table] = field(default_factory=list)  # across tasks, one per profile; shown first
    exchange: Table | None = None  # what generated data are worth in real examples (augbench/reporting/exchange.py)
    banner: list[str] = field(default_factory=list)  # warnings shown above everything (smoke profile)
    guide: list[str] = field(default_factory=list)  # "How to read this": one line per column or mark


def attacked_in_feature_space(task: str) -> bool:
    """Whether a task's FGSM and PGD move a feature vector rather than the input a person gives (text, audio): those
    numbers say how smooth the classifier is there, not how it fares against a real change of its input."""
    from augbench.tasks import TASKS

    try:
        return getattr(TASKS.get(task), "modality", "image") != "image"
    except Exception:  # a task of an old store that is no longer registered: as stored, PGD
        return False


def robust_metric(task: str, cells: pd.DataFrame) -> str | None:
    """The metric a table's robust gain compares: `robust_acc` (the worst case over the task's real-input attacks)
    where every row of the table has it; else PGD where PGD acts on the input itself (images); else None: a task
    attacked only in feature space has no robust gain, only a feature-space smoothness column."""
    if "robust_acc" in cells and len(cells) and cells["robust_acc"].notna().all():
        return "robust_acc"
    return None if attacked_in_feature_space(task) else "pgd_acc"


ROBUST_MEANING = ("accuracy under each task's attacks on real inputs minus `none`'s: the worst case per example over the "
                  "attacks that ran (`robust acc`) where a table has it (images: FGSM, PGD and AutoAttack in pixel space; "
                  "text: word substitutions on the sentence; audio: PGD on the waveform), else PGD in pixel space (image "
                  "rows made before AutoAttack); a task attacked only in feature space has none")
FEATURE_SPACE = "feature "  # the FGSM and PGD column headers of tasks attacked in feature space
FEATURE_SPACE_MEANING = ("feature FGSM / PGD: the attacks move the standardized feature vector, which no sentence or "
                         "recording need map to: they measure how smooth the classifier is there, not robustness "
                         "(`robust acc` is the attack on the sentence or the waveform itself).")


def column_label(metric: Metric, task: str) -> str:
    """A per-task table's header for `metric`: FGSM and PGD of a task attacked in feature space say so."""
    if metric.name in ("fgsm_acc", "pgd_acc") and attacked_in_feature_space(task):
        return FEATURE_SPACE + metric.label
    return metric.label


def leaderboard_metrics(rows: pd.DataFrame) -> list[Metric]:
    """The leaderboard metrics (clean, then validation accuracy first) with at least one value in `rows`."""
    names = LEADING + [m for m, metric in METRICS.items() if metric.leaderboard and m not in LEADING]
    return [METRICS[m] for m in names if m in rows and rows[m].notna().any()]


def _missing(value: object) -> bool:
    return value is None or bool(pd.isna(value))


def _flag(value: object, expected: bool) -> bool:
    """Whether a stored boolean is set and equals `expected`; None/NaN (not judged, older rows) never matches.

    The store keeps booleans as SQLite integers, so 0/1 (or 0.0/1.0 beside NULLs) count as False/True.
    """
    return not _missing(value) and bool(value) == expected


def diagnostics(cells: pd.DataFrame) -> dict[str, tuple]:
    """The seeds of one line's `cells` that the training diagnostics flag (empty tuples when none is).

    Returns `unconverged_seeds` (converged is False), `stopped_seeds` ((seed, epoch) pairs where the
    early-stop guard ended training) and `near_chance_seeds` (near_chance is True), each sorted by seed.
    """
    def column(name: str) -> list:
        return list(cells[name]) if name in cells else [None] * len(cells)

    seeds = [int(s) for s in cells["seed"]]
    return {
        "unconverged_seeds": tuple(sorted(s for s, v in zip(seeds, column("converged")) if _flag(v, False))),
        "stopped_seeds": tuple(sorted((s, int(e)) for s, e in zip(seeds, column("stopped_epoch")) if not _missing(e))),
        "near_chance_seeds": tuple(sorted(s for s, v in zip(seeds, column("near_chance")) if _flag(v, True))),
        "judged_cells": sum(not _missing(v) for v in column("converged")),  # cells whose convergence was judged
    }


def with_labels(rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` plus `setting` (task params, train config, data checksum) and `label` (method, with its
    parameters where one table holds several settings of that method)."""
    rows = rows.copy()
    present = [c for c in SETTING if c in rows]  # an export from before a column existed: what it has
    rows["setting"] = rows[present].astype(str).agg("|".join, axis=1) if len(rows) else pd.Series(dtype=str)
    if rows.empty:
        rows["label"] = pd.Series(dtype=str)
        return rows
    # A generator fitted on the task's whole pool is named so in every table: `vae (pool)`, never just `vae`.
    rows["named"] = regime_named(rows)
    settings = rows.groupby(TABLE + ["named"])["method_params"].transform("nunique")

    def label(row: pd.Series) -> str:
        if settings[row.name] <= 1:
            return row["named"]
        params = json.loads(row["method_params"])
        return f"{row['named']}({', '.join(f'{k}={v}' for k, v in sorted(params.items()))})"

    rows["label"] = rows.apply(label, axis=1)
    return rows


@dataclass(frozen=True)
class Pairing:
    """A method's metric against `none`'s on the same seeds: the paired test over the seeds whose rows ran under one
    execution policy; where no seed pair did, the difference over the mixed pairs with no test (`mixed`)."""

    mean: float
    low: float
    high: float
    p: float  # NaN: no test (fewer than 2 like pairs, or the pairs mix policies)
    n: int  # pairs the mean is over
    mixed: int  # seed pairs left out (or, with no like pair, used untested) because their policies differ
    diffs: tuple[float, ...]  # the per-seed differences the mean is over


NO_PAIRING = Pairing(math.nan, math.nan, math.nan, math.nan, 0, 0, ())


def _seed_pairs(mine: pd.DataFrame, base: pd.DataFrame, column: str) -> tuple[list[int], list[int]]:
    """The seeds (both frames indexed by seed) where both rows have `column`, and those of them whose rows ran
    under one execution policy (`policy` column)."""
    common = sorted(s for s in set(mine.index) & set(base.index)
                    if not _missing(mine.at[s, column]) and not _missing(base.at[s, column]))
    return common, [s for s in common if mine.at[s, "policy"] == base.at[s, "policy"]]


def pair_with_baseline(cells: pd.DataFrame, baseline: pd.DataFrame, metric: str) -> Pairing:
    """`metric` of `cells` minus `baseline`'s on the same seeds, like pairs only (see `Pairing`). Both frames hold
    one row per seed and a `policy` column (`row_pairing_keys`)."""
    if metric not in cells or metric not in baseline:
        return NO_PAIRING
    mine, base = cells.set_index("seed"), baseline.set_index("seed")
    common, like = _seed_pairs(mine, base, metric)
    used = like or common
    if not used:
        return NO_PAIRING
    a, b = mine.loc[used, metric].astype(float), base.loc[used, metric].astype(float)
    test = paired_test(a, b)
    p = test.p if like else math.nan
    return Pairing(test.diff.mean, test.diff.low, test.diff.high, p, test.diff.n, len(common) - len(like),
                   tuple(float(x) for x in (a.to_numpy() - b.to_numpy())))


def _cost_ratios(cells: pd.DataFrame, baseline: pd.DataFrame) -> tuple[tuple[float, ...], tuple[float, ...], bool]:
    """Per seed: the cell's seconds over `none`'s, with a cached generator's fit counted (the fit time a cache hit
    stores), and amortised (as measured: a cache hit pays no fit); like-policy pairs only, else every pair with the
    third value True (the ratio then holds the policies' speed difference too)."""
    if "total_s" not in cells or "total_s" not in baseline:
        return (), (), False
    mine, base = cells.set_index("seed"), baseline.set_index("seed")
    common, like = _seed_pairs(mine, base, "total_s")
    common = [s for s in common if base.at[s, "total_s"] > 0]
    like = [s for s in like if base.at[s, "total_s"] > 0]
    used = like or common
    full, amortised = [], []
    for s in used:
        seconds, below = float(mine.at[s, "total_s"]), float(base.at[s, "total_s"])
        hit = _flag(mine.at[s, "gen_cache_hit"], True) if "gen_cache_hit" in mine else False
        fit = 0.0 if not hit or _missing(mine.at[s, "gen_fit_s"]) else float(mine.at[s, "gen_fit_s"])
        full.append((seconds + fit) / below)
        amortised.append(seconds / below)
    return tuple(full), tuple(amortised), bool(used) and not like


def _relative_corruption_error(cells: pd.DataFrame, baseline: pd.DataFrame | None) -> dict[str, float]:
    """`mce_mean/_low/_high/_n`: mCE against `none` on the same seeds (like-policy pairs, else every pair), over
    the seeds whose rows were scored on a published corruption benchmark (augbench/reporting/corruption_error.py);
    NaN without one unambiguous baseline row per seed (`baseline` None)."""
    if baseline is None or "corruption_json" not in cells or "corruption_json" not in baseline:
        return {"mce_mean": math.nan, "mce_low": math.nan, "mce_high": math.nan, "mce_n": 0}
    mine, base = cells.set_index("seed"), baseline.set_index("seed")
    common, like = _seed_pairs(mine, base, "corruption_json")
    values = [mce(mine.at[s, "corruption_json"], base.at[s, "corruption_json"]) for s in (like or common)]
    interval = mean_interval([v for v in values if not math.isnan(v)])
    return {"mce_mean": interval.mean, "mce_low": interval.low, "mce_high": interval.high, "mce_n": interval.n}


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    """One line per table and method label over seeds (ok rows only).

    Columns: TABLE keys, label, method, seeds, n_train; `<metric>_mean/_low/_high` (95% t-interval) and
    `<metric>_n` (seeds with a value) per leaderboard metric present; `gain_mean/_low/_high/_p/_n/_mixed/_diffs`:
    clean accuracy minus the `none` baseline's on the same seeds (`pair_with_baseline`), `robust_...` the same for
    the table's `robust_metric` (`robust_metric`: its name, None where the task has no real-input attack); `gain_q`, `robust_q`: their p adjusted (Benjamini-Hochberg) over every test of the profile, the
    family every page corrects for; `clean_values`, `base_values`: the seeds' accuracies (the aggregates' runs);
    `cost_ratios`, `amortised_ratios`, `cost_mixed` (`_cost_ratios`); the flagged seeds of `diagnostics`.
    """
    ok = rows[rows["status"] == "ok"] if "status" in rows else rows
    if ok.empty:
        return pd.DataFrame()
    ok = with_labels(ok)
    ok["policy"] = row_pairing_keys(ok)
    metrics = leaderboard_metrics(ok)
    lines = []
    for key, table in ok.groupby(TABLE, sort=True):
        baseline = table[table["method"] == BASELINE]
        # Gains need one unambiguous baseline per seed.
        base = baseline if baseline["label"].nunique() == 1 and not baseline["seed"].duplicated().any() else None
        robust = robust_metric(key[TABLE.index("task")], table)
        for label, cells in table.groupby("label", sort=True):
            line = dict(zip(TABLE, key))
            line.update(label=label, method=cells["method"].iloc[0], seeds=cells["seed"].nunique(),
                        n_train=cells["n_train"].iloc[0])
            for metric in metrics:
                interval = mean_interval(cells[metric.name].astype(float))
                line.update({f"{metric.name}_mean": interval.mean, f"{metric.name}_low": interval.low,
                             f"{metric.name}_high": interval.high, f"{metric.name}_n": interval.n})
            # `none` against itself is no test: it stays out of the family (and of the aggregates).
            unique = not cells["seed"].duplicated().any() and cells["method"].iloc[0] != BASELINE
            line["robust_metric"] = robust
            for prefix, metric in (("gain", "clean_acc"), ("robust", robust)):
                found = pair_with_baseline(cells, base, metric) if base is not None and unique and metric else NO_PAIRING
                line.update({f"{prefix}_{part}": getattr(found, part) for part in ("mean", "low", "high", "p", "n", "mixed", "diffs")})
            line.update(_relative_corruption_error(cells, base if not cells["seed"].duplicated().any() else None))
            costed = base is not None and not cells["seed"].duplicated().any()
            full, amortised, mixed = _cost_ratios(cells, base) if costed else ((), (), False)
            line.update(cost_ratios=full, amortised_ratios=amortised, cost_mixed=mixed,
                        clean_values=tuple(cells["clean_acc"].astype(float)),
                        base_values=() if base is None else tuple(base["clean_acc"].astype(float)))
            line.update(diagnostics(cells))
            lines.append(line)
    summary = pd.DataFrame(lines)
    # One family per profile: every clean and robust gain test its tables make (what its pages star).
    summary["gain_q"], summary["robust_q"] = math.nan, math.nan
    for _, family in summary.groupby("profile"):
        tests = list(family["gain_p"]) + list(family["robust_p"])
        adjusted = adjust(tests)
        summary.loc[family.index, "gain_q"] = adjusted[:len(family)]
        summary.loc[family.index, "robust_q"] = adjusted[len(family):]
    return summary


def format_value(metric: Metric, value: float) -> str:
    """A metric value in its display unit (percent for fractions, k/M for throughput)."""
    if value is None or pd.isna(value):
        return "–"
    value = value * metric.scale
    if metric.unit == "samples/s":
        if value >= 1e6:
            return f"{value / 1e6:.1f}M"
        return f"{value / 1e3:.1f}k" if value >= 1e3 else f"{value:.0f}"
    if metric.unit == "s":
        return f"{value:.1f}"
    if metric.unit == "MiB":
        return f"{value:.0f}"
    return f"{value:.2f}"


def format_interval(mean: float, low: float, high: float, n: int, bounds: tuple[float, float] | None = None,
                    signed: bool = False) -> str:
    """A mean and its 95% interval, in display units: `mean ± h` while the interval stays within `bounds`,
    else `mean [low, high]` with the interval clipped to them (a t-interval over few seeds can reach past
    what the quantity can be); `FEW_SEEDS` after an interval from fewer than MIN_SEEDS seeds. NaN `low`
    (one seed): the mean alone."""
    text = f"{mean:+.2f}" if signed else f"{mean:.2f}"
    if pd.isna(low):
        return text
    if bounds is None or (low >= bounds[0] and high <= bounds[1]):
        text += f" ± {(high - low) / 2:.2f}"
    else:
        low, high = max(low, bounds[0]), min(high, bounds[1])
        text += f" [{low:+.2f}, {high:+.2f}]" if signed else f" [{low:.2f}, {high:.2f}]"
    return text + (FEW_SEEDS if n < MIN_SEEDS else "")


def _with_interval(metric: Metric, line: pd.Series) -> str:
    mean, low, high = (line[f"{metric.name}_{part}"] for part in ("mean", "low", "high"))
    # Costs are shown as means: their spread is machine load, not a property of the method.
    if pd.isna(low) or metric.unit in ("samples/s", "s", "MiB"):
        return format_value(metric, mean)
    bounds = PERCENT if metric.unit == "fraction" else None
    scale = metric.scale
    return format_interval(mean * scale, low * scale, high * scale, int(line[f"{metric.name}_n"]), bounds)


MCE_HEADER = f"mCE % vs {BASELINE}"
MCE_MEANING = (f"mCE: corruption error relative to `{BASELINE}` on the same seeds, Hendrycks & Dietterich's mean over the "
               f"benchmark's corruptions of (sum of errors over severities) / (`{BASELINE}`'s), in percent: below 100, "
               f"fewer errors than `{BASELINE}` under the corruptions (rows scored with robust.corruptions=benchmark).")


def _mce_text(line: pd.Series) -> str:
    if line["method"] == BASELINE:
        return "100 (baseline)"  # by definition; shown only in a table where other lines have an mCE
    if pd.isna(line["mce_mean"]):
        return "–"
    return format_interval(line["mce_mean"], line["mce_low"], line["mce_high"], int(line["mce_n"]))


def _gain(line: pd.Series) -> tuple[str, str, str]:
    """A per-task table's gain cells: the gain with its interval, the paired test's p, and p adjusted over the
    profile's family with `*` where it is below ALPHA."""
    if line["method"] == BASELINE:
        return "baseline", "", ""
    if pd.isna(line["gain_mean"]):
        return "–", "", ""
    if line["gain_n"] < 2 or pd.isna(line["gain_low"]):
        return f"{100 * line['gain_mean']:+.2f}" + (f" {MIXED_POLICY}" if line["gain_mixed"] else ""), "n=1, no test", ""
    gain = format_interval(100 * line["gain_mean"], 100 * line["gain_low"], 100 * line["gain_high"],
                           int(line["gain_n"]), POINTS, signed=True)
    if pd.isna(line["gain_p"]):  # every pair mixes policies
        return f"{gain} {MIXED_POLICY}", "not tested", ""
    mark = " *" if line["gain_q"] < ALPHA else ""
    left_out = f" ({int(line['gain_mixed'])} {MIXED_POLICY} left out)" if line["gain_mixed"] else ""
    return gain + left_out, f"{line['gain_p']:.3f}", f"{line['gain_q']:.3f}{mark}"


def _marks(line: pd.Series) -> str:
    return "".join(mark for mark, (column, _) in MEANINGS.items() if line[column])


def _which(flagged: tuple) -> str:
    if isinstance(flagged[0], tuple):  # (seed, epoch) pairs
        return ", ".join(f"seed {seed} at epoch {epoch}" for seed, epoch in flagged)
    return f"seed{'s' if len(flagged) > 1 else ''} {', '.join(str(seed) for seed in flagged)}"


def _legend(table: pd.DataFrame) -> list[str]:
    """One line per mark used in `table`, naming each marked line's flagged seeds."""
    legend = []
    judged = int(table["judged_cells"].sum()) if "judged_cells" in table else 0
    if judged:  # the claim "trained to convergence" holds for this share of the table, at this budget
        unconverged = int(sum(len(s) for s in table["unconverged_seeds"]))
        legend.append(f"Converged at this budget: {judged - unconverged} of {judged} cells"
                      + (f" (the {NOT_CONVERGED} lines name the others)." if unconverged else "."))
    for mark, (column, meaning) in MEANINGS.items():
        marked = [f"{line['label']}: {len(line[column])} of {line['seeds']} seeds ({_which(line[column])})"
                  for _, line in table.iterrows() if line[column]]
        if marked:
            legend.append(f"{mark} {meaning}: {'; '.join(marked)}.")
    return legend


def _train_examples(n_train: pd.Series) -> str:
    sizes = sorted({int(n) for n in n_train.dropna()})
    if not sizes:
        return ""
    return f" ({sizes[0]} train examples)" if len(sizes) == 1 else f" ({sizes[0]}-{sizes[-1]} train examples)"


def _short(setting: str) -> str:
    return hashlib.sha256(setting.encode()).hexdigest()[:8]


def _table_title(key: tuple, n_train: pd.Series, several_settings: bool) -> str:
    profile, task, variant, fraction, setting = key
    n = _train_examples(n_train)
    title = f"{task} ({variant}), fraction {fraction:g}{n}, profile {profile}"
    if several_settings:
        title += f", setting {_short(setting)}"
    return title


def _anchor(*parts: str) -> str:
    """An id from `parts`: lowercase letters, digits and `_`, the rest one hyphen (`cifar10-n500-quick`)."""
    return re.sub(r"[^a-z0-9_]+", "-", "-".join(parts).lower()).strip("-")


def _table_place(key: tuple, n_train: pd.Series, several_variants: bool, several_settings: bool,
                 several_profiles: bool) -> tuple[str, str, str]:
    """A per-task table's (id, Contents bullet, link text): task and size, with the data variant, setting hash
    and profile added where the board has several of them, e.g. ("cifar10-n500-quick", "cifar10", "n=500")."""
    profile, task, variant, fraction, setting = key
    sizes = sorted({int(n) for n in n_train.dropna()})
    one = len(sizes) == 1  # a range of sizes (or none recorded): the fraction names the table
    size, size_id = (f"n={sizes[0]}", f"n{sizes[0]}") if one else (f"fraction {fraction:g}", f"f{fraction:g}")
    text = [variant] * several_variants + [size] + [f"setting {_short(setting)}"] * several_settings
    anchor = _anchor(task, *[variant] * several_variants, size_id, *[_short(setting)] * several_settings, profile)
    return anchor, task + f", profile {profile}" * several_profiles, ", ".join(text)


def _unique(anchor: str, taken: set[str]) -> str:
    """`anchor`, or `anchor-2`, `-3`... when taken (two keys can read alike once punctuation is dropped)."""
    found, n = anchor, 1
    while found in taken:
        n += 1
        found = f"{anchor}-{n}"
    taken.add(found)
    return found


def _guide(summary: list[Table], tables: list[Table]) -> list[str]:
    """The "How to read this" lines: the legends of the summary and of the per-task tables, one line each
    (the full legends are in the notes), naming the optional columns and the marks only where the page has them."""
    if not summary:
        return []
    headers = {header for table in summary for header in table.headers}
    meanings = {mark: meaning.split(" (")[0] for mark, (_, meaning) in MEANINGS.items()}
    meanings[FEW_SEEDS] = f"interval from fewer than {MIN_SEEDS} seeds"
    used = [f"{mark} {meaning}" for mark, meaning in meanings.items()
            if any(line.startswith(mark) for table in tables for line in table.legend)]
    return [
        f"IQM gain: interquartile mean of the per-seed clean gains over `{BASELINE}` across the method's tables, with a "
        f"stratified-bootstrap 95% interval (rliable); methods are ordered by it. P(> {BASELINE}): probability of improvement.",
        f"Gain: clean accuracy minus `{BASELINE}`'s on the same seeds, in points, `±` its 95% interval; `*`: {RULE} "
        f"(paired t-tests, corrected over every gain test of the profile).",
        *[f"Robust gain: {ROBUST_MEANING}, in points."] * (ROBUST_HEADER in headers),
        *[f"Cost: median over cells of total seconds as a multiple of `{BASELINE}`'s, a cached generator's fit counted "
          f"in every cell that used it."] * (COST_HEADER in headers),
        f"Verdict: a significant gain (loss) on a task when {RULE} at more than half of its training-set sizes; "
        f"`robust ±x pts` where the robust gain reaches {100 * ROBUST_NOTABLE:.0f} points.",
        *[f"{MIXED_POLICY}: the seed pairs ran under different execution policies; shown, never tested."] * any(
            MIXED_POLICY in cell for table in [*summary, *tables] for row in table.rows for cell in row),
        *[f"Marks: {', '.join(used)}; each explained under the tables that carry it."] * bool(used),
        f"Per-task tables follow (one per task, data variant, training-set size and profile), methods ranked by mean "
        f"clean accuracy; the full legends are in [{NOTES.text}](#{NOTES.anchor}).",
    ]


@dataclass(frozen=True)
class Gain:
    """A method's clean-accuracy gain over `none` in one per-task table (one training-set size)."""

    fraction: float  # the table's train fraction: orders a task's sizes
    n_train: int | None
    mean: float  # accuracy difference as a fraction (0.042 = +4.2 points)
    p: float  # paired t-test; NaN with fewer than 2 like seed pairs (no test)
    q: float = math.nan  # p adjusted over the profile's family (`summarize`): what stars and verdicts use
    low: float = math.nan  # the gain's 95% t-interval (unadjusted), as fractions
    high: float = math.nan
    mixed: bool = False  # every seed pair mixed execution policies: shown untested

    @property
    def significant(self) -> bool:
        return not math.isnan(self.q) and self.q < ALPHA


@dataclass(frozen=True)
class MethodSummary:
    """One method (label) across the per-task tables of one profile: the summary table's numbers."""

    label: str
    method: str
    mean_rank: float  # rank by mean clean accuracy within each table (1 = best), averaged over tables
    tables: int  # how many tables the method is in
    gains: dict[str, tuple[Gain, ...]]  # task column -> its gains, smallest training set first
    robust_gain: float  # mean over tables of the robust metric minus `none`'s (fraction; `robust_metric`); NaN where never measured
    cost: float  # median over its cells of total seconds (a cached generator's fit counted) / `none`'s; NaN without times
    iqm: float = math.nan  # interquartile mean of the per-seed clean gains over every table (fraction)
    iqm_low: float = math.nan  # its stratified-bootstrap 95% interval (tables as strata)
    iqm_high: float = math.nan
    p_improve: float = math.nan  # probability of improvement over `none`, averaged over tables
    amortised: float = math.nan  # median cost as measured: a cell that loaded a cached generator pays no fit
    cost_mixed: bool = False  # some cost ratio pairs rows run under different execution policies
    aggregate_mixed: bool = False  # some table's gains come from seed pairs of different policies only


def task_outcome(gains: tuple[Gain, ...] | list[Gain]) -> str:
    """GAIN (LOSS) when the gain is positive (negative) and significant after correction at more than half of the
    task's training-set sizes, UNTESTED when no size has a test (one seed, or mixed policies), NEITHER otherwise.

    A majority rather than "any size": with two sizes, "any" tests twice and would call ~10% of
    no-effect methods significant."""
    if all(math.isnan(g.q) for g in gains):
        return UNTESTED
    if sum(g.significant and g.mean > 0 for g in gains) > len(gains) / 2:
        return GAIN
    if sum(g.significant and g.mean < 0 for g in gains) > len(gains) / 2:
        return LOSS
    return NEITHER


def verdict(method: MethodSummary) -> str:
    """A one-line verdict from the summary's numbers only: per-task outcomes (`task_outcome`), cost, and the
    robust gain where it reaches ROBUST_NOTABLE either way."""
    if method.method == BASELINE:
        return "baseline"
    if not method.gains:
        return f"not compared (no `{BASELINE}` in its tables)"
    outcomes = [task_outcome(g) for g in method.gains.values()]
    tested = [o for o in outcomes if o != UNTESTED]
    if not tested:
        return "not tested (1 seed or mixed policies)"
    gains, losses, n = tested.count(GAIN), tested.count(LOSS), len(tested)
    untested = f" ({len(outcomes) - n} untested)" if n < len(outcomes) else ""
    if gains and losses:
        text = f"significant gain on {gains}/{n}, loss on {losses}/{n} tasks{untested}"
    elif gains:
        text = f"significant gain on {gains}/{n} tasks{untested}"
    elif losses:
        text = f"significant loss on {losses}/{n} tasks{untested}"
    else:
        text = f"no significant gain{untested}"
    if not math.isnan(method.cost):
        text = f"{text} at {method.cost:.1f}x cost" if gains and not losses else f"{text}; {method.cost:.1f}x cost"
    # What a method can buy besides clean accuracy: robustness, named when it moves by a visible amount.
    if not math.isnan(method.robust_gain) and abs(method.robust_gain) >= ROBUST_NOTABLE:
        text += f"; robust {100 * method.robust_gain:+.1f} pts"
    return text


SERIES = ["task", "data_variant", "setting"]  # a task column of the summary: its tables differ in size only


def _series_names(summary: pd.DataFrame) -> dict[tuple, str]:
    """Each task column's name: the task, plus variant and setting hash where the task has several."""
    keys = sorted(set(summary[SERIES].itertuples(index=False, name=None)))
    names = {}
    for task, variant, setting in keys:
        name = task
        if sum(k[0] == task for k in keys) > 1:
            name += f" ({variant})"
            if sum(k[:2] == (task, variant) for k in keys) > 1:
                name += f" {_short(setting)}"
        names[(task, variant, setting)] = name
    return names


def line_gain(line: pd.Series) -> Gain:
    """The `Gain` of one `summarize` line."""
    return Gain(float(line["fraction"]), None if _missing(line["n_train"]) else int(line["n_train"]),
                float(line["gain_mean"]), float(line["gain_p"]), float(line["gain_q"]), float(line["gain_low"]),
                float(line["gain_high"]), bool(line["gain_mixed"]) and math.isnan(float(line["gain_p"])))


def aggregate(lines: pd.DataFrame) -> tuple[float, float, float, float]:
    """rliable's aggregates of one method over its `summarize` lines (Agarwal et al. 2021): the IQM of its per-seed
    clean gains over every table with its stratified-bootstrap interval (each table's seeds resampled on their
    own), and the probability of improvement over `none` (the share of (seed, `none` seed) pairs it wins, averaged
    over tables). Gains are in accuracy points on every task, one scale: no normalisation is needed."""
    strata = [list(d) for d in lines["gain_diffs"] if len(d)]
    if not strata:
        return math.nan, math.nan, math.nan, math.nan
    low, high = stratified_bootstrap(strata, iqm)
    pairs = [(line["clean_values"], line["base_values"]) for _, line in lines.iterrows() if len(line["gain_diffs"])]
    return iqm([d for s in strata for d in s]), low, high, probability_of_improvement(pairs)


def overview(summary: pd.DataFrame) -> list[MethodSummary]:
    """One `MethodSummary` per method label over the tables of `summary` (`summarize` lines, one profile)."""
    absent = {name: math.nan for name in ("pgd_acc_mean", "total_s_mean") if name not in summary}
    ranked = summary.assign(rank=summary.groupby(TABLE)["clean_acc_mean"].rank(ascending=False, method="average"),
                            **absent)
    names = _series_names(ranked)
    methods = []
    for label, lines in ranked.groupby("label", sort=True):
        gains = {}
        for key, series in lines[lines["gain_n"] >= 1].groupby(SERIES, sort=True):
            gains[names[key]] = tuple(line_gain(g) for _, g in series.sort_values("fraction").iterrows())
        full = [r for ratios in lines["cost_ratios"] for r in ratios]
        amortised = [r for ratios in lines["amortised_ratios"] for r in ratios]
        middle, low, high, improve = aggregate(lines)
        robust = lines["robust_mean"].dropna()
        methods.append(MethodSummary(
            str(label), str(lines["method"].iloc[0]), float(lines["rank"].mean()), len(lines), dict(sorted(gains.items())),
            float(robust.mean()) if len(robust) else math.nan, float(np.median(full)) if full else math.nan,
            middle, low, high, improve, float(np.median(amortised)) if amortised else math.nan,
            bool(lines["cost_mixed"].any()), bool(((lines["gain_mixed"] > 0) & lines["gain_p"].isna()).any())))
    return methods


def _size(gain: Gain) -> str:
    return f"{gain.n_train}" if gain.n_train is not None else f"f{gain.fraction:g}"


def gain_text(gain: Gain | None, interval: bool = True) -> str:
    """A gain in points with its 95% interval's half-width (`+6.2±2.1`), `*` when significant after correction,
    MIXED_POLICY when its pairs mix policies; `–` when absent."""
    if gain is None:
        return "–"
    text = f"{100 * gain.mean:+.1f}"
    if interval and not math.isnan(gain.low):
        text += f"±{100 * (gain.high - gain.low) / 2:.1f}"
    return text + ("*" if gain.significant else "") + (MIXED_POLICY if gain.mixed else "")


def _best(values: list[float], lowest: bool, above: float = -math.inf) -> set[int]:
    """Indices of the best of `values` (NaN never best; ties all best); none unless the best is above `above`."""
    known = [v for v in values if not math.isnan(v)]
    if not known:
        return set()
    target = min(known) if lowest else max(known)
    return {i for i, v in enumerate(values) if v == target} if target > above else set()


def ordered(methods: list[MethodSummary]) -> list[MethodSummary]:
    """Best IQM gain first (`none` at 0 among them; a method without a gain last), ties by name."""
    return sorted(methods, key=lambda m: (math.isnan(m.iqm) and m.method != BASELINE,
                                          -(0.0 if m.method == BASELINE else (m.iqm if not math.isnan(m.iqm) else 0.0)),
                                          m.label))


def iqm_text(m: MethodSummary) -> str:
    """`+1.2 [+0.4, +2.0]` in points; `–` for `none` and a method with no gain."""
    if m.method == BASELINE or math.isnan(m.iqm):
        return "–"
    mark = MIXED_POLICY if m.aggregate_mixed else ""  # shown, but some of it pairs rows of different policies
    if math.isnan(m.iqm_low):
        return f"{100 * m.iqm:+.1f}{mark}"
    return f"{100 * m.iqm:+.1f} [{100 * m.iqm_low:+.1f}, {100 * m.iqm_high:+.1f}]{mark}"


def cost_text(m: MethodSummary) -> str:
    """The median cost multiple, the amortised one beside it where a cached generator made them differ."""
    if math.isnan(m.cost):
        return "–"
    text = f"{m.cost:.1f}x"
    if not math.isnan(m.amortised) and f"{m.amortised:.1f}" != f"{m.cost:.1f}":
        text += f" ({m.amortised:.1f}x amortised)"
    return text + (MIXED_POLICY if m.cost_mixed else "")


def summary_table(summary: pd.DataFrame, profile: str) -> Table:
    """The table across tasks and training-set sizes for one profile's `summarize` lines, best IQM gain first."""
    methods = ordered(overview(summary))
    n_tables = summary.groupby(TABLE).ngroups
    columns = sorted({name for m in methods for name in m.gains})
    sizes = {}  # task column -> (smallest, largest) size over every method
    for name in columns:
        every = sorted({(g.fraction, _size(g)) for m in methods for g in m.gains.get(name, ())})
        sizes[name] = [every[0]] if len(every) == 1 else [every[0], every[-1]]
    robust = bool("robust_mean" in summary and summary["robust_mean"].notna().any())
    cost = bool("total_s_mean" in summary and summary["total_s_mean"].notna().any())
    headers = ["method", "IQM gain (pts)", f"P(> {BASELINE})", "tables"]
    headers += [f"{name} gain (n={' / '.join(s for _, s in sizes[name])})" for name in columns]
    headers += [ROBUST_HEADER] * robust + [COST_HEADER] * cost + ["verdict"]
    body, scores = [], []  # scores: per row, the number each column is judged best by (NaN: not judged)
    for m in methods:
        baseline = m.method == BASELINE
        improve = "–" if baseline or math.isnan(m.p_improve) else f"{m.p_improve:.2f}" + MIXED_POLICY * m.aggregate_mixed
        row = [m.label, iqm_text(m), improve, f"{m.tables}/{n_tables}"]
        score = [math.nan if baseline else 100 * m.iqm, math.nan if baseline else m.p_improve, math.nan]
        for name in columns:
            by_size = {g.fraction: g for g in m.gains.get(name, ())}
            shown = [by_size.get(fraction) for fraction, _ in sizes[name]]
            row.append("–" if baseline or not by_size else " / ".join(gain_text(g) for g in shown))
            score.append(math.nan if baseline or not by_size else 100 * sum(g.mean for g in by_size.values()) / len(by_size))
        if robust:
            row.append("–" if baseline or math.isnan(m.robust_gain) else f"{100 * m.robust_gain:+.1f}")
            score.append(math.nan if baseline else 100 * m.robust_gain)
        if cost:
            row.append(cost_text(m))
            score.append(math.nan if baseline else m.cost)
        body.append(row + [verdict(m)])
        scores.append(score)
    # Gains are judged against `none`'s zero (P(> none) against a coin's 0.5): a column where every method loses has no best.
    judged = [(False, 0.0), (False, 0.5), (False, math.inf)] + [(False, 0.0)] * (len(columns) + robust) + [(True, -math.inf)] * cost
    best = {(r, c + 1) for c, (low, above) in enumerate(judged) for r in _best([s[c] for s in scores], low, above)}
    several = any(len(s) > 1 for s in sizes.values())
    hidden = any(len({g.fraction for m in methods for g in m.gains.get(name, ())}) > 2 for name in columns)
    legend = [
        f"IQM gain: the interquartile mean of the method's per-seed clean-accuracy gains over `{BASELINE}` across "
        f"every table it is in (the best and worst quarter dropped, so one table cannot dominate), with its "
        f"stratified-bootstrap 95% interval (each table's seeds resampled on their own; Agarwal et al. 2021, "
        f"rliable). Methods are ordered by it. P(> {BASELINE}): the probability that a seed of the method beats a "
        f"seed of `{BASELINE}` in the same table, averaged over tables (0.5: no better). Tables: how many of the "
        f"profile's {n_tables} tables the method is in; the aggregates cover those only ({MIXED_POLICY} after them: some "
        f"table's gains pair rows run under different execution policies).",
        f"Task columns: clean accuracy minus `{BASELINE}`'s on the same seeds, in points"
        + (", at the smallest / largest training-set size (n = training examples)" if several else "")
        + (" (the sizes between are in the per-task tables)" if hidden else "")
        + f"; `±h`: half-width of its 95% t-interval over seeds (unadjusted); `*` when {RULE}, over every clean and "
        f"robust gain test of the profile; {MIXED_POLICY}: every seed pair ran under different execution policies, "
        f"so it is shown untested.",
    ]
    if robust:
        legend.append(f"Robust gain: {ROBUST_MEANING}, in points, averaged over the tables where "
                      "both were measured; each task's attack radius differs (the README's blocks compare like threat models).")
    if cost:
        legend.append(f"Cost: the median over the method's cells of its total seconds over `{BASELINE}`'s on the same "
                      "seed, with a cached generator's fit counted in every cell that used it; `(x amortised)`: the "
                      "median as measured, where only the cell that fitted the generator paid for it.")
    legend.append(f"Verdict: a task counts as a significant gain (loss) when its gain is positive (negative) with "
                  f"{RULE} at more than half of its training-set sizes (with two sizes: both); a task with "
                  f"one seed has no test. `robust ±x pts` is added where the robust gain is {100 * ROBUST_NOTABLE:.0f} points or "
                  f"more either way.")
    legend.append(f"HTML report: the best value per column is bold: highest IQM gain, P(> {BASELINE}) and task gain "
                  f"where some method beats `{BASELINE}`, lowest cost.")
    numeric = list(range(1, len(headers) - 1))
    title = f"Summary across tasks and training-set sizes, profile {profile}"
    return Table(title, headers, body, legend, numeric, best, anchor=_anchor("summary", profile))


def build(rows: pd.DataFrame) -> Leaderboard:
    """The leaderboard: a summary across tasks per profile, then the per-task tables ranked by mean clean
    accuracy, plus provenance, failed and all cells; a banner when some row comes from the smoke profile."""
    if rows.empty:
        return Leaderboard([], [], [], empty=True)
    notes = [
        "Each table: one task, data variant, train fraction (its number of training examples in the title) and "
        "profile; methods ranked by mean clean accuracy.",
        "`a ± h`: mean over seeds ± half-width of the 95% t-interval (no interval with one seed); `a [low, high]` "
        "when the interval reaches past what the number can be, clipped to it (0-100% for accuracies, ±100 points "
        "for gains).",
        f"Gain: clean accuracy minus `{BASELINE}` on the same seeds (seed pairs run under one execution policy), in "
        f"points; p: paired t-test; adj. p: p adjusted ({CORRECTION}) over every clean and robust gain test of the "
        f"profile's tables, `*` when {RULE}. Costs (samples/s, seconds) are means over seeds.",
    ]
    banner = [SMOKE_BANNER] if "profile" in rows and (rows["profile"] == SMOKE).any() else []
    curve_rows = rows
    rows = rows[~is_curve_row(rows)]  # the exchange-rate curve's extra-real cells are its points, not tables
    summary = summarize(rows)
    exchange = _exchange(curve_rows)
    threshold = quality_threshold(summary)
    notes += [f"{threshold} (`plots/quality-<profile>.png`: gain against CAS and FID)"] if threshold else []
    tables, overviews = [], []
    if not summary.empty:
        overviews = [summary_table(lines, str(profile)) for profile, lines in summary.groupby("profile", sort=True)]
        metrics = [m for m in leaderboard_metrics(rows[rows["status"] == "ok"]) if f"{m.name}_mean" in summary]
        thresholds = {profile: corrected_threshold(lines) for profile, lines in summary.groupby("profile")}
        per_run = summary.groupby(["profile", "task", "data_variant", "fraction"])["setting"].transform("nunique")
        summary = summary.assign(several=per_run > 1)
        variants, profiles = summary.groupby("task")["data_variant"].nunique(), summary["profile"].nunique()
        fixed = (GUIDE, CONTENTS, PROVENANCE, NOTES, FAILED, CELLS)
        taken = {EXCHANGE_ANCHOR, *(section.anchor for section in fixed), *(t.anchor for t in overviews)}
        for key, table in summary.groupby(TABLE, sort=True):
            shown = [m for m in metrics if table[f"{m.name}_mean"].notna().any()]
            table = table.sort_values(["clean_acc_mean", "label"], ascending=[False, True])
            task = key[TABLE.index("task")]
            headers = (["method", shown[0].label, "seeds", f"gain vs {BASELINE} (pts)", "p", "adj. p"]
                       + [column_label(m, task) for m in shown[1:]])
            with_mce = bool(table["mce_mean"].notna().any())
            headers += [MCE_HEADER] * with_mce
            body = []
            for _, line in table.iterrows():
                values = [_with_interval(m, line) for m in shown] + [_mce_text(line)] * with_mce
                marks = _marks(line)
                clean = f"{values[0]} {marks}" if marks else values[0]
                body.append([line["label"], clean, str(line["seeds"]), *_gain(line), *values[1:]])
            legend = _legend(table) + power_lines(table, thresholds.get(key[0], ALPHA)) + [MCE_MEANING] * with_mce
            legend += [FEATURE_SPACE_MEANING] * any(h.startswith(FEATURE_SPACE) for h in headers)
            if any(MIXED_POLICY in row[3] for row in body):
                legend.append(f"{MIXED_POLICY} {MIXED_POLICY_MEANING}; `(k {MIXED_POLICY} left out)`: k seed pairs "
                              "of mixed policies left out of the test.")
            if any(FEW_SEEDS in cell for row in body for cell in row):
                legend.append(f"{FEW_SEEDS} {FEW_SEEDS_MEANING}")
            several = bool(table["several"].iloc[0])
            anchor, group, link = _table_place(key, table["n_train"], bool(variants[key[1]] > 1), several, profiles > 1)
            tables.append(Table(_table_title(key, table["n_train"], several), headers, body, legend,
                                list(range(1, len(headers))), anchor=_unique(anchor, taken), group=group, link=link))
    return Leaderboard(notes, tables, provenance(rows), _failed(rows), _cells(rows), summary=overviews, banner=banner,
                       exchange=exchange, guide=_guide(overviews, tables))


def corrected_threshold(summary: pd.DataFrame) -> float:
    """The raw p below which the profile's correction stars a test: the largest p among the starred tests, or,
    with none starred, ALPHA over the number of tests (what the first step of Benjamini-Hochberg asks)."""
    p = pd.concat([summary["gain_p"], summary["robust_p"]])
    q = pd.concat([summary["gain_q"], summary["robust_q"]])
    starred = p[(q < ALPHA) & (p > 0)]  # a constant difference's p of 0 says nothing about the cut-off
    tests = int(p.notna().sum())
    return float(starred.max()) if len(starred) else (ALPHA / tests if tests else ALPHA)


def power_lines(table: pd.DataFrame, threshold: float) -> list[str]:
    """One legend line saying how large a clean gain the table's seeds can detect: from the median standard
    deviation of its methods' per-seed gains, at 80% power, at the test's 5% and at the page's corrected threshold,
    for each seed count its methods have (the core grid runs more seeds than the other methods), and how many
    seeds a 1-point gain needs there."""
    spreads = [float(pd.Series(d).std(ddof=1)) for d in table["gain_diffs"] if len(d) >= 2]
    seeds = sorted({len(d) for d in table["gain_diffs"] if len(d) >= 2}, reverse=True)
    if not spreads:
        return []
    sd = float(pd.Series(spreads).median())
    if not sd > 0:  # identical gains on every seed: nothing to say about noise
        return []
    methods = {n: sum(len(d) == n for d in table["gain_diffs"]) for n in seeds}
    parts = []
    for n in seeds:
        uncorrected, corrected = detectable_gain(sd, n), detectable_gain(sd, n, alpha=threshold)
        who = f" ({methods[n]} method{'s' if methods[n] > 1 else ''})" if len(seeds) > 1 else ""
        parts.append(f"{n} seeds{who} detect a true gain of about {100 * uncorrected:.1f} points with {100 * POWER:.0f}% "
                     f"power at p < {ALPHA}, and {100 * corrected:.1f} at the page's corrected threshold (p < {threshold:.2g})")
    if 5 not in seeds:
        parts.append(f"at that threshold 5 seeds would detect {100 * detectable_gain(sd, 5, alpha=threshold):.1f} points")
    needed = seeds_needed(sd, 0.01, alpha=threshold)
    return [f"Power: the gains' seed-to-seed spread here is {100 * sd:.2f} points (median sd over methods), so "
            + "; ".join(parts) + f"; a 1-point gain needs {needed if needed else 'more than 100'} seeds."]


def quality_threshold(summary: pd.DataFrame) -> str | None:
    """How good a generator's samples had to be before they helped: the lowest CAS among the generative lines
    (compositions aside) whose clean-accuracy gain over `none` is positive and significant after correction, or, when no line
    gained, that no threshold shows and the highest CAS measured. None without generative lines."""
    if summary.empty or "cas_mean" not in summary:
        return None
    lines = summary.dropna(subset=["cas_mean"])
    lines = lines[~lines["method"].str.contains("+", regex=False)]
    if lines.empty:
        return None
    gained = lines[(lines["gain_mean"] > 0) & (lines["gain_q"] < ALPHA)]
    where = lambda line: f"{line['label']}, {line['task']}, n_train={int(line['n_train']):,}"
    if gained.empty:
        best = lines.loc[lines["cas_mean"].idxmax()]
        return (f"Quality threshold: no generative line gains clean accuracy over `{BASELINE}` with {RULE} at any "
                f"CAS measured, up to {100 * best['cas_mean']:.1f}% ({where(best)}): the data show no threshold.")
    low = gained.loc[gained["cas_mean"].idxmin()]
    return (f"Quality threshold: the lowest CAS at which generated samples raised clean accuracy over `{BASELINE}` "
            f"({RULE}) is {100 * low['cas_mean']:.1f}% ({where(low)}; {len(gained)} of {len(lines)} generative lines gained).")


def _exchange(rows: pd.DataFrame) -> Table | None:
    """The exchange-rate table, where `none` was also trained on extra real examples (train.extra_real)."""
    worths = exchange_rates(rows)
    if not worths:
        return None
    headers, body = exchange_table(worths)
    legend = ["Worth: the number k of extra real examples at which `none` trained on n_train + k real examples "
              "reaches the generative cells' mean clean accuracy, read off a monotone (isotonic) fit of every seed's "
              "point of `none`'s curve over k (linear interpolation; `train.extra_real`). Interval: 95% bootstrap "
              "over seeds, the curve refitted and the cells' mean read off in each resample (augbench/reporting/"
              f"exchange.py); `{WITHIN_NOISE}` where it holds 0, so no number is claimed. `< 0`: the samples cost "
              "accuracy; `> K`: worth more than the largest k measured. Share of its labels: the worth over the "
              "labels the arm consumed (a scarce generator: the cell's n_train; a pool one's are not recorded). "
              "Regime: the generator saw the cell's subset (scarce) or the task's whole train split outside "
              "validation (pool).", *summary_lines(worths)]
    return Table("Generated data in real examples (exchange rate)", headers, body, legend, [1, 4, 5, 6, 9],
                 anchor=EXCHANGE_ANCHOR)


def _failed(rows: pd.DataFrame) -> Table | None:
    failed = rows[rows["status"] != "ok"]
    if failed.empty:
        return None
    body = [[r.task, r.method, str(r.seed), f"{r.fraction:g}", r.profile, str(r.error)] for r in failed.itertuples()]
    return Table(FAILED.text, ["task", "method", "seed", "fraction", "profile", "error"], body, anchor=FAILED.anchor)


def _cell_flags(row: pd.Series) -> str:
    parts = [NOT_CONVERGED] if _flag(row.get("converged"), False) else []
    if not _missing(row.get("stopped_epoch")):
        parts.append(f"{STOPPED_EARLY} epoch {int(row['stopped_epoch'])}")
    guard = None if _missing(row.get("guard_json")) else row["guard_json"]
    guard = json.loads(guard) if isinstance(guard, str) else guard  # a store row holds text, an export a dict
    for event in (guard or {}).get("events", []):
        if event.get("action") == "shrink_step":  # the guard rolled back and went on with a smaller step
            parts.append(f"rolled back to epoch {event['kept_epoch']} after epoch {event['epoch']}, step {event['alpha']:.3g}")
    return " ".join(parts + ([NEAR_CHANCE] if _flag(row.get("near_chance"), True) else []))


def _cells(rows: pd.DataFrame) -> Table:
    metric = METRICS["clean_acc"]
    ordered = with_labels(rows).sort_values(["profile", "task", "fraction", "label", "seed"])
    headers = ["run_id", "task", "method", "fraction", "n_train", "seed", "profile", "status", metric.label]
    body = [[r["run_id"][:12], r["task"], r["label"], f"{r['fraction']:g}",
             "–" if _missing(r.get("n_train")) else str(int(r["n_train"])), str(r["seed"]), r["profile"], r["status"],
             format_value(metric, r["clean_acc"])] for _, r in ordered.iterrows()]
    flags = [_cell_flags(r) for _, r in ordered.iterrows()]
    if not any(flags):  # stores without training diagnostics keep the narrower table
        return Table(CELLS.text, headers, body, anchor=CELLS.anchor)
    legend = [f"flags: {NOT_CONVERGED} not converged, {STOPPED_EARLY} stopped early at that epoch, "
              f"{NEAR_CHANCE} near chance (explained under the tables above)."]
    return Table(CELLS.text, headers + ["flags"], [line + [flag] for line, flag in zip(body, flags)], legend,
                 anchor=CELLS.anchor)


def provenance(rows: pd.DataFrame) -> list[str]:
    """Lines naming the devices, library versions, commits, profiles and dates behind `rows`."""
    ok = rows[rows["status"] == "ok"]
    if ok.empty:
        return []

    def distinct(column: str) -> str:
        return ", ".join(sorted({str(v) for v in ok[column].dropna()})) if column in ok else "unknown"

    commits = sorted({(c[:10] if isinstance(c, str) else "unknown") + ("+dirty" if d is True or d == 1 else "")
                      for c, d in zip(ok["git_commit"], ok["git_dirty"])})
    return [
        f"profiles: {distinct('profile')}",
        f"devices: {distinct('device_name') or 'unknown'}",
        *policy_lines(ok),
        f"torch {distinct('torch_version')}, torchvision {distinct('torchvision_version')}, "
        f"python {distinct('python_version')}, numpy {distinct('numpy_version')}",
        *_library_lines(ok),
        f"commits: {', '.join(commits)}",
        f"runs finished between {ok['finished_at'].min()} and {ok['finished_at'].max()} (UTC)",
    ]


def recorded_library_versions(rows: pd.DataFrame) -> dict[str, set[str]]:
    """{library: the versions named} over the rows' `library_versions` JSON (schema 4; "not installed" where
    a row names a library it did not have); rows from before schema 4 add nothing."""
    import json

    found: dict[str, set[str]] = {}
    for text in rows["library_versions"].dropna() if "library_versions" in rows else []:
        for library, version in json.loads(text).items():
            found.setdefault(library, set()).add("not installed" if version is None else str(version))
    return found


def _library_lines(ok: pd.DataFrame) -> list[str]:
    """The other libraries that computed numbers, and the locks the rows matched (rows since schema 4)."""
    found = recorded_library_versions(ok)
    if not found:
        return []
    unrecorded = int(ok["library_versions"].isna().sum())
    locks = sorted({str(d) for d in ok["lock_digest"].dropna()}) if "lock_digest" in ok else []
    recorded = ok[ok["library_versions"].notna()]  # rows from before schema 4 are counted above, not here
    unlocked = int(recorded["lock_digest"].isna().sum()) if "lock_digest" in recorded else len(recorded)
    return [", ".join(f"{library} {'/'.join(sorted(v))}" for library, v in sorted(found.items()))
            + (f" ({unrecorded} row{'s' * (unrecorded != 1)} from before these were recorded)" if unrecorded else ""),
            f"requirements.lock: {', '.join(locks) or 'none'}"
            + (f"; {unlocked} row{'s' * (unlocked != 1)} not from a locked environment" if unlocked else "")]


def contents(board: Leaderboard, extra: Sequence[Link] = ()) -> list[tuple[str, list[Link]]]:
    """The Contents of the page, in page order, one (label, links) per bullet: the exchange-rate table, one
    bullet per task (and profile) whose links are its tables' sizes, `extra` (the HTML report's plots), then
    provenance, failed and all cells, notes. A bullet without a label is its one link."""
    bullets = [("", [Link(board.exchange.title, board.exchange.anchor)])] if board.exchange is not None else []
    for group, tables in itertools.groupby(board.tables, key=lambda t: t.group):
        bullets.append((group, [Link(t.link, t.anchor) for t in tables]))
    bullets += [("", [link]) for link in extra]
    bullets += [("", [PROVENANCE])] if board.provenance else []
    bullets += [("", [Link(t.title, t.anchor)]) for t in (board.failed, board.cells) if t is not None]
    return bullets + [("", [NOTES])]


def notes(board: Leaderboard) -> list[tuple[str, list[str]]]:
    """The notes at the end of the page, one (heading, lines) per part: the full legends of the summary and
    exchange-rate tables (a line under each table points here), then the general notes."""
    tables = [*board.summary, *[board.exchange] * (board.exchange is not None)]
    return [(f"Legend: {t.title}", t.legend) for t in tables if t.legend] + [("General notes", board.notes)]


def _slug(title: str) -> str:
    """GitHub's id for a heading: lowercase, punctuation dropped, each space a hyphen."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def _heading(title: str, anchor: str, level: int = 2) -> list[str]:
    """A markdown heading that `#anchor` links reach on GitHub, in MkDocs and in any renderer keeping raw HTML.

    GitHub and python-markdown's `toc` (MkDocs) derive a heading's id from its text by different rules (GitHub
    turns each space into a hyphen, toc collapses runs of them; duplicates get `-1` vs `_1`), and a table's title
    would give a long id that changes with its wording. So a table's section carries an explicit, short
    `<a id>` on the line before its heading: python-markdown passes raw HTML through, GitHub keeps the id (as
    `user-content-<id>`, which its page script resolves `#<id>` to). Where the heading's own slug already is
    `anchor` under both rules (one- to four-word titles such as "Notes"), it is left alone: a second element with
    the same id would make the link ambiguous.
    """
    prefix = [] if _slug(title) == anchor else [f'<a id="{anchor}"></a>']
    return prefix + [f"{'#' * level} {title}", ""]


def _markdown_table(table: Table, legend: bool = True) -> list[str]:
    lines = _heading(table.title, table.anchor) if table.anchor else [f"## {table.title}", ""]
    lines += [tabulate(table.rows, headers=table.headers, tablefmt="github", disable_numparse=True), ""]
    for line in table.legend if legend else []:
        lines += [line, ""]
    return lines


def _markdown_contents(bullets: list[tuple[str, list[Link]]]) -> list[str]:
    def links(found: list[Link]) -> str:
        return ", ".join(f"[{link.text}](#{link.anchor})" for link in found)

    return [f"- {label}: {links(found)}" if label else f"- {links(found)}" for label, found in bullets] + [""]


def render_markdown(board: Leaderboard) -> str:
    """The leaderboard as markdown: summary, how to read it, contents, the tables, provenance, cells, notes."""
    lines = ["# augbench leaderboard", ""]
    if board.empty:
        return "\n".join(lines + ["No runs in the store yet: run `augbench run` (or `make bench`) first.", ""])
    lines += [f"> **{line}**" for line in board.banner] + [""] * bool(board.banner)
    for table in board.summary:
        lines += _markdown_table(table, legend=False)
    lines += [SUMMARY_POINTER, ""] if board.summary else []
    if board.guide:
        lines += _heading(GUIDE.text, GUIDE.anchor) + [f"- {line}" for line in board.guide] + [""]
    lines += _heading(CONTENTS.text, CONTENTS.anchor) + _markdown_contents(contents(board))
    if board.exchange is not None:
        lines += _markdown_table(board.exchange, legend=False) + [EXCHANGE_POINTER, ""]
    for table in board.tables:
        lines += _markdown_table(table)
    if board.provenance:
        lines += _heading(PROVENANCE.text, PROVENANCE.anchor) + [f"- {line}" for line in board.provenance] + [""]
    for table in (board.failed, board.cells):
        if table is not None:
            lines += _markdown_table(table)
    lines += _heading(NOTES.text, NOTES.anchor)
    for heading, part in notes(board):
        lines += [f"### {heading}", ""] + [f"- {line}" for line in part] + [""]
    return "\n".join(lines)


def leaderboard_markdown(rows: pd.DataFrame) -> str:
    """The leaderboard as markdown: one table per (profile, task, data variant, fraction), best first."""
    return render_markdown(build(rows))
