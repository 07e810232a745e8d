"""Summary of wong_on_collapse.sh: per seed and per answer of the guard, the validation accuracy (clean and
PGD-5, the guard's final look at the kept weights, on 512 fixed validation images), and the mean over the
seeds per candidate. Where a candidate was not rerun on a seed (its guard never tripped under `stop`), the
seed's `stop` row stands for it: the option only acts when the guard trips (tests/test_guard.py).
Run from the repo root: .venv/bin/python studies/tuning/wong_on_collapse_summary.py [STORE]
"""

from __future__ import annotations

import json
import sqlite3
import sys
from statistics import mean


def main(store: str = "results/tuning/wong-on-collapse.sqlite") -> None:
    rows = sqlite3.connect(store).execute("select seed, method_params, guard_json, clean_acc, pgd_acc, total_s from runs "
                                          "where status = 'ok'").fetchall()
    by = {}
    for seed, params, guard, clean, pgd, seconds in rows:
        params = json.loads(params)
        name = ("shrink_step x" + str(params["shrink_factor"])) if params.get("on_collapse") == "shrink_step" else "stop"
        by[(name, seed)] = (json.loads(guard), clean, pgd, seconds)
    seeds = sorted({seed for _, seed in by})
    names = ["stop"] + sorted({name for name, _ in by if name != "stop"})
    print("validation accuracy of the kept weights (clean / PGD-5 on 512 fixed validation images); guard trips\n")
    print("| seed | " + " | ".join(names) + " |")
    print("|---:|" + "---|" * len(names))
    means = {name: [] for name in names}
    for seed in seeds:
        cells = []
        for name in names:
            guard, *_ = by.get((name, seed), by[("stop", seed)])
            rerun = (name, seed) in by
            trips = "; ".join(f"epoch {e['epoch']}: {100 * e['kept_val_pgd']:.1f}% -> {100 * e['val_pgd']:.1f}%, "
                              f"kept {e['kept_epoch']}" + (f", step {e['alpha']:.3g}" if "alpha" in e else ", stopped")
                              for e in guard["events"])
            cells.append(f"{100 * guard['final_val_clean']:.1f}% / **{100 * guard['final_val_pgd']:.1f}%**"
                         + (f" ({trips})" if trips else "") + ("" if rerun else " (= stop)"))
            means[name].append(guard["final_val_pgd"])
        print(f"| {seed} | " + " | ".join(cells) + " |")
    print("| mean PGD-5 | " + " | ".join(f"{100 * mean(v):.1f}%" for v in means.values()) + " |")


if __name__ == "__main__":
    main(*sys.argv[1:])
