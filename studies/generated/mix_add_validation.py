"""Summary of studies/generated/mix_add_validation.sh: per task, each way of mixing the scarce vae's samples in,
judged on the validation split over the seeds (paired by seed with `none` and with the default, the replace share
validation chose earlier), with the cells' median training and total seconds.

    .venv/bin/python studies/generated/mix_add_validation.py results/tuning/mix-add-validation.sqlite
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from augbench.reporting.stats import mean_interval, paired_test  # noqa: E402
from augbench.results.store import Store  # noqa: E402
from augbench.runner.sweep import method_params  # noqa: E402
from augbench.tasks import TASKS  # noqa: E402


def variant(row: dict) -> str:
    if row["method"] == "none":
        return "none"
    params = json.loads(row["method_params"])
    mix = params.get("mix", "replace")
    return (f"vae ({params.get('data', 'scarce')}), {mix} {params['ratio']:g}"
            + (f", filter {params['filter_tau']:g}" if params.get("filter_tau") else ""))


def points(pair) -> str:
    return f"{100 * pair.diff.mean:+.2f} [{100 * pair.diff.low:+.2f}, {100 * pair.diff.high:+.2f}], p = {pair.p:.2f}"


def main(store: str) -> None:
    with Store(store) as opened:
        rows = [r for r in opened.records() if r["status"] == "ok"]
    commits = sorted({r["git_commit"][:7] for r in rows})
    print("# Adding generated samples beside the real batch against replacing a share (issue 36, point 4)\n")
    print(f"Made by `studies/generated/mix_add_validation.sh` (commit {', '.join(commits)}; the 2-core VM, the execution "
          "policy). The `vae` fitted on the cell's own examples (scarce) and on the whole labelled train split (pool: "
          "one generator per task, fitted once), quick profile, the smaller quick size, "
          "seeds 0-2; every number is validation accuracy, paired by seed. `replace r`: a share r of each batch's "
          "positions becomes synthetic (the suite's way; `(default)` marks the share and filter validation chose "
          "earlier for the regime, which the other lines keep). `add r`: the real batch stays and synthetic samples join it, a share r of the larger batch "
          "(r = 0.7 is Gowal et al. 2021's 70%); the step count is the same, so each step sees 1 / (1 - r) times the "
          "examples.\n")
    for task in sorted({r["task"] for r in rows}):
        cells = [r for r in rows if r["task"] == task]
        groups: dict[str, dict[int, dict]] = {}
        for r in cells:
            groups.setdefault(variant(r), {})[r["seed"]] = r
        none = groups.pop("none")
        defaults = {}  # per regime, what a run without other --params takes: the share and filter validation chose
        for data in ("scarce", "pool"):
            chosen = method_params("vae", "quick", TASKS.get(task)(), {"vae": {"data": data}})
            defaults[data] = variant({"method": "vae", "method_params": json.dumps(dataclasses.asdict(chosen))})
        n = next(iter(none.values()))["n_train"]
        print(f"## {task}, {n} training examples\n")
        print("| arm | val acc % | vs `none` (pts) | vs the default (pts) | median train s | median total s |")
        print("|---|---|---|---|---|---|")
        base = mean_interval([r["val_acc"] for r in none.values()])
        print(f"| none | {100 * base.mean:.2f} ± {100 * (base.high - base.mean):.2f} | | | "
              f"{statistics.median(r['train_s'] for r in none.values()):.1f} | "
              f"{statistics.median(r['total_s'] for r in none.values()):.1f} |")
        for name in sorted(groups, key=lambda k: ("(pool)" in k, k not in defaults.values(), k)):
            default = defaults["pool" if "(pool)" in name else "scarce"]
            seeds = sorted(set(groups[name]) & set(none))
            acc = mean_interval([groups[name][s]["val_acc"] for s in seeds])
            vs_none = paired_test([groups[name][s]["val_acc"] for s in seeds], [none[s]["val_acc"] for s in seeds])
            shared = sorted(set(groups[name]) & set(groups.get(default, {})))
            vs_default = "" if name == default or not shared else points(paired_test(
                [groups[name][s]["val_acc"] for s in shared], [groups[default][s]["val_acc"] for s in shared]))
            print(f"| {name}{' (default)' if name == default else ''} | {100 * acc.mean:.2f} ± {100 * (acc.high - acc.mean):.2f} "
                  f"| {points(vs_none)} | {vs_default} | {statistics.median(groups[name][s]['train_s'] for s in seeds):.1f} "
                  f"| {statistics.median(groups[name][s]['total_s'] for s in seeds):.1f} |")
        print()


if __name__ == "__main__":
    main(*sys.argv[1:])
