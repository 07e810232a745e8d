"""The table of studies/generated/unlabelled_quick.sh: the `unlabelled` vae's confidence threshold on validation,
then the pick beside `none`, self-training on the same unlabelled pool, and the scarce and pool generators, paired
by seed on test accuracy (the threshold is chosen before the test column is read).

    .venv/bin/python studies/generated/unlabelled_quick.py STORE > results/generated/unlabelled-quick.md
"""

from __future__ import annotations

import json
import sys

sys.path.insert(0, ".")

import pandas as pd  # noqa: E402

from augbench.reporting.exchange import generator_regime  # noqa: E402
from augbench.results.export import read_rows  # noqa: E402

sys.path.insert(0, "studies/generated")
from self_training_quick import arm_line  # noqa: E402

BASELINE = "results/baselines/quick-cpu.json"
SELF_TRAINING = "results/generated/self-training-quick.sqlite"
GENERATORS = ["gan", "wgan_gp", "vae"]


def tau(params: str) -> float:
    return float(json.loads(params).get("filter_tau", 0.0))


def main(store: str) -> None:
    rows = read_rows(store)
    rows = rows[rows["status"] == "ok"]
    seeds = sorted(rows["seed"].unique())
    base = read_rows(BASELINE)
    base = base[(base["status"] == "ok") & base["seed"].isin(seeds)]
    selfish = read_rows(SELF_TRAINING)
    selfish = selfish[selfish["status"] == "ok"]
    print("# Generated data from the unlabelled pool: the `unlabelled` regime beside self-training (issue 36, point 1)\n")
    print("Made by `studies/generated/unlabelled_quick.sh` (the 2-core VM, the execution policy; commits "
          f"{', '.join(sorted({c[:8] for c in rows['git_commit']}))}): the `vae` (and on CIFAR-10 the `wgan_gp`) fitted on the task's train split outside validation with its "
          "labels withheld, its samples labelled by a teacher trained on the cell's own labels (augbench/methods/generative.py, "
          f"`data=unlabelled`), seeds {', '.join(map(str, seeds))}, the quick profile's smaller image sizes.\n")
    print("## The confidence threshold, on validation\n")
    print("| task | n_train | generator | filter_tau | val % per seed | mean | bank kept | |")
    print("|---|---|---|---|---|---|---|---|")
    picks = {}
    for (task, method), cells in rows.groupby(["task", "method"], sort=True):
        means = {threshold: at["val_acc"].mean() for threshold, at in cells.groupby(cells["method_params"].map(tau))}
        picks[(task, method)] = max(means, key=means.get)
        for threshold, at in cells.groupby(cells["method_params"].map(tau)):
            at = at.sort_values("seed")
            kept = at["gen_filter_kept"].mean()
            print(f"| {task} | {int(at['n_train'].iloc[0]):,} | {method} | {threshold:g} | "
                  f"{' / '.join(f'{100 * v:.1f}' for v in at['val_acc'])} | {100 * means[threshold]:.2f} | "
                  f"{'all' if pd.isna(kept) else f'{100 * kept:.0f}%'} | "
                  f"{'pick' if threshold == picks[(task, method)] else ''} |")
    print("\n## Test accuracy, the pick beside the other uses of the same data\n")
    print("Gain: clean accuracy minus `none`'s on the same seed, mean and 95% t-interval (unadjusted: a first "
          "measurement, no verdict). `none`, the scarce and the pool generators are the committed baseline's rows of "
          "the same cells and seeds; `self_training` is results/generated/self-training-quick.md's. Seconds: mean total "
          "per cell (an unlabelled or pool cell's generator fit is counted in every cell, as the leaderboard counts it).\n")
    print("| task | n_train | arm | what it consumed | clean % | gain vs none (pts) | p | s per cell |")
    print("|---|---|---|---|---|---|---|---|")
    for task, cells in rows.groupby("task", sort=True):
        fraction, n_train = cells["fraction"].iloc[0], int(cells["n_train"].iloc[0])
        same = lambda frame: frame[(frame["task"] == task) & (frame["fraction"] == fraction)
                                   & (frame["train_config"] == cells["train_config"].iloc[0])
                                   & (frame["task_params"] == cells["task_params"].iloc[0])]
        table = same(base)
        none = table[table["method"] == "none"].set_index("seed")["clean_acc"]
        lines = [("none", f"{n_train} labels", table[table["method"] == "none"])]
        for method, arm in cells.groupby("method", sort=True):
            chosen = picks[(task, method)]
            lines.append((f"{method} (unlabelled), tau {chosen:g}", f"{n_train} labels + the pool's inputs",
                          arm[arm["method_params"].map(tau) == chosen]))
        lines.append(("self_training", f"{n_train} labels + the pool's inputs", same(selfish)))
        for method in GENERATORS:
            arm = table[table["method"] == method]
            regime = arm["method_params"].map(generator_regime)
            lines.append((f"{method} (pool)", "the pool's inputs and labels", arm[regime == "pool"]))
            lines.append((f"{method} (scarce)", f"{n_train} labels", arm[regime == "scarce"]))
        for name, consumed, arm in lines:
            if arm.empty:
                continue
            hit = arm["gen_cache_hit"].fillna(0).astype(bool)
            seconds = arm["total_s"] + arm["gen_fit_s"].fillna(0).where(hit, 0)
            print(arm_line(task, n_train, name, consumed, arm, none, seconds.mean()))


if __name__ == "__main__":
    main(sys.argv[1])
