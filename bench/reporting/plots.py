"""Plots of the leaderboard (PNG and SVG): accuracy vs cost with the Pareto front, clean vs PGD accuracy,
data-efficiency curves and corruption accuracy, one file per (task, data variant, profile).

Figures are made with matplotlib's object API and the Agg canvas, never pyplot, so drawing needs no
display and leaves no global state behind. A plot whose metric no row has is skipped, not drawn empty.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bench.results.metrics import METRICS
from bench.reporting.leaderboard import summarize

KINDS = ("cost", "robustness", "efficiency", "corruptions")  # file prefixes this module owns
PANEL = ["profile", "task", "data_variant"]


def pareto_front(cost: np.ndarray, accuracy: np.ndarray) -> np.ndarray:
    """Indices of the points no other point beats on both cost (lower) and accuracy (higher), by cost."""
    order = np.lexsort((-accuracy, cost))
    front, best = [], -np.inf
    for i in order:
        if accuracy[i] > best:
            front.append(i)
            best = accuracy[i]
    return np.asarray(front, dtype=int)


def _figure() -> tuple[Figure, object]:
    figure = Figure(figsize=(6.4, 4.4), layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _percent(summary: pd.DataFrame, metric: str, part: str) -> np.ndarray:
    return summary[f"{metric}_{part}"].to_numpy(dtype=float) * METRICS[metric].scale


def _errors(summary: pd.DataFrame, metric: str) -> np.ndarray | None:
    mean, low, high = (_percent(summary, metric, p) for p in ("mean", "low", "high"))
    if np.isnan(low).all():
        return None
    return np.nan_to_num(np.vstack([mean - low, high - mean]))


def _point_labels(panel: pd.DataFrame) -> list[str]:
    several = panel["fraction"].nunique() > 1
    return [f"{r.label} (f={r.fraction:g})" if several else r.label for r in panel.itertuples()]


def _cost(panel: pd.DataFrame, title: str) -> Figure | None:
    panel = panel.dropna(subset=["clean_acc_mean", "total_s_mean"]) if "total_s_mean" in panel else panel.iloc[0:0]
    if panel.empty:
        return None
    figure, ax = _figure()
    cost, acc = panel["total_s_mean"].to_numpy(dtype=float), _percent(panel, "clean_acc", "mean")
    ax.errorbar(cost, acc, yerr=_errors(panel, "clean_acc"), fmt="o", color="tab:blue", capsize=3, label="method (95% CI)")
    front = pareto_front(cost, acc)
    ax.step(cost[front], acc[front], where="post", color="tab:red", linewidth=1.2)
    ax.scatter(cost[front], acc[front], s=140, facecolors="none", edgecolors="tab:red", label="Pareto front")
    for x, y, text in zip(cost, acc, _point_labels(panel)):
        ax.annotate(text, (x, y), textcoords="offset points", xytext=(5, 5), fontsize=8)
    if cost.min() > 0 and cost.max() / cost.min() > 10:
        ax.set_xscale("log")
    ax.set(xlabel=f"{METRICS['total_s'].label} per run (generator fit included)", ylabel=METRICS["clean_acc"].label,
           title=f"Accuracy vs cost: {title}")
    ax.legend(fontsize=8)
    return figure


def _robustness(panel: pd.DataFrame, title: str) -> Figure | None:
    if "pgd_acc_mean" not in panel or panel["pgd_acc_mean"].isna().all():
        return None
    panel = panel.dropna(subset=["pgd_acc_mean"])
    figure, ax = _figure()
    clean, pgd = _percent(panel, "clean_acc", "mean"), _percent(panel, "pgd_acc", "mean")
    ax.errorbar(clean, pgd, xerr=_errors(panel, "clean_acc"), yerr=_errors(panel, "pgd_acc"), fmt="o", capsize=3)
    for x, y, text in zip(clean, pgd, _point_labels(panel)):
        ax.annotate(text, (x, y), textcoords="offset points", xytext=(5, 5), fontsize=8)
    ax.set(xlabel=METRICS["clean_acc"].label, ylabel=METRICS["pgd_acc"].label, title=f"Clean vs PGD accuracy: {title}")
    return figure


def _efficiency(panel: pd.DataFrame, title: str) -> Figure | None:
    if panel["fraction"].nunique() < 2:
        return None
    figure, ax = _figure()
    for label, line in panel.sort_values("fraction").groupby("label", sort=True):
        x = line["fraction"].to_numpy(dtype=float)
        drawn = ax.plot(x, _percent(line, "clean_acc", "mean"), marker="o", label=label)[0]
        low, high = _percent(line, "clean_acc", "low"), _percent(line, "clean_acc", "high")
        if not np.isnan(low).all():
            # A t-interval over two or three seeds can reach past 0-100%; accuracy cannot.
            ax.fill_between(x, np.clip(low, 0, 100), np.clip(high, 0, 100), color=drawn.get_color(), alpha=0.2,
                            linewidth=0)
    fractions = sorted(panel["fraction"].unique())
    ax.set_xscale("log")
    ax.set_xticks(fractions, labels=[f"{f:g}" for f in fractions])
    ax.minorticks_off()
    ax.set(xlabel="train fraction", ylabel=METRICS["clean_acc"].label,
           title=f"Data efficiency (bands: 95% CI): {title}")
    ax.legend(fontsize=8)
    return figure


def _corruptions(panel: pd.DataFrame, title: str) -> Figure | None:
    if "corruption_acc_mean" not in panel or panel["corruption_acc_mean"].isna().all():
        return None
    # The full-data fraction is the one a reader compares methods on; smaller ones are in the efficiency plot.
    panel = panel[panel["fraction"] == panel["fraction"].max()].dropna(subset=["corruption_acc_mean"]).sort_values("label")
    figure, ax = _figure()
    ax.bar(panel["label"], _percent(panel, "corruption_acc", "mean"), yerr=_errors(panel, "corruption_acc"),
           capsize=4, color="tab:purple")
    ax.set(ylabel=METRICS["corruption_acc"].label,
           title=f"Corruption accuracy (fraction {panel['fraction'].iloc[0]:g}): {title}")
    ax.tick_params(axis="x", labelrotation=30)
    return figure


DRAWERS: dict[str, Callable[[pd.DataFrame, str], Figure | None]] = {
    "cost": _cost, "robustness": _robustness, "efficiency": _efficiency, "corruptions": _corruptions,
}


def write_plots(rows: pd.DataFrame, plots_dir: str | Path) -> list[Path]:
    """Draw every plot the rows support into `plots_dir` as PNG and SVG; returns the PNG paths.

    Plots of earlier reports are removed first, so the folder never shows a stale plot; other files
    there (the generator sample grids) are left alone.
    """
    plots_dir = Path(plots_dir)
    plots_dir.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        for old in list(plots_dir.glob(f"{kind}-*.png")) + list(plots_dir.glob(f"{kind}-*.svg")):
            old.unlink()
    summary = summarize(rows)
    written: list[Path] = []
    if summary.empty:
        return written
    for (profile, task, variant), panel in summary.groupby(PANEL, sort=True):
        if panel["setting"].nunique() > 1:
            # Two settings of the same task in one panel: keep their points apart by a setting hash.
            short = panel["setting"].map(lambda s: hashlib.sha256(s.encode()).hexdigest()[:6])
            panel = panel.assign(label=panel["label"] + " [" + short + "]")
        title = f"{task} ({variant}), {profile}"
        for kind, draw in DRAWERS.items():
            figure = draw(panel, title)
            if figure is None:
                continue
            stem = plots_dir / f"{kind}-{task}-{variant}-{profile}"
            figure.savefig(stem.with_suffix(".png"), dpi=110)
            figure.savefig(stem.with_suffix(".svg"))
            written.append(stem.with_suffix(".png"))
    return written
