"""Summary of fsdd_retune.sh: per method and candidate, FSDD validation accuracy at 150 recordings (16-band maps)
over seeds 0-2 and the pick, by the rules of the studies it repeats: the best mean validation accuracy for the
strengths (fsdd-strengths.md); for the vae's share and filter, per regime, the best mean when its paired gain over
the default (ratio 0.5, no filter) exceeds one standard error, else the default (augbench/methods/vae.py, SHARE_FILTER).
Test accuracy is not read. Run from the repo root:
.venv/bin/python studies/tuning/fsdd_retune_summary.py [STORE] > results/tuning/fsdd-retune.md
"""

from __future__ import annotations

import json
import sqlite3
import sys
from statistics import mean, stdev

KEYS = {"waveaug": ("noise", "specaugment", "snr_db_low"), "cutmix": ("prob", "alpha"), "cutout": ("size",),
        "vae": ("data", "ratio", "filter_tau")}


# Keys a row leaves out at their defaults (augbench/methods/generative.py, LATER_DEFAULTS), filled back in for the labels.
IMPLIED = {"vae": {"data": "scarce", "filter_tau": 0.0}}


def label(method: str, params: dict) -> str:
    params = {**IMPLIED.get(method, {}), **params}
    return ", ".join(f"{k}={json.dumps(params.get(k))}" for k in KEYS.get(method, ())) or "-"


def main(store: str = "results/tuning/fsdd-retune.sqlite") -> None:
    rows = sqlite3.connect(store).execute(
        "select method, method_params, seed, val_acc, gen_filter_kept from runs "
        "where status = 'ok' and task = 'fsdd' and fraction = 0.5").fetchall()
    val: dict[tuple[str, str], dict[int, float]] = {}
    kept: dict[tuple[str, str], list[float]] = {}
    for method, params, seed, val_acc, kept_share in rows:
        val.setdefault((method, label(method, json.loads(params))), {})[seed] = val_acc
        if kept_share is not None:
            kept.setdefault((method, label(method, json.loads(params))), []).append(kept_share)
    seeds = sorted({row[2] for row in rows})
    none = [val[("none", "-")][s] for s in seeds]
    print("# FSDD's tuned settings re-chosen on the 16-band maps (issue 33, 2026-12-07)\n")
    print("`studies/tuning/fsdd_retune.sh`: the quick profile, 150 recordings (the smaller quick size), seeds "
          f"{', '.join(map(str, seeds))}, the execution policy; rows: `results/tuning/fsdd-retune.sqlite`. Validation "
          "accuracy over the 300 validation recordings (one is 0.33 points); the test split is not read here.\n")
    print(f"`none`: {' / '.join(f'{100 * v:.1f}' for v in none)}, mean {100 * mean(none):.2f}; "
          f"`classic`: mean {100 * mean(val[('classic', '-')][s] for s in seeds):.2f}\n")
    for method in ("waveaug", "cutmix", "cutout", "vae"):
        groups = [("data=\"scarce\"",), ("data=\"pool\"",)] if method == "vae" else [("",)]
        for (prefix,) in groups:
            cands = sorted((k for k in val if k[0] == method and prefix in k[1] and sorted(val[k]) == seeds),
                           key=lambda k: -mean(val[k].values()))
            if not cands:
                continue
            print(f"| `{method}` candidate | val % per seed | mean | SD | paired gain over `none` | kept by the filter |")
            print("|---|---|---:|---:|---:|---:|")
            for k in cands:
                v = [val[k][s] for s in seeds]
                gain = mean(a - b for a, b in zip(v, none))
                share = f"{100 * mean(kept[k]):.1f}%" if k in kept else ""
                print(f"| {k[1]} | {' / '.join(f'{100 * x:.1f}' for x in v)} | {100 * mean(v):.2f} | "
                      f"{100 * stdev(v):.2f} | {100 * gain:+.2f} | {share} |")
            best = cands[0]
            if method == "vae":
                default = next(k for k in cands if "ratio=0.5" in k[1] and "filter_tau=0.0" in k[1])
                diffs = [val[best][s] - val[default][s] for s in seeds]
                se = stdev(diffs) / len(diffs) ** 0.5 if len(diffs) > 1 else 0.0
                pick = best if best != default and mean(diffs) > se else default
                print(f"\npick ({prefix}): {pick[1]} (best {best[1]}: {100 * mean(diffs):+.2f} ± {100 * se:.2f} "
                      "points over the default, paired)\n")
            else:
                print(f"\npick: {best[1]}\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
