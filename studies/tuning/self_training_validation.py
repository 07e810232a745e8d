"""The table of studies/tuning/self_training_validation.sh: self_training's validation accuracy per (keep, share)
and task, mean and 95% t-interval over 3 seeds, beside `none`'s on the same seeds (the committed baseline), and
the candidate validation picks (the highest mean; test accuracy is not read).

    .venv/bin/python studies/tuning/self_training_validation.py STORE > results/tuning/self-training-validation.md
"""

from __future__ import annotations

import json
import sys

sys.path.insert(0, ".")

from augbench.reporting.stats import mean_interval  # noqa: E402
from augbench.results.export import read_rows  # noqa: E402

BASELINE = "results/baselines/quick-cpu.json"


def main(store: str) -> None:
    rows = read_rows(store)
    rows = rows[rows["status"] == "ok"].copy()
    params = rows["method_params"].map(json.loads)
    rows["keep"], rows["share"] = params.map(lambda p: p["keep"]), params.map(lambda p: p["share"])
    base = read_rows(BASELINE)
    print("# self_training's keep and share on the validation split (issue 36, point 2)\n")
    print("Made by `studies/tuning/self_training_validation.sh` (the 2-core VM, the execution policy; commit "
          f"{rows['git_commit'].iloc[0][:8]}). Validation accuracy (the task's held-out validation split; test accuracy "
          "is not read), mean ± 95% t half-width over seeds 0-2, at MNIST 600 and CIFAR-10 500. `none`: the committed "
          "baseline's rows of the same cells.\n")
    print("| task | keep | share | val acc % | vs none (pts) |")
    print("|---|---|---|---|---|")
    picks = {}
    for task, cells in rows.groupby("task", sort=True):
        none = base[(base["task"] == task) & (base["method"] == "none") & (base["fraction"] == cells["fraction"].iloc[0])
                    & (base["train_config"] == cells["train_config"].iloc[0]) & base["seed"].isin(cells["seed"].unique())]
        none_val = none.set_index("seed")["val_acc"]
        interval = mean_interval(none_val.astype(float))
        print(f"| {task} | – | – (`none`) | {100 * interval.mean:.2f} ± {50 * (interval.high - interval.low):.2f} | – |")
        best = None
        for (keep, share), group in cells.groupby(["keep", "share"], sort=True):
            values = group.set_index("seed")["val_acc"].astype(float)
            iv = mean_interval(values)
            diff = (values - none_val.reindex(values.index)).mean()
            print(f"| {task} | {keep:g} | {share:g} | {100 * iv.mean:.2f} ± {50 * (iv.high - iv.low):.2f} | {100 * diff:+.2f} |")
            if best is None or iv.mean > best[0]:
                best = (iv.mean, keep, share)
        picks[task] = best
    print("\nHighest mean validation accuracy: " + "; ".join(
        f"{task} keep {keep:g}, share {share:g} ({100 * acc:.2f}%)" for task, (acc, keep, share) in picks.items()) + ".")


if __name__ == "__main__":
    main(sys.argv[1])
