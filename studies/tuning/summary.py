"""Tabulate the quick-profile tuning runs: validation accuracy per candidate.

Run from the repo root: `.venv/bin/python studies/tuning/summary.py results/tuning/quick.sqlite
results/tuning/round2.sqlite > results/tuning/quick-validation.md` (round 1: epochs, lr and batch; round 2:
CIFAR-10's width and FSDD's learning rate, after the first baseline's cells were not converged).
The pick per task is the candidate with the best mean validation accuracy of `none` and `classic` among
those where both converged (else among all); the test split plays no part (its accuracy is not even printed).
"""

from __future__ import annotations

import json
import sys

import pandas as pd
from tabulate import tabulate

from augbench.results.export import read_rows
from augbench.runner.sweep import converged as is_converged
from augbench.tasks import TASKS

KEY = ["width", "epochs", "lr", "batch"]


def main(*paths: str) -> None:
    rows = pd.concat([read_rows(path) for path in paths or ("results/tuning/quick.sqlite",)], ignore_index=True)
    rows = rows[rows["status"] == "ok"].copy()
    config = rows["train_config"].map(json.loads)
    rows["width"] = config.map(lambda c: c["width"])
    rows["epochs"] = config.map(lambda c: c["epochs"])
    rows["lr"] = config.map(lambda c: c["lr"])
    rows["batch"] = config.map(lambda c: c["batch_size"])
    rows["converged"] = rows["val_curve"].map(lambda curve: is_converged(json.loads(curve)))  # today's criterion
    print("# Quick profile: candidates tried on the validation split\n")
    print("Each candidate trains `none` and `classic` at one quick size (seed 0); the pick is the best")
    print("mean validation accuracy of the two among the candidates where both converged (else among all): column")
    print("`best`. Column `quick` marks the quick profile's setting; where it is not `best`, its task file says why")
    print("(the 15-minute budget of `make bench`).")
    print("`converged` (recomputed from the stored curves with today's rule, `augbench.runner.sweep.converged`): the")
    print("least-squares line through the last quarter of the validation curve moves < 1 point. Seconds: training")
    print("time on the 2-core development VM (round 1: one torch thread, another job on the other core; round 2:")
    print("two threads, idle). A task tuned at two sizes has a table per size.")
    print("Round 3 (FSDD, looking for a cheaper setting for the 15-minute budget): seeds 0 and 1 of width 8 and of")
    print("batch 64, with other jobs on the CPU (their seconds are not comparable; accuracies are): width 8, and")
    print("batch 64 at 30 epochs, scored 8-16 points below the quick setting; batch 64 needs 40+ epochs to match it,")
    print("which costs as much. The quick setting stays. Values are means over the seeds stored.\n")
    for (task, n_train), group in rows.groupby(["task", "n_train"]):
        table = group.pivot_table(index=KEY, columns="method", values="val_acc", aggfunc="mean") * 100
        table["mean"] = table.mean(axis=1)
        done = group.groupby(KEY)["converged"].apply(lambda s: int(s.fillna(False).astype(bool).sum()))
        runs = group.groupby(KEY)["converged"].size()
        conv = done.astype(str) + "/" + runs.astype(str)
        secs = group.groupby(KEY)["train_s"].mean()
        table = table.join(conv.rename("converged")).join(secs.rename("train s"))
        converged = table["mean"][(done == runs) & (runs >= 2)]
        best = (converged if len(converged) else table["mean"]).idxmax()
        table["best"] = ["<-" if index == best else "" for index in table.index]
        chosen = TASKS.get(task)().train_config("quick")
        pick = (chosen.width, chosen.epochs, chosen.lr, chosen.batch_size)
        table["quick"] = ["<-" if tuple(index) == pick else "" for index in table.index]
        print(f"## {task} (n_train={int(n_train)})\n")
        print(tabulate(table.reset_index(), headers="keys", tablefmt="github", floatfmt=".2f", showindex=False))
        print()


if __name__ == "__main__":
    main(*sys.argv[1:])
