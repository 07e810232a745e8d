"""The table of studies/robustness/pgd_strongest_quick.sh: per cell, PGD's last iterate (the committed baseline's
row of the same cell), its strongest iterate and AutoAttack on the same model, and the seconds they added.

    .venv/bin/python studies/robustness/pgd_strongest_quick.py STORE > results/robustness/pgd-strongest-quick.md
"""

from __future__ import annotations

import sys

sys.path.insert(0, ".")

from studies.robustness.baseline_pairs import pair_with_baseline  # noqa: E402

SAME = ["clean_acc", "fgsm_acc", "corruption_acc", "val_acc"]


def main(store: str) -> None:
    merged, moved, failed = pair_with_baseline(store, SAME)
    rows = merged
    print("# PGD's strongest iterate beside its last one and AutoAttack, on the quick profile's image cells (issue 34, point 3)\n")
    print("Made by `studies/robustness/pgd_strongest_quick.sh` (the 2-core VM, the execution policy; commit "
          f"{rows['git_commit'].iloc[0][:8]}). Each cell is the committed baseline's seed-0 cell rerun with "
          "`--param robust.pgd_iterate=strongest --param robust.autoattack=fast`: the same PGD-10 walk from the same "
          "random start on the same 500 test examples, reporting per example its strongest iterate instead of its "
          "last, then APGD-CE and APGD-T. "
          + ("Clean, FGSM, corruption and validation accuracy equal the baseline's in every cell."
             if not moved else f"MOVED against the baseline: {moved}.")
          + (f" Failed cells: {', '.join(failed['task'] + '/' + failed['method'])}." if len(failed) else "") + "\n")
    print("| task | n | method | clean % | PGD last % (baseline) | PGD strongest % | AutoAttack % | worst case % | "
          "last - strongest (pts) | strongest - AA (pts) | seconds added |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in merged.sort_values(["task", "n_train", "method"]).itertuples():
        print(f"| {r.task} | {int(r.n_train):,} | {r.method} | {100 * r.clean_acc:.1f} | {100 * r.pgd_acc_base:.1f} | "
              f"{100 * r.pgd_acc:.1f} | {100 * r.aa_acc:.1f} | {100 * r.robust_acc:.1f} | "
              f"{100 * (r.pgd_acc_base - r.pgd_acc):+.1f} | {100 * (r.pgd_acc - r.aa_acc):+.1f} | "
              f"{r.eval_s - r.eval_s_base:.1f} |")
    gap = merged.assign(gap=merged["pgd_acc_base"] - merged["pgd_acc"]).sort_values("gap").iloc[-1]
    print(f"\nLargest overstatement by the last iterate: {gap['task']} {gap['method']} at {int(gap['n_train']):,}, "
          f"{100 * gap['gap']:.1f} points (last {100 * gap['pgd_acc_base']:.1f}%, strongest {100 * gap['pgd_acc']:.1f}%).")


if __name__ == "__main__":
    main(sys.argv[1])
