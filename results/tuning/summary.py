"""Tabulate the quick-profile tuning runs (results/tuning/quick.sqlite): validation accuracy per candidate.

Run from the repo root: `.venv/bin/python results/tuning/summary.py > results/tuning/quick-validation.md`.
The pick per task is the candidate with the best mean validation accuracy of `none` and `classic` among
those where both converged (else among all); the test split plays no part (its accuracy is not even printed).
"""

from __future__ import annotations

import json
import sys

import pandas as pd
from tabulate import tabulate

from bench.results.export import read_rows


def main(path: str = "results/tuning/quick.sqlite") -> None:
    rows = read_rows(path)
    rows = rows[rows["status"] == "ok"].copy()
    config = rows["train_config"].map(json.loads)
    rows["epochs"] = config.map(lambda c: c["epochs"])
    rows["lr"] = config.map(lambda c: c["lr"])
    rows["batch"] = config.map(lambda c: c["batch_size"])
    print("# Quick profile: candidates tried on the validation split\n")
    print("Each candidate trains `none` and `classic` at the task's smallest quick size (seed 0); the pick is the best")
    print("mean validation accuracy of the two among the candidates where both converged (else among all).")
    print("`converged`: validation accuracy over the last quarter of the epochs")
    print("moved < 1 point. Seconds: training time on the 2-core development VM, one torch thread, with another job")
    print("on the other core.\n")
    for task, group in rows.groupby("task"):
        table = group.pivot_table(index=["epochs", "lr", "batch"], columns="method", values="val_acc", aggfunc="mean") * 100
        table["mean"] = table.mean(axis=1)
        done = group.groupby(["epochs", "lr", "batch"])["converged"].apply(lambda s: int(s.fillna(False).astype(bool).sum()))
        runs = group.groupby(["epochs", "lr", "batch"])["converged"].size()
        conv = done.astype(str) + "/" + runs.astype(str)
        secs = group.groupby(["epochs", "lr", "batch"])["train_s"].mean()
        table = table.join(conv.rename("converged")).join(secs.rename("train s"))
        converged = table["mean"][(done == runs) & (runs >= 2)]
        best = (converged if len(converged) else table["mean"]).idxmax()
        table["pick"] = ["<-" if index == best else "" for index in table.index]
        n_train = int(group["n_train"].iloc[0])
        print(f"## {task} (n_train={n_train})\n")
        print(tabulate(table.reset_index(), headers="keys", tablefmt="github", floatfmt=".2f", showindex=False))
        print()


if __name__ == "__main__":
    main(*sys.argv[1:])
