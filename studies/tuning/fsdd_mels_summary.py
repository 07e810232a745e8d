"""Summary of fsdd_mels.sh: FSDD validation accuracy, generator CAS and cell time per band count (16 against 32 mel
bands), seeds 0-2, with the paired difference per seed. Test accuracy is printed only beside the pick, after it.
Run from the repo root: .venv/bin/python studies/tuning/fsdd_mels_summary.py [STORE] > results/tuning/fsdd-mels.md
"""

from __future__ import annotations

import json
import sqlite3
import sys
from statistics import mean, stdev


def main(store: str = "results/tuning/fsdd-mels.sqlite") -> None:
    rows = sqlite3.connect(store).execute(
        "select method, task_params, n_train, seed, val_acc, clean_acc, cas, total_s, gen_fit_s, train_s, eval_s "
        "from runs where status = 'ok' and task = 'fsdd'").fetchall()
    cells: dict[tuple[str, int, int], dict[int, tuple]] = {}
    for method, task_params, n, seed, val, clean, cas, total, fit, train, evaluate in rows:
        mels = json.loads(task_params).get("mels", 32)
        cells.setdefault((method, n, mels), {})[seed] = (val, clean, cas, total)
    print("# FSDD's mel band count, chosen on validation (issue 33, 2026-12-07)\n")
    print("`studies/tuning/fsdd_mels.sh` (quick profile, the execution policy: one thread per cell, two cells at once, "
          "the 2-core VM of the AVX-512 kind with the pinned AVX2 kernels); rows: `results/tuning/fsdd-mels.sqlite`. "
          "The earlier pool of 600 recordings is held fixed (`train.train_pool=600`), so both band counts see the same "
          "recordings at each size. Validation: the 300 validation recordings (one is 0.33 points). Time: the cell's "
          "wall time with the other worker busy.\n")
    print("| method | recordings | bands | val % per seed | mean | SD | 16 - 32, paired (per seed) | CAS % mean | cell s mean |")
    print("|---|---:|---:|---|---:|---:|---|---:|---:|")
    for method, n, mels in sorted(cells, key=lambda k: (k[0] not in ("none", "classic"), k[0], k[1], k[2])):
        by_seed = cells[(method, n, mels)]
        seeds = sorted(by_seed)
        vals = [by_seed[s][0] for s in seeds]
        paired = ""
        other = cells.get((method, n, 32))
        if mels == 16 and other and sorted(other) == seeds:
            diffs = [by_seed[s][0] - other[s][0] for s in seeds]
            paired = f"{100 * mean(diffs):+.2f} ({', '.join(f'{100 * d:+.1f}' for d in diffs)})"
        cas = [by_seed[s][2] for s in seeds if by_seed[s][2] is not None]
        print(f"| {method} | {n} | {mels} | {' / '.join(f'{100 * v:.1f}' for v in vals)} | {100 * mean(vals):.2f} | "
              f"{100 * stdev(vals):.2f} | {paired} | {f'{100 * mean(cas):.1f}' if cas else ''} | "
              f"{mean(by_seed[s][3] for s in seeds):.1f} |")


if __name__ == "__main__":
    main(*sys.argv[1:])
