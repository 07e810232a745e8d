"""Every number of the CI cells rerun elsewhere (spread.sh) against results/ci/reference.json: per metric the
largest move (points for accuracies, a share of the reference for FID), per run and over both. Run from the
repository root: .venv/bin/python studies/ci/spread.py RUNS [RUNS ...] (stores or exports)"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, ".")
from augbench.results.export import read_rows  # noqa: E402
from augbench.results.metrics import METRICS, NUMBER_METRICS  # noqa: E402

reference = read_rows("results/ci/reference.json").set_index("run_id")
table = {}
for path in sys.argv[1:]:
    rerun = read_rows(path).set_index("run_id").loc[reference.index]
    moves = {}
    for name in NUMBER_METRICS:
        old, new = reference[name].astype(float), rerun[name].astype(float)
        metric = METRICS[name]
        move = (new - old).abs() * metric.scale if metric.tolerance_kind == "points" else (new - old).abs() / old.abs()
        moves[name] = move.max()
    name = Path(path).parent.name if Path(path).suffix == ".sqlite" else Path(path).stem
    table[f"{name} ({rerun['device_name'].iloc[0]})"] = moves
frame = pd.DataFrame(table)
frame["largest"] = frame.max(axis=1)
print(frame.round(4).to_markdown())
