"""Replace the committed quick baseline's rows with the rows of the same cells made under the execution policy.

Issue 33: the core grid (3 seeds), every other method of `make bench-all` (3 seeds) and the text tasks' third size
were rerun under the policy (AVX2 kernels, one thread per cell, two cells at once) on a fresh clone; their run_ids
are the baseline's (the policy is not in a cell's config hash). Each new row takes its old row's place, so the
baseline's diff shows what moved; a new row whose cell the baseline lacks, or a failed row, stops the merge with
nothing written. Rows the rerun did not cover (the generated-data grid) stay as they were, with exec_policy null.
Run from the repository root:

    .venv/bin/python studies/policy/merge_policy_rows.py NEW.json [BASELINE] [--add] [--drop TASK:METHOD]

With `--add`, new rows of cells the baseline lacks (more seeds of the core grid, issue 35) are appended instead of
stopping the merge. With `--drop TASK:METHOD` (repeatable), the baseline's rows of that task and method are removed
first: a changed default gives the method's cells new identities (issue 34 moved CIFAR-10's quick adversarial
training to PGD-3), and the old rows must not stay beside the new ones. `--drop TASK:*` removes every row of the
task (issue 33 changed FSDD's maps and sizes: studies/policy/regenerate_task.py makes the task's rows again).
"""

from __future__ import annotations

import sys

sys.path.insert(0, ".")
import pandas as pd  # noqa: E402

from augbench.results.export import read_rows, write_export  # noqa: E402

BASELINE = "results/baselines/quick-cpu.json"


def main(new_path: str, baseline_path: str = BASELINE, add: bool = False, drop: tuple[str, ...] = ()) -> None:
    base, new = read_rows(baseline_path), read_rows(new_path)
    for item in drop:
        task, method = item.split(":")
        gone = (base["task"] == task) & ((base["method"] == method) | (method == "*"))
        if not gone.any():
            sys.exit(f"--drop {item}: the baseline has no rows of task {task} and method {method}")
        if not ((new["task"] == task) & ((new["method"] == method) | (method == "*"))).any():
            sys.exit(f"--drop {item}: the new rows hold none of that task and method to take their place")
        base = base[~gone].reset_index(drop=True)
        print(f"{int(gone.sum())} rows of {task} {method} dropped")
    failed = new[new["status"] != "ok"]
    if len(failed):
        sys.exit(f"{len(failed)} new rows failed, e.g. {failed[['task', 'method', 'seed']].head(3).to_dict('records')}")
    unknown = new[~new["run_id"].isin(base["run_id"])]
    if len(unknown) and add:
        base = pd.concat([base, unknown], ignore_index=True)
        print(f"{len(unknown)} new cells appended")
    elif len(unknown):
        sys.exit(f"{len(unknown)} new rows are cells the baseline lacks, e.g. "
                 f"{unknown[['task', 'method', 'fraction', 'seed']].head(3).to_dict('records')}")
    by_id = new.set_index("run_id")
    replaced = base["run_id"].isin(by_id.index)
    merged = base.copy()
    for column in (c for c in new.columns if c != "run_id"):
        if column not in merged:
            merged[column] = None
        merged.loc[replaced, column] = merged.loc[replaced, "run_id"].map(by_id[column]).to_numpy()
    write_export(merged, baseline_path, "json")
    print(f"{baseline_path}: {int(replaced.sum())} of {len(base)} rows replaced by rows made under the policy; "
          f"{int((~replaced).sum())} kept as they were")


if __name__ == "__main__":
    argv = sys.argv[1:]
    drop = tuple(argv[i + 1] for i, a in enumerate(argv) if a == "--drop")
    args = [a for i, a in enumerate(argv) if a not in ("--add", "--drop") and (i == 0 or argv[i - 1] != "--drop")]
    main(*args[:2], add="--add" in argv, drop=drop)
