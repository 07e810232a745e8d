"""Merge issue 24's measured rows into the committed quick baseline (results/baselines/quick-cpu.json).

- The 18 FSDD rows of `waveaug`, `cutmix` and `cutout` at their strengths chosen on validation
  (results/tuning/fsdd-strengths-baseline.sqlite) replace the rows of the old strengths, whose cells the
  quick profile no longer plans.
- Every ok row of results/generated/*.sqlite (pool-regime generators, compositions, the exchange-rate curve,
  the share/filter candidates) is added; a row already in the baseline (same run_id) is kept as it was.

Run from the repository root: .venv/bin/python results/generated/merge_baseline.py [--fsdd-only]
(the baseline is read and rewritten: run it once, on the baseline of the commit before issue 24's rows).
"""

from __future__ import annotations

import glob
import sqlite3
import sys

import pandas as pd

sys.path.insert(0, ".")
from bench.results.export import read_rows, write_export  # noqa: E402

BASELINE = "results/baselines/quick-cpu.json"
FSDD_STRENGTHS = "results/tuning/fsdd-strengths-baseline.sqlite"
RETUNED = ("waveaug", "cutmix", "cutout")


def rows_of(path: str) -> pd.DataFrame:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        return read_rows_from(pd.read_sql("select * from runs", con))


def read_rows_from(frame: pd.DataFrame) -> pd.DataFrame:
    """Store rows in the export's types (round-tripped through a temporary JSON export)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.json"
        write_export(frame, path, "json")
        return read_rows(path)


def main() -> None:
    base = read_rows(BASELINE)
    fsdd = rows_of(FSDD_STRENGTHS)
    old = (base["task"] == "fsdd") & base["method"].isin(RETUNED)
    assert old.sum() == len(fsdd) == 18, (old.sum(), len(fsdd))
    merged = pd.concat([base[~old], fsdd], ignore_index=True)
    added = 0
    for path in [] if "--fsdd-only" in sys.argv else sorted(glob.glob("results/generated/*.sqlite")):
        new = rows_of(path)
        new = new[(new["status"] == "ok") & ~new["run_id"].isin(merged["run_id"])]
        merged = pd.concat([merged, new], ignore_index=True)
        added += len(new)
    write_export(merged, BASELINE, "json")
    print(f"{BASELINE}: {len(base)} rows -> {len(merged)} ({int(old.sum())} FSDD rows replaced, {added} added)")


if __name__ == "__main__":
    main()
