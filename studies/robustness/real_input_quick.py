"""Text and audio robustness on real inputs beside the feature-space numbers they replace (issue 37), from the
committed quick baseline: per task, size and method, clean accuracy, feature-space PGD (smoothness) and the attack
on the sentence or the waveform (`robust_acc`), each the mean and 95% t-interval over the seeds; and, per task,
`none`'s accuracy under each corruption of the raw input.

    .venv/bin/python studies/robustness/real_input_quick.py results/robustness/real-input-quick.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, ".")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from augbench.reporting.exchange import is_curve_row, regime_named  # noqa: E402
from augbench.reporting.stats import mean_interval  # noqa: E402
from augbench.results.export import read_rows  # noqa: E402

BASELINE = "results/baselines/quick-cpu.json"
ATTACK = {"sst2": "word substitutions (PWWS, <= 20% of words)", "trec": "word substitutions (PWWS, <= 20% of words)",
          "fsdd": "PGD on the waveform (peak -40 dB)"}


def cell(values: pd.Series) -> str:
    interval = mean_interval(values.dropna().to_numpy(float))
    if np.isnan(interval.mean):
        return "–"
    return f"{100 * interval.mean:.1f}" + ("" if np.isnan(interval.low) else f" ± {100 * (interval.high - interval.low) / 2:.1f}")


def main(output: str) -> None:
    rows = read_rows(BASELINE)
    rows = rows[(rows["status"] == "ok") & rows["task"].isin(list(ATTACK)) & ~is_curve_row(rows)]
    rows = rows.assign(method=regime_named(rows))
    commits = sorted(set(rows["git_commit"].dropna().str[:8]))
    lines = ["# Text and audio robustness on real inputs, quick profile (issue 37)", "",
             f"Made by `studies/robustness/real_input_quick.py` from `{BASELINE}` (rows of commits {', '.join(commits)}). "
             "Mean ± 95% t-interval half-width over the seeds, in percent, on the same 500 (text) or 300 (audio) test "
             "examples as every attack. `feature PGD`: L-inf 0.1 in standardized feature units, a smoothness measure; "
             "`real-input`: the row's `robust_acc`.", ""]
    for task, attack in ATTACK.items():
        at = rows[rows["task"] == task]
        lines += [f"## {task}: {attack}", "", "| n | method | seeds | clean % | feature PGD % | real-input % |", "|---|---|---|---|---|---|"]
        for (n, method), cells in at.groupby(["n_train", "method"]):
            lines.append(f"| {int(n)} | {method} | {cells['seed'].nunique()} | {cell(cells['clean_acc'])} | "
                         f"{cell(cells['pgd_acc'])} | {cell(cells['robust_acc'])} |")
        none = at[(at["method"] == "none") & (at["n_train"] == at["n_train"].min())]
        per = pd.DataFrame([json.loads(text) for text in none["corruption_json"]])
        lines += ["", f"`none` at n = {int(none['n_train'].min())} under each corruption of the raw input ({len(none)} seeds):", "",
                  "| corruption | accuracy % |", "|---|---|"]
        lines += [f"| {name} | {cell(per[name])} |" for name in per.columns]
        lines.append("")
    Path(output).write_text("\n".join(lines))
    print(f"wrote {output}")


if __name__ == "__main__":
    main(sys.argv[1])
