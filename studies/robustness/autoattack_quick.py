"""The table of studies/robustness/autoattack_quick.sh: per cell, PGD and AutoAttack accuracy of the same model,
the worst case over both, and the seconds AutoAttack added (the cell's eval_s against the committed baseline's
row of the same cell, whose training and other metrics are identical: the script checks that they are).

    .venv/bin/python studies/robustness/autoattack_quick.py STORE > results/robustness/autoattack-quick.md
"""

from __future__ import annotations

import json
import sys

sys.path.insert(0, ".")

from studies.robustness.baseline_pairs import pair_with_baseline  # noqa: E402

SAME = ["clean_acc", "fgsm_acc", "pgd_acc", "corruption_acc", "val_acc"]


def main(store: str) -> None:
    merged, moved, _ = pair_with_baseline(store, SAME)
    rows = merged
    print("# AutoAttack beside PGD on the quick profile's image cells (issue 34)\n")
    print("Made by `studies/robustness/autoattack_quick.sh` (this VM, 2 cores, the execution policy; "
          f"commit {rows['git_commit'].iloc[0][:8]}). Each cell is the committed baseline's seed-0 cell rerun with "
          "`--param robust.autoattack=fast` (APGD-CE and APGD-T with 9 targets, 100 iterations each, on the same "
          "500 test examples as PGD-10 with one start). "
          + ("Clean, FGSM, PGD, corruption and validation accuracy equal the baseline's in every cell, so both "
             "attacks judge the same models." if not moved else f"MOVED against the baseline: {moved}.") + "\n")
    print("| task | n | method | clean % | PGD-10 % | AutoAttack % | worst case % | PGD - AA (pts) | broken by APGD-CE / APGD-T | AA seconds (eval_s - baseline's) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in merged.sort_values(["task", "n_train", "method"]).itertuples():
        broken = json.loads(r.aa_json)["broken_by"]
        print(f"| {r.task} | {int(r.n_train):,} | {r.method} | {100 * r.clean_acc:.1f} | {100 * r.pgd_acc:.1f} | "
              f"{100 * r.aa_acc:.1f} | {100 * r.robust_acc:.1f} | {100 * (r.pgd_acc - r.aa_acc):+.1f} | "
              f"{broken['apgd-ce']} / {broken['apgd-t']} | {r.eval_s - r.eval_s_base:.1f} |")
    gap = merged.assign(gap=merged["pgd_acc"] - merged["aa_acc"]).sort_values("gap").iloc[-1]
    print(f"\nLargest gap: {gap['task']} {gap['method']} at {int(gap['n_train']):,}, "
          f"{100 * gap['gap']:.1f} points (PGD {100 * gap['pgd_acc']:.1f}%, AutoAttack {100 * gap['aa_acc']:.1f}%).")


if __name__ == "__main__":
    main(sys.argv[1])
