"""The robustness studies' common step: a store of quick cells rerun with another measurement, each row joined to
the committed baseline's row of the same cell, and the metrics that must not have moved checked.

A rerun changes only what it measures after training (an attack, a corruption set): every other metric of a cell
must equal the baseline's to the last digit, or the two measurements would not judge the same model.
"""

from __future__ import annotations

import sys

import pandas as pd

from augbench.results.export import read_rows

BASELINE = "results/baselines/quick-cpu.json"
CELL_KEY = ["task", "method", "fraction", "seed", "method_params", "task_params", "train_config"]


def pair_with_baseline(store: str, unchanged: list[str]) -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    """(the ok rows of `store` joined to their baseline rows, suffix `_base`; the `unchanged` metrics that moved,
    as `task/method/fraction/seed: metric`; the rows that did not end ok). Exits when a cell has no baseline row."""
    rows = read_rows(store)
    failed = rows[rows["status"] != "ok"]
    rows = rows[rows["status"] == "ok"].copy()
    base = read_rows(BASELINE)
    base = base[base["method"].isin(rows["method"].unique())]
    merged = rows.merge(base, on=CELL_KEY, suffixes=("", "_base"))
    if len(merged) != len(rows):
        sys.exit(f"{len(rows) - len(merged)} cells have no baseline row to compare with")
    moved = [f"{r.task}/{r.method}/{r.fraction}/{r.seed}: {m}" for r in merged.itertuples() for m in unchanged
             if getattr(r, m) != getattr(r, f"{m}_base")]
    return merged, moved, failed
