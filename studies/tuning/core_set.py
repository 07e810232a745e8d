"""Which cheap recipes join `make bench`'s core set: their validation gain over `none`, and their cost.

Run from the repo root: `.venv/bin/python studies/tuning/core_set.py STORE > results/tuning/core-set.md`.
For every method outside the seeds' set (none, classic, gan, wgan_gp, vae, adversarial), per task and
training-set size: the mean paired gain in *validation* accuracy over `none` (same seed, same subset; the
test split plays no part, its accuracy is not even read) and the mean seconds per cell. The pick is the
recipe with the largest mean validation gain over the image tasks' smallest sizes, where the question is
asked (docs/quick-profile.md).
"""

from __future__ import annotations

import sys

import pandas as pd
from tabulate import tabulate

from augbench.results.export import read_rows

SEEDS_METHODS = ("none", "classic", "gan", "wgan_gp", "vae", "adversarial")
IMAGE_TASKS = ("cifar10", "mnist")


def main(path: str) -> None:
    rows = read_rows(path)
    rows = rows[(rows["status"] == "ok") & (rows["profile"] == "quick")]
    val = rows.pivot_table(index=["task", "n_train", "seed"], columns="method", values="val_acc")
    cost = rows.groupby(["task", "method"])["total_s"].mean()
    table, smallest = [], {}
    for (task, n_train), block in val.groupby(level=["task", "n_train"]):
        for method in block.columns:
            if method in SEEDS_METHODS or block[method].isna().all():
                continue
            gain = (block[method] - block["none"]).dropna()
            table.append([task, int(n_train), method, len(gain), f"{100 * gain.mean():+.2f}",
                          f"{100 * gain.std(ddof=1):.2f}" if len(gain) > 1 else "", f"{cost[(task, method)]:.1f}"])
            if task in IMAGE_TASKS and n_train == val.loc[task].index.get_level_values("n_train").min():
                smallest.setdefault(method, []).append(gain.mean())
    print("# Validation gain over `none` of the methods outside the seeds' set (quick profile)\n")
    print(f"Source: `{path}`. Gain: validation accuracy minus `none`'s, paired by seed, in points; sd over seeds.\n")
    print(tabulate(table, headers=["task", "n_train", "method", "seeds", "val gain", "sd", "s/cell"],
                   tablefmt="github", disable_numparse=True))
    ranked = sorted(((sum(g) / len(g), m, len(g)) for m, g in smallest.items()), reverse=True)
    print("\nMean validation gain at the smallest size of the image tasks (" + ", ".join(IMAGE_TASKS) + "):\n")
    for gain, method, n in ranked:
        print(f"- {method}: {100 * gain:+.2f} pts ({n} task{'s' * (n > 1)})")


if __name__ == "__main__":
    main(*sys.argv[1:])
