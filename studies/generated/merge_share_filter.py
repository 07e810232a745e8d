"""Put the vae's share/filter defaults chosen on validation (augbench/methods/vae.py, SHARE_FILTER) into the committed
quick baseline (results/baselines/quick-cpu.json).

The baseline's rows that the quick grid no longer plans (the vae cells of the changed (task, regime) pairs at the
old default, ratio 0.5 without a filter, and adversarial+vae's scarce cells on MNIST) are dropped, and the ok rows of
results/generated/*.sqlite that it does plan and the baseline lacks are added: the tuning stores' smaller-size rows
at the new defaults and share_filter_defaults.sh's (the core grid's scarce vae cells on two threads win over the
tuning stores' one-thread rows of the same cell). It fails, changing nothing,
when a dropped cell has no replacement. Run from the repository root (AUGBENCH_DATA set):

    .venv/bin/python studies/generated/merge_share_filter.py [--store PATH]
"""

from __future__ import annotations

import glob
import sys

import pandas as pd
import torch

sys.path.insert(0, ".")
sys.path.insert(0, "studies/generated")
from augbench.config import generated_grid  # noqa: E402
from augbench.results.export import read_rows, write_export  # noqa: E402
from augbench.runner.sweep import SweepSpec, plan  # noqa: E402
from merge_baseline import planned_run_ids as generated_run_ids, write_store  # noqa: E402

BASELINE = "results/baselines/quick-cpu.json"
# Where two stores hold a row of one cell, the first wins: the core grid's cells on two threads, as make bench runs them.
FIRST = ("results/generated/share-filter-defaults-core.sqlite", "results/generated/share-filter-defaults.sqlite")


def planned_run_ids(rows: pd.DataFrame) -> set[str]:
    """Every run_id the baseline's grid plans today (as tests/test_baseline_identity.py plans it): the cross
    product of its tasks, methods, seeds and sizes, and the generated-data grid (merge_baseline.planned_run_ids)."""
    spec = SweepSpec(tasks=sorted(set(rows["task"])), methods=sorted(set(rows["method"]) - {generated_grid.COMPOSITION}),
                     seeds=sorted({int(s) for s in rows["seed"]}), fractions=sorted({float(f) for f in rows["fraction"]}),
                     profile="quick", device=torch.device("cpu"))
    return {p.cell.run_id for p in plan(spec)} | generated_run_ids()


def main() -> None:
    base = read_rows(BASELINE)
    planned = planned_run_ids(base)
    stale = base[~base["run_id"].isin(planned)]
    kept = base[base["run_id"].isin(planned)]
    added = []
    for path in [*FIRST, *sorted(set(glob.glob("results/generated/*.sqlite")) - set(FIRST))]:
        new = read_rows(path)
        new = new[(new["status"] == "ok") & new["run_id"].isin(planned) & ~new["run_id"].isin(kept["run_id"])]
        new = new[~new["run_id"].isin(pd.concat([frame["run_id"] for frame in added]) if added else [])]
        added.append(new)
    added = pd.concat(added, ignore_index=True)
    key = ["task", "method", "fraction", "seed"]
    lacking = stale.merge(added[key], on=key, how="left", indicator=True)
    lacking = lacking[lacking["_merge"] == "left_only"]
    if len(lacking):
        sys.exit(f"{len(lacking)} dropped cells have no replacement yet, e.g. "
                 f"{lacking[key].head(3).to_dict(orient='records')}; run share_filter_defaults.sh first")
    # Each replacement takes its dropped row's place, so the baseline's diff shows the cells that moved.
    position = {tuple(row): i for i, row in zip(stale.index, stale[key].itertuples(index=False))}
    at = added.assign(_order=[position.get(tuple(r), len(base) + i) for i, r in enumerate(added[key].itertuples(index=False))])
    merged = pd.concat([kept.assign(_order=kept.index.to_numpy(dtype=float)), at], ignore_index=True)
    merged = merged.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
    write_export(merged, BASELINE, "json")
    if "--store" in sys.argv:
        write_store(read_rows(BASELINE), sys.argv[sys.argv.index("--store") + 1])
    print(f"{BASELINE}: {len(base)} rows -> {len(merged)} ({len(stale)} no longer planned dropped: "
          f"{stale.groupby(['task', 'method']).size().to_dict()}; {len(added)} added)")


if __name__ == "__main__":
    main()
