"""Summary of fsdd-strengths.sh: per method and candidate strength, FSDD validation accuracy at 300 recordings
over seeds 0-2, the pick (best mean validation accuracy), and only then the picks' test accuracy.
Run from the repo root: .venv/bin/python studies/tuning/fsdd-strengths-summary.py [STORE]
"""

from __future__ import annotations

import json
import sqlite3
import sys
from statistics import mean, stdev

# The defaults before this tuning (issue 24): candidates are named by how they differ from them.
BEFORE = {
    "waveaug": {"views": 8, "speed": 0.1, "gain_db": 6.0, "noise": True, "snr_db_low": 10.0, "snr_db_high": 30.0,
                "shift_ms": 100.0, "specaugment": True},
    "cutmix": {"alpha": 1.0, "prob": 1.0},
    "cutout": {"size": 14, "fill": "train_mean"},
}


def label(method: str, params: dict) -> str:
    changed = [f"{k}={json.dumps(v)}" for k, v in sorted(params.items()) if BEFORE[method].get(k) != v]
    return ", ".join(changed) or "before (the old default)"


def pct(values: list[float]) -> str:
    return " / ".join(f"{100 * v:.1f}" for v in values)


def main(store: str = "results/tuning/fsdd-strengths.sqlite") -> None:
    rows = sqlite3.connect(store).execute(
        "select method, method_params, seed, val_acc, clean_acc from runs "
        "where status = 'ok' and task = 'fsdd' and fraction = 0.5").fetchall()
    val, test = {}, {}
    for method, params, seed, val_acc, clean_acc in rows:
        key = (method, params)
        val.setdefault(key, {})[seed] = val_acc
        test.setdefault(key, {})[seed] = clean_acc
    seeds = sorted({seed for _, _, seed, _, _ in rows})
    (none_key,) = [k for k in val if k[0] == "none"]
    none_val = [val[none_key][s] for s in seeds]
    print(f"FSDD, 300 recordings, seeds {seeds}: validation accuracy % (300 validation recordings)\n")
    print(f"`none`: {pct(none_val)}, mean {100 * mean(none_val):.2f}, SD {100 * stdev(none_val):.2f}\n")
    picks = {}
    for method in BEFORE:
        cands = sorted((k for k in val if k[0] == method and sorted(val[k]) == seeds),
                       key=lambda k: -mean(val[k].values()))
        print(f"| `{method}` candidate | val per seed | mean | SD | min-max | paired gain over `none` |")
        print("|---|---|---:|---:|---:|---:|")
        for k in cands:
            v = [val[k][s] for s in seeds]
            gain = mean(a - b for a, b in zip(v, none_val))
            print(f"| {label(method, json.loads(k[1]))} | {pct(v)} | {100 * mean(v):.2f} | {100 * stdev(v):.2f} | "
                  f"{100 * min(v):.1f}-{100 * max(v):.1f} | {100 * gain:+.2f} |")
        best, second = cands[0], cands[1]
        diffs = [val[best][s] - val[second][s] for s in seeds]
        print(f"\npick: {label(method, json.loads(best[1]))}; ahead of {label(method, json.loads(second[1]))} by "
              f"{100 * mean(diffs):+.2f} points (per seed {', '.join(f'{100 * d:+.1f}' for d in diffs)}; "
              f"the pick's SD over seeds {100 * stdev(val[best].values()):.2f})\n")
        picks[method] = best
    print("After the picks, for information: test accuracy % (clean_acc), per seed and mean")
    for key in [none_key, *picks.values()]:
        t = [test[key][s] for s in seeds]
        name = key[0] if key[0] == "none" else f"{key[0]} ({label(key[0], json.loads(key[1]))})"
        print(f"- {name}: {pct(t)}, mean {100 * mean(t):.2f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
