"""What AutoAttack changed in the committed baseline (issue 34, point 8): per image task, method and size, PGD-10's
accuracy (its strongest iterate), the worst case per example over FGSM, PGD and AutoAttack's APGD-CE and APGD-T
(`robust_acc`), the gap between them, and the benchmark corruption accuracy, mean over the seeds; then, for the rows
made again, which metrics that training decides stayed identical to the rows they replaced. Run from the repository
root of a git checkout, naming the commit whose baseline the regeneration replaced (4bc204b for 2026-12-08's):

    .venv/bin/python studies/robustness/baseline_worst_case.py 4bc204b > results/robustness/baseline-worst-case.md
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

import pandas as pd

sys.path.insert(0, ".")
from augbench.reporting.exchange import generator_regime  # noqa: E402
from augbench.reporting.reference_check import _same  # noqa: E402
from augbench.results.export import read_rows  # noqa: E402

BASELINE = "results/baselines/quick-cpu.json"
KEY = ["task", "method", "fraction", "seed", "method_params", "task_params", "train_config"]
TRAINING = ["clean_acc", "val_acc", "fgsm_acc", "fid", "cas", "gen_filter_kept", "val_curve"]


def pct(x: float) -> str:
    return "–" if pd.isna(x) else f"{100 * x:.1f}"


def main(old_commit: str) -> None:
    rows = read_rows(BASELINE)
    rows = rows[(rows["status"] == "ok") & rows["task"].isin(["mnist", "cifar10"]) & rows["robust_acc"].notna()]
    config = json.loads(rows["eval_config"].iloc[0])
    print("# The image rows of the baseline under AutoAttack (issue 34)\n")
    print(f"Made by `studies/robustness/baseline_worst_case.py` from [`{BASELINE}`](../baselines/quick-cpu.json): its "
          f"{len(rows)} image rows that carry the worst case. Each row attacks {config['samples']} fixed test examples: FGSM, "
          f"PGD-{config['pgd_steps']} with {config['restarts']} random start ({config['pgd_iterate']} iterate), then AutoAttack "
          f"`{config['autoattack']}` (APGD-CE and APGD-T, 100 iterations, 9 targets) on the examples FGSM and PGD left "
          f"(`aa_examples={config['aa_examples']}`); `worst case` counts an example only if it is correct clean and survives every "
          "attack. Corruptions: MNIST-C's 15 / CIFAR-10-C's 15 at severities 1-5. Mean over seeds (the core grid has 5, "
          "the other methods 3); the generated-data grid's rows are in the table too, named by their regime.\n")
    regime = rows["method_params"].map(generator_regime)
    rows = rows.assign(arm=rows["method"] + regime.map(lambda r: f" ({r})" if isinstance(r, str) and r != "scarce" else ""),
                       extra=rows["train_config"].map(lambda t: json.loads(t).get("extra_real", 0.0)))
    rows = rows[rows["extra"] == 0]
    print("| task | n | method | seeds | clean % | PGD % | worst case % | PGD - worst case (pts) | corruptions % |")
    print("|---|---|---|---|---|---|---|---|---|")
    grouped = rows.groupby(["task", "n_train", "arm"]).agg(
        seeds=("seed", "nunique"), clean=("clean_acc", "mean"), pgd=("pgd_acc", "mean"), worst=("robust_acc", "mean"),
        corruption=("corruption_acc", "mean")).reset_index()
    grouped["gap"] = grouped["pgd"] - grouped["worst"]
    for r in grouped.sort_values(["task", "n_train", "gap"], ascending=[True, True, False]).itertuples():
        print(f"| {r.task} | {r.n_train:,} | {r.arm} | {r.seeds} | {pct(r.clean)} | {pct(r.pgd)} | {pct(r.worst)} | "
              f"{100 * r.gap:+.1f} | {pct(r.corruption)} |")
    top = grouped.sort_values("gap", ascending=False).head(3)
    print("\nLargest gaps: " + "; ".join(f"{r.task} {r.arm} at {r.n_train:,} ({100 * r.gap:+.1f} points)" for r in top.itertuples())
          + ". Every model without adversarial training is at or near 0 under both.\n")

    with tempfile.NamedTemporaryFile(suffix=".json") as old_file:
        old_file.write(subprocess.run(["git", "show", f"{old_commit}:{BASELINE}"], check=True, capture_output=True).stdout)
        old_file.flush()
        old = read_rows(old_file.name)
    merged = read_rows(BASELINE).merge(old, on=KEY, suffixes=("", "_old"))
    remade = merged[merged["eval_config"] != merged["eval_config_old"]]
    moved = {m: sum(not _same(a, b) for a, b in zip(remade[m], remade[f"{m}_old"])) for m in TRAINING + ["pgd_acc"]}
    pgd_move = (remade["pgd_acc"] - remade["pgd_acc_old"]).abs().max()
    print(f"Against the rows they replaced (the baseline at {old_commit}): {len(remade)} rows made again; the metrics training decides "
          f"({', '.join(TRAINING)}) differ in {sum(moved[m] for m in TRAINING)} of them, so the same models were "
          f"judged; PGD's strongest iterate moved `pgd_acc` in {moved['pgd_acc']} rows, by at most {100 * pgd_move:.1f} points.")


if __name__ == "__main__":
    main(*sys.argv[1:])
