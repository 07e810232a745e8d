"""Where a sweep's time went: seconds per method and task, split into generator fit, training and evaluation."""

from __future__ import annotations

import pandas as pd
from tabulate import tabulate

PHASES = ["gen_fit_s", "train_s", "eval_s"]


def render_costs(rows: pd.DataFrame, wall_s: float | None = None) -> str:
    """Markdown: per (method, task) the ok cells' summed phase seconds, shares of the total, and the rest
    of each cell's total (data loading, model set-up, the throughput timing); then the wall time, if given."""
    ok = rows[rows["status"] == "ok"] if len(rows) else rows
    lines = ["# Where the time went", ""]
    if ok.empty:
        return "\n".join(lines + ["No ok rows in the store.", ""])
    frame = ok[["method", "task", "total_s", *PHASES]].fillna(0.0)
    frame.loc[_cache_hits(ok), "gen_fit_s"] = 0.0
    frame = frame.assign(other_s=frame["total_s"] - frame[PHASES].sum(axis=1), cells=1)
    by = frame.groupby(["method", "task"], sort=True)[["cells", "total_s", *PHASES, "other_s"]].sum().reset_index()
    by = by.sort_values("total_s", ascending=False)
    grand = float(frame["total_s"].sum())
    body = [[r.method, r.task, int(r.cells), _s(r.total_s), f"{100 * r.total_s / grand:.1f}%", _s(r.gen_fit_s),
             _s(r.train_s), _s(r.eval_s), _s(r.other_s), _s(r.total_s / r.cells)] for r in by.itertuples()]
    methods = frame.groupby("method")[["cells", "total_s", *PHASES, "other_s"]].sum().sort_values("total_s", ascending=False)
    body += [[f"**{m}**", "all", int(r.cells), _s(r.total_s), f"{100 * r.total_s / grand:.1f}%", _s(r.gen_fit_s),
              _s(r.train_s), _s(r.eval_s), _s(r.other_s), _s(r.total_s / r.cells)] for m, r in methods.iterrows()]
    headers = ["method", "task", "cells", "total s", "share", "generator fit s", "training s", "evaluation s",
               "other s", "s per cell"]
    lines += [tabulate(body, headers=headers, tablefmt="github", disable_numparse=True), ""]
    totals = {p: float(frame[p].sum()) for p in PHASES}
    lines.append(f"Sum over {len(frame)} ok cells: {_s(grand)} s (generator fit {_s(totals['gen_fit_s'])} s, training "
                 f"{_s(totals['train_s'])} s, evaluation {_s(totals['eval_s'])} s). Evaluation includes robustness "
                 "(FGSM, PGD, corruptions, sanity checks) and FID/CAS for generators; a cell that loaded its generator "
                 "from the cache (gen_cache_hit) spent no fit time, so none is counted (its row keeps the original fit's).")
    failed = int((rows["status"] != "ok").sum()) if len(rows) else 0
    if failed:
        lines.append(f"{failed} failed cells are not counted.")
    if wall_s is not None:
        lines.append(f"Wall time of the sweep: {_s(wall_s)} s ({wall_s / 60:.1f} min); the cells' sum is "
                     f"{100 * grand / wall_s:.0f}% of it (above 100% when cells ran in parallel; the rest of a serial "
                     "sweep is start-up, planning, data decoding and the reference classifiers of FID/CAS).")
    return "\n".join(lines) + "\n"


def _cache_hits(rows: pd.DataFrame) -> pd.Series:
    """Rows whose generator came from the cache: their gen_fit_s is the original fit's, not time this sweep spent."""
    if "gen_cache_hit" not in rows:  # an export or store from before the column existed
        return pd.Series(False, index=rows.index)
    return rows["gen_cache_hit"].map(lambda v: v is not None and not pd.isna(v) and bool(v)).astype(bool)


def _s(seconds: float) -> str:
    return f"{seconds:,.1f}"
