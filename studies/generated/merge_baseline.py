"""Merge issue 24's measured rows into the committed quick baseline (results/baselines/quick-cpu.json).

- The 18 FSDD rows of `waveaug`, `cutmix` and `cutout` at their strengths chosen on validation
  (results/tuning/fsdd-strengths-baseline.sqlite) replace the rows of the old strengths, whose cells the
  quick profile no longer plans.
- The ok rows of results/generated/*.sqlite that `make bench-generated SEEDS=3` plans (pool-regime generators,
  `adversarial+vae` in both regimes, the exchange-rate curve) are added; a row already in the baseline (same
  run_id) is kept as it was. The tuning candidates in those stores (other budgets, shares, filters) stay there.

Run from the repository root: .venv/bin/python studies/generated/merge_baseline.py [--fsdd-only] [--store PATH]
(`--store`: also write the merged rows into a new SQLite store, which `augbench report` reads for the
published leaderboard)
(the baseline is read and rewritten; a second run changes nothing).
"""

from __future__ import annotations

import glob
import sys

import pandas as pd

sys.path.insert(0, ".")
from augbench.results.export import read_rows, write_export  # noqa: E402

BASELINE = "results/baselines/quick-cpu.json"
FSDD_STRENGTHS = "results/tuning/fsdd-strengths-baseline.sqlite"
RETUNED = ("waveaug", "cutmix", "cutout")


def rows_of(path: str) -> pd.DataFrame:
    """A store's rows in the export's types."""
    return read_rows(path)


def planned_run_ids() -> set[str]:
    """The run_ids `make bench-generated SEEDS=3` plans (augbench/config/generated_grid.py)."""
    import torch

    from augbench.config import generated_grid
    from augbench.config.params import parse_param_overrides
    from augbench.runner.sweep import SweepSpec, plan

    ids = set()
    for tasks, methods, fractions, params in generated_grid.runs():
        spec = SweepSpec(tasks=tasks, methods=methods, seeds=[0, 1, 2], fractions=fractions, profile="quick",
                         device=torch.device("cpu"), overrides=parse_param_overrides(params))
        ids |= {p.cell.run_id for p in plan(spec)}
    return ids


def write_store(frame: pd.DataFrame, path: str) -> None:
    """The rows as a fresh store (what `augbench report` reads)."""
    from pathlib import Path

    from augbench.results.record import RunRecord, record_fields
    from augbench.results.store import Store

    Path(path).unlink(missing_ok=True)
    names = [f.name for f in record_fields()]
    with Store(Path(path)) as store:
        for row in frame.to_dict(orient="records"):
            values = {k: (None if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA else v)
                      for k, v in row.items() if k in names}
            values = {k: (int(v) if hasattr(v, "item") and not isinstance(v, float) and type(v).__name__.startswith("int") else v)
                      for k, v in values.items()}
            store.put(RunRecord(**values))


def main() -> None:
    base = read_rows(BASELINE)
    fsdd = rows_of(FSDD_STRENGTHS)
    old = (base["task"] == "fsdd") & base["method"].isin(RETUNED) & ~base["run_id"].isin(fsdd["run_id"])
    merged = pd.concat([base[~old & ~base["run_id"].isin(fsdd["run_id"])], fsdd], ignore_index=True)
    added = 0
    planned = set() if "--fsdd-only" in sys.argv else planned_run_ids()
    for path in [] if "--fsdd-only" in sys.argv else sorted(glob.glob("results/generated/*.sqlite")):
        new = rows_of(path)
        new = new[(new["status"] == "ok") & new["run_id"].isin(planned) & ~new["run_id"].isin(merged["run_id"])]
        merged = pd.concat([merged, new], ignore_index=True)
        added += len(new)
    write_export(merged, BASELINE, "json")
    if "--store" in sys.argv:
        write_store(read_rows(BASELINE), sys.argv[sys.argv.index("--store") + 1])
    print(f"{BASELINE}: {len(base)} rows -> {len(merged)} ({int(old.sum())} FSDD rows replaced, {added} added)")


if __name__ == "__main__":
    main()
