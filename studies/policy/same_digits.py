"""Compare two exports cell by cell (matched by run_id): every number metric, the per-corruption accuracies and the
validation curve, to the last digit. Usage: python same_digits.py A.json B.json"""

import json
import sys

NUMBERS = ["clean_acc", "fgsm_acc", "pgd_acc", "corruption_acc", "fid", "cas", "val_acc", "gen_filter_kept"]


def main(a_path: str, b_path: str) -> None:
    a = {r["run_id"]: r for r in json.load(open(a_path))}
    b = {r["run_id"]: r for r in json.load(open(b_path))}
    same = 0
    for run_id in sorted(set(a) & set(b)):
        ra, rb = a[run_id], b[run_id]
        diffs = [f"{m} {ra.get(m)} vs {rb.get(m)}" for m in NUMBERS if ra.get(m) != rb.get(m)]
        diffs += [f for f in ("corruption_json", "val_curve") if ra.get(f) != rb.get(f)]
        same += not diffs
        print(f"{ra['task']}/{ra['method']} s{ra['seed']} f{ra['fraction']}: {'IDENTICAL' if not diffs else 'DIFF ' + '; '.join(diffs)}")
    print(f"{same}/{len(set(a) & set(b))} identical; only in A: {len(set(a) - set(b))}, only in B: {len(set(b) - set(a))}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
