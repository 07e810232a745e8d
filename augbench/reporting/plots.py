"""Plots of the leaderboard (PNG and SVG): data efficiency (accuracy vs training-set size), validation
learning curves, accuracy vs cost with the Pareto front, clean vs PGD accuracy and corruption accuracy.

Figures are made with matplotlib's object API and the Agg canvas, never pyplot, so drawing needs no
display and leaves no global state behind. A plot whose metric no row has is skipped, not drawn empty.
Each method keeps one colour and marker in every plot (`method_style`). Nothing is written beside a
point: names and training-set sizes are in legends outside the axes, so no two labels can collide.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator

from augbench.config.registry import natural_key
from augbench.results.metrics import METRICS
from augbench.reporting.exchange import POOL_SUFFIX, Worth, exchange_rates, is_curve_row
from augbench.reporting.leaderboard import (BASELINE, NOT_CONVERGED, STOPPED_EARLY, TABLE, column_label, diagnostics,
                                         summarize, with_labels)
from augbench.methods import METHODS

# File prefixes this module owns, in report order: data efficiency is the headline of a data-scarce grid.
KINDS = ("efficiency", "learning", "cost", "robustness", "eps", "corruptions", "exchange", "quality")
CAPTIONS = {
    "efficiency": "Data efficiency: clean test accuracy vs number of training examples (bands: 95% CI over seeds)",
    "learning": "Learning curves: validation accuracy after each epoch (bands: min-max over seeds)",
    "cost": "Accuracy vs cost, with the Pareto front",
    "robustness": "Clean vs robust accuracy (text: word substitutions; audio: waveform PGD; images: PGD) (dashed: y = x, "
                  "the most an attacked accuracy can be)",
    "eps": "Accuracy against the attack radius (APGD-CE at 0 to 2x the task's eps): a curve that does not fall to 0 "
           "flags gradient masking",
    "corruptions": "Corruption accuracy, best first (hatched and dashed line: the none baseline)",
    "exchange": "Exchange rate: none trained on n_train + k real examples (curve) against each generator's accuracy (lines)",
    "quality": "Generator quality (CAS, FID) against the gain its samples buy over none",
}
PANEL = ["profile", "task", "data_variant"]
# tab10; with 7 markers a (colour, marker) pair repeats only after 70 methods.
COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X"]
LINESTYLES = ["-", "--", ":", "-."]  # several settings of one method in one plot
BAND_ALPHA = 0.08  # six overlapping bands at 0.15 read as one grey smear
FEW_SEEDS = 3  # a 95% t-interval over fewer seeds is shown but marked: with 2 seeds it is 12.7 std / sqrt 2 wide
FEW_HATCH = "////"  # bands over fewer than FEW_SEEDS seeds
FEW_LINESTYLE = "--"  # error bars over fewer than FEW_SEEDS seeds
REFERENCE = "#444444"  # reference lines: y = x, the none baseline, the Pareto front


def method_style(method: str) -> tuple[str, str]:
    """The (colour, marker) of a method in every plot.

    Registered methods are numbered in the registry's sorted order, so a method's style does not depend
    on which methods a store happens to hold; an unregistered name (a method since removed) gets a slot
    after them from a hash of its name.
    """
    names = METHODS.list()
    if method in names:
        index = names.index(method)
    else:
        index = len(names) + int(hashlib.sha256(method.encode()).hexdigest()[:8], 16) % (len(COLOURS) * len(MARKERS))
    return COLOURS[index % len(COLOURS)], MARKERS[index % len(MARKERS)]


def _styles(lines: pd.DataFrame) -> dict[str, dict]:
    """Plot keyword arguments per label: the method's colour and marker, a line style per setting of it."""
    styles = {}
    for method, group in lines.groupby("method", sort=True):
        colour, marker = method_style(method)
        for i, label in enumerate(sorted(group["label"].unique())):
            styles[label] = dict(color=colour, marker=marker, linestyle=LINESTYLES[i % len(LINESTYLES)])
    return styles


def pareto_front(cost: np.ndarray, accuracy: np.ndarray) -> np.ndarray:
    """Indices of the points no other point beats on both cost (lower) and accuracy (higher), by cost."""
    order = np.lexsort((-accuracy, cost))
    front, best = [], -np.inf
    for i in order:
        if accuracy[i] > best:
            front.append(i)
            best = accuracy[i]
    return np.asarray(front, dtype=int)


def _figure(height: float = 4.4) -> tuple[Figure, object]:
    # Wide enough for a legend to the right of the axes, where it never covers a line.
    figure = Figure(figsize=(7.6, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _legend(figure: Figure, ax: object, title: str | None = None, sizes: list | None = None) -> None:
    """The methods' legend right of the axes (top), and under it the training-set sizes' marker key."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        figure.legend(handles, labels, loc="outside right upper", fontsize=8, title=title, title_fontsize=8,
                      alignment="left")
    if sizes:
        figure.legend(handles=sizes, loc="outside right lower", fontsize=8, title="training examples",
                      title_fontsize=8, alignment="left")


def seed_note(seeds: object, interval: str | None = "wide interval", nothing: str = "no interval") -> str:
    """What a legend entry or bar label adds when its interval rests on fewer than FEW_SEEDS seeds:
    " (2 seeds: wide interval)", " (1 seed: no interval)"; "" otherwise.

    Args:
        seeds: the seed counts of the entry's points; the fewest counts.
        interval: what 2 seeds make of the interval (None: say nothing about it).
        nothing: what one seed leaves.
    """
    counts = np.asarray(seeds, dtype=float).ravel()
    counts = counts[~np.isnan(counts)]
    fewest = int(counts.min()) if counts.size else FEW_SEEDS
    if fewest >= FEW_SEEDS:
        return ""
    if fewest <= 1:
        return f" (1 seed: {nothing})"
    return f" ({fewest} seeds: {interval})" if interval else f" ({fewest} seeds)"


def _percent(summary: pd.DataFrame, metric: str, part: str) -> np.ndarray:
    return summary[f"{metric}_{part}"].to_numpy(dtype=float) * METRICS[metric].scale


def _band(ax: object, x: np.ndarray, low: np.ndarray, high: np.ndarray, colour: str, few: bool = False) -> bool:
    """A shaded interval in percent (intervals over few seeds can reach past 0-100%, accuracy cannot),
    hatched when `few` (it rests on fewer than FEW_SEEDS seeds); whether there was one to draw."""
    keep = ~(np.isnan(low) | np.isnan(high))
    if keep.any():
        ax.fill_between(x[keep], np.clip(low[keep], 0, 100), np.clip(high[keep], 0, 100), color=colour,
                        alpha=BAND_ALPHA, linewidth=0)
        if few:
            ax.fill_between(x[keep], np.clip(low[keep], 0, 100), np.clip(high[keep], 0, 100), facecolor="none",
                            edgecolor=colour, hatch=FEW_HATCH, alpha=2 * BAND_ALPHA, linewidth=0)
    return bool(keep.any())


def _errors(summary: pd.DataFrame, metric: str) -> np.ndarray | None:
    mean, low, high = (_percent(summary, metric, p) for p in ("mean", "low", "high"))
    if np.isnan(low).all():
        return None
    # NaN where a line has no interval (one seed): matplotlib then draws no bar there, not a zero-length cap.
    return np.vstack([mean - np.clip(low, 0, 100), np.clip(high, 0, 100) - mean])


def _size(n_train: object, fraction: float) -> str:
    return f"f={fraction:g}" if pd.isna(n_train) else f"n={int(n_train)}"


def _marker_size(rank: int, top: int) -> float:
    """Marker size of the `rank`-th smallest of `top + 1` training-set sizes: 5 to 8 points."""
    return 5.0 + 3.0 * rank / top if top else 6.5


def _interval_title(head: str, panel: pd.DataFrame, few: str) -> str:
    """A legend title: `head`, plus how an interval over fewer than FEW_SEEDS seeds is drawn (`few`)
    when the panel has one (2 seeds; one seed has no interval at all)."""
    return f"{head}\n({few}: < {FEW_SEEDS} seeds)" if panel["seeds"].between(2, FEW_SEEDS - 1).any() else head


def _dash_few(container: object, few: np.ndarray) -> None:
    """Dash the error bars (of an errorbar container) whose interval rests on fewer than FEW_SEEDS seeds."""
    if few.any():
        for bars in container.lines[2]:  # one LineCollection per direction, a segment per point
            bars.set_linestyles([FEW_LINESTYLE if f else "-" for f in few])


def _points(ax: object, panel: pd.DataFrame, x: np.ndarray, y: np.ndarray, xerr: np.ndarray | None,
            yerr: np.ndarray | None) -> list:
    """One error-bar point per summary line in its method's style and a legend entry per label (the
    largest size's point carries it); returns the size key's handles when the panel has several sizes.

    Sizes are told apart by the marker, not by text beside the point (which collides with other labels):
    larger markers for larger training sets, open below the largest size, filled at it, joined by a thin
    line per label in the order of size. Error bars over fewer than FEW_SEEDS seeds are dashed.
    """
    styles = _styles(panel)
    labels = panel["label"].to_numpy()
    seeds = panel["seeds"].to_numpy(dtype=float)
    fractions = sorted(panel["fraction"].unique())
    rank = panel["fraction"].map({f: i for i, f in enumerate(fractions)}).to_numpy()
    top = len(fractions) - 1
    for label in sorted(set(labels)):
        at = np.flatnonzero(labels == label)
        at = at[np.argsort(rank[at], kind="stable")]
        style = styles[label]
        if top and len(at) > 1:
            ax.plot(x[at], y[at], color=style["color"], linestyle=style["linestyle"], linewidth=0.8, alpha=0.5,
                    zorder=1.5)
        note = seed_note(seeds[at])
        for i in at:
            one = slice(i, i + 1)
            bars = ax.errorbar(x[one], y[one], xerr=None if xerr is None else xerr[:, one],
                               yerr=None if yerr is None else yerr[:, one], fmt=style["marker"], color=style["color"],
                               markersize=_marker_size(rank[i], top), markeredgewidth=1.3, capsize=3, zorder=2,
                               markerfacecolor=style["color"] if rank[i] == top else "white",
                               label=f"{label}{note}" if i == at[-1] else "_nolegend_")
            _dash_few(bars, seeds[one] < FEW_SEEDS)
    if not top:
        return []
    first = panel.drop_duplicates("fraction").set_index("fraction")["n_train"]
    return [Line2D([], [], color=REFERENCE, marker="o", linestyle="none", markersize=_marker_size(r, top),
                   markerfacecolor=REFERENCE if r == top else "white", markeredgewidth=1.3, label=_size(first[f], f))
            for r, f in enumerate(fractions)]


def _efficiency(panel: pd.DataFrame, title: str) -> Figure | None:
    panel = panel.dropna(subset=["n_train", "clean_acc_mean"])
    sizes = sorted({int(n) for n in panel["n_train"]})
    if len(sizes) < 2:
        return None
    figure, ax = _figure()
    styles = _styles(panel)
    banded = False
    for label, line in panel.sort_values("n_train").groupby("label", sort=True):
        x = line["n_train"].to_numpy(dtype=float)
        style = styles[label]
        note = seed_note(line["seeds"])
        ax.plot(x, _percent(line, "clean_acc", "mean"), label=f"{label}{note}", markersize=6, **style)
        banded |= _band(ax, x, _percent(line, "clean_acc", "low"), _percent(line, "clean_acc", "high"), style["color"],
                        few=bool(note))
    if sizes[-1] / sizes[0] > 4:
        ax.set_xscale("log")
    ax.set_xticks(sizes, labels=[str(n) for n in sizes])
    ax.minorticks_off()
    ax.grid(alpha=0.3)
    ax.set(xlabel="training examples (n_train)", ylabel=METRICS["clean_acc"].label, title=f"Data efficiency\n{title}")
    _legend(figure, ax, _interval_title("method (band: 95% CI)", panel, "hatched") if banded else "method")
    return figure


def _curve(text: object) -> np.ndarray | None:
    """A stored val_curve (JSON list of accuracies per epoch, null where not measured) as an array with NaN
    for those; None when absent or unreadable."""
    if not isinstance(text, str):
        return None
    try:
        values = np.asarray(json.loads(text), dtype=float)
    except (ValueError, TypeError):
        return None
    return values if values.ndim == 1 and values.size else None


def _learning(table: pd.DataFrame, title: str) -> Figure | None:
    """Validation accuracy vs epoch for one table's ok rows: per label the mean over the seeds still
    training at that epoch (a seed stopped early ends sooner; an x marks the epoch whose weights it
    kept), with the seeds' min-max band where 2+ seeds are. None when no row has 2+ epochs."""
    if "val_curve" not in table:
        return None
    runs = {label: [(c, seed_stop) for c, seed_stop in zip(map(_curve, cells["val_curve"]), _stops(cells)) if c is not None]
            for label, cells in table.groupby("label", sort=True)}
    runs = {label: r for label, r in runs.items() if r}
    if not runs or max(len(c) for r in runs.values() for c, _ in r) < 2:  # one epoch is a point, not a curve
        return None
    figure, ax = _figure()
    styles = _styles(table[table["label"].isin(runs)])
    scale = METRICS["val_acc"].scale
    used, banded = set(), False
    for label, label_runs in runs.items():
        epochs = max(len(c) for c, _ in label_runs)
        values = np.full((len(label_runs), epochs), np.nan)
        for i, (c, _) in enumerate(label_runs):
            values[i, : len(c)] = c * scale
        x = np.arange(1, epochs + 1)
        style = styles[label]
        flags = diagnostics(table[table["label"] == label])
        marks = "".join(m for m, key in ((NOT_CONVERGED, "unconverged_seeds"), (STOPPED_EARLY, "stopped_seeds")) if flags[key])
        used.update(marks)
        note = seed_note([len(label_runs)], interval=None, nothing="no band")
        # Epochs where no seed measured validation (the stride of augbench/runner/sweep.py: validation_epoch) are
        # skipped, so the line joins the measured epochs instead of breaking at every gap.
        measured = ~np.isnan(values).all(axis=0)
        ax.plot(x[measured], np.nanmean(values[:, measured], axis=0), label=f"{label} {marks}".strip() + note,
                markersize=5, markevery=max(1, int(measured.sum()) // 12), **style)
        several = (~np.isnan(values)).sum(axis=0) >= 2
        low, high = np.full(epochs, np.nan), np.full(epochs, np.nan)
        low[several], high[several] = np.nanmin(values[:, several], axis=0), np.nanmax(values[:, several], axis=0)
        banded |= _band(ax, x, low, high, style["color"])
        for row, (_, stop) in enumerate(label_runs):
            if stop is not None and 1 <= stop <= epochs:
                ax.plot([stop], [values[row, stop - 1]], marker="x", markersize=8, color=style["color"], linestyle="none")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.set(xlabel="epoch", ylabel=METRICS["val_acc"].label, title=f"Learning curves (validation split)\n{title}")
    notes = [f"{NOT_CONVERGED} not converged"] if NOT_CONVERGED in used else []
    notes += [f"{STOPPED_EARLY} stopped early (x: kept epoch)"] if STOPPED_EARLY in used else []
    _legend(figure, ax, "\n".join(["method (band: seed min-max)" if banded else "method"] + notes))
    return figure


def _eps_curve(text: object) -> tuple[np.ndarray, np.ndarray, float] | None:
    """A row's accuracy-against-radius curve from its aa_json (robust.autoattack on): (radii, accuracies, eps)."""
    if not isinstance(text, str):
        return None
    described = json.loads(text)
    if not described.get("eps_curve"):
        return None
    radii, accuracies = zip(*described["eps_curve"])
    return np.asarray(radii, dtype=float), np.asarray(accuracies, dtype=float), float(described["eps"])


def _eps_curves(table: pd.DataFrame, title: str) -> Figure | None:
    """Accuracy against the L-inf radius for one table's rows that ran AutoAttack: per label, the mean over its
    seeds at each radius (band: min-max), with the task's eps marked. It must fall to 0: a larger ball holds every
    perturbation of a smaller one, and at 2x eps an undefended or honestly defended model keeps almost nothing."""
    if "aa_json" not in table:
        return None
    curves = [(label, [c for c in map(_eps_curve, cells["aa_json"]) if c is not None])
              for label, cells in table.groupby("label", sort=True)]
    curves = [(label, found) for label, found in curves if found]
    if not curves:
        return None
    figure, ax = _figure()
    styles = _styles(table.drop_duplicates("label"))
    eps = None
    for label, found in curves:
        radii, eps = found[0][0], found[0][2]
        if any(len(r) != len(radii) or not np.allclose(r, radii) for r, _, _ in found):
            continue  # seeds measured at other radii (another eps): not averaged
        values = 100 * np.stack([a for _, a, _ in found])
        style = styles[label]
        ax.plot(radii, values.mean(axis=0), label=f"{label}{seed_note([len(found)], interval=None)}", **style)
        if len(found) > 1:
            ax.fill_between(radii, values.min(axis=0), values.max(axis=0), color=style["color"], alpha=BAND_ALPHA)
    if eps is not None:
        ax.axvline(eps, color=REFERENCE, linestyle="--", linewidth=1.0, label=f"the task's eps ({eps:.3g})")
    ax.set_ylim(-2, 102)
    ax.grid(alpha=0.3)
    ax.set(xlabel="L-inf radius", ylabel="APGD-CE accuracy %", title=f"Accuracy against the radius\n{title}")
    _legend(figure, ax, "method (band: min-max over seeds)")
    return figure


def _stops(cells: pd.DataFrame) -> list[int | None]:
    """Each row's stopped_epoch (None where training ran all its epochs or the field is absent)."""
    if "stopped_epoch" not in cells:
        return [None] * len(cells)
    return [None if e is None or pd.isna(e) else int(e) for e in cells["stopped_epoch"]]


def _cost(panel: pd.DataFrame, title: str) -> Figure | None:
    panel = panel.dropna(subset=["clean_acc_mean", "total_s_mean"]) if "total_s_mean" in panel else panel.iloc[0:0]
    if panel.empty:
        return None
    figure, ax = _figure()
    cost, acc = panel["total_s_mean"].to_numpy(dtype=float), _percent(panel, "clean_acc", "mean")
    front = pareto_front(cost, acc)
    ax.step(cost[front], acc[front], where="post", color=REFERENCE, linewidth=1.0, zorder=1)
    ax.scatter(cost[front], acc[front], s=200, facecolors="none", edgecolors=REFERENCE, label="Pareto front", zorder=1)
    sizes = _points(ax, panel, cost, acc, None, _errors(panel, "clean_acc"))
    if cost.min() > 0 and cost.max() / cost.min() > 10:
        ax.set_xscale("log")
        # Plain numbers at 1-2-5 steps: matplotlib's default labels minor ticks as "3x10^1" and overlaps them.
        plain = FuncFormatter(lambda value, _: f"{value:g}")
        ax.xaxis.set_major_formatter(plain)
        ax.xaxis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
        ax.xaxis.set_minor_formatter(plain)
    ax.grid(alpha=0.3)
    ax.set(xlabel=f"{METRICS['total_s'].label} per run (generator fit included)", ylabel=METRICS["clean_acc"].label,
           title=f"Accuracy vs cost\n{title}")
    _legend(figure, ax, _interval_title("method (bars: 95% CI)", panel, "dashed"), sizes)
    return figure


def _extent(values: np.ndarray, errors: np.ndarray | None) -> tuple[float, float]:
    """The lowest and highest value reached by the points with their (clipped) error bars."""
    if errors is None:
        return float(np.nanmin(values)), float(np.nanmax(values))
    low, high = np.fmin(values, values - errors[0]), np.fmax(values, values + errors[1])  # fmin/fmax: NaN bars count as none
    return float(np.nanmin(low)), float(np.nanmax(high))


def _robustness(panel: pd.DataFrame, title: str) -> Figure | None:
    """Robust accuracy vs clean accuracy, one point per line, with the dashed y = x line across the x range:
    an attack can only lower accuracy, so every point lies on or under it (the y range is widened to hold
    the whole line) and a point's distance below it is the accuracy the attack took. The robust axis is the
    panel's `robust_metric` (the worst case over real-input attacks where its rows have it, else PGD); a task
    attacked only in feature space plots its feature PGD, labelled as such."""
    chosen = set(panel["robust_metric"].dropna()) if "robust_metric" in panel else set()
    metric = "robust_acc" if chosen == {"robust_acc"} else "pgd_acc"
    if f"{metric}_mean" not in panel or panel[f"{metric}_mean"].isna().all():
        return None
    panel = panel.dropna(subset=[f"{metric}_mean"])
    label = column_label(METRICS[metric], str(panel["task"].iloc[0]))
    figure, ax = _figure()
    clean, attacked = _percent(panel, "clean_acc", "mean"), _percent(panel, metric, "mean")
    xerr, yerr = _errors(panel, "clean_acc"), _errors(panel, metric)
    (xlo, xhi), (ylo, yhi) = _extent(clean, xerr), _extent(attacked, yerr)
    pad = 0.05 * max(xhi - xlo, 1.0)
    xlim = (xlo - pad, xhi + pad)
    ypad = 0.04 * (max(yhi, xlim[1]) - min(ylo, xlim[0]))
    ax.plot(xlim, xlim, linestyle="--", color=REFERENCE, linewidth=1.0, zorder=1,
            label="y = x (an attack cannot exceed clean)")
    sizes = _points(ax, panel, clean, attacked, xerr, yerr)
    ax.set_xlim(xlim)
    ax.set_ylim(min(ylo, xlim[0]) - ypad, max(yhi, xlim[1]) + ypad)
    ax.grid(alpha=0.3)
    ax.set(xlabel=METRICS["clean_acc"].label, ylabel=label, title=f"Clean vs {label.removesuffix(' %')}\n{title}")
    _legend(figure, ax, _interval_title("method (bars: 95% CI)", panel, "dashed"), sizes)
    return figure


def _corruptions(panel: pd.DataFrame, title: str) -> Figure | None:
    """Mean corruption accuracy per line as horizontal bars, best at the top; `none` hatched, with a
    dashed line at its value to read every other bar against."""
    if "corruption_acc_mean" not in panel or panel["corruption_acc_mean"].isna().all():
        return None
    # The largest training set is the one a reader compares methods on; smaller ones are in the efficiency plot.
    panel = panel[panel["fraction"] == panel["fraction"].max()].dropna(subset=["corruption_acc_mean"])
    # barh draws from the bottom up: ascending accuracy puts the best on top (ties: by label, top down).
    panel = panel.assign(_acc=_percent(panel, "corruption_acc", "mean")).sort_values(["_acc", "label"],
                                                                                     ascending=[True, False])
    figure, ax = _figure(height=max(3.0, 1.5 + 0.34 * len(panel)))
    acc, errors = panel["_acc"].to_numpy(), _errors(panel, "corruption_acc")
    seeds = panel["seeds"].to_numpy(dtype=float)
    at = np.arange(len(panel))
    bars = ax.barh(at, acc, xerr=errors, height=0.7, capsize=4, color=[method_style(m)[0] for m in panel["method"]],
                   error_kw=dict(ecolor="#222222", elinewidth=1.2))
    if bars.errorbar is not None:
        _dash_few(bars.errorbar, seeds < FEW_SEEDS)
    baseline = (panel["method"] == BASELINE).to_numpy()
    for bar in np.asarray(bars.patches, dtype=object)[baseline]:
        bar.set(hatch="//", edgecolor=REFERENCE, linewidth=0.8)
    if baseline.sum() == 1:
        value = float(acc[baseline][0])
        ax.axvline(value, color=REFERENCE, linestyle="--", linewidth=1.0, zorder=3,
                   label=f"{BASELINE} (hatched): {value:.1f}%")
    ax.set_yticks(at, labels=[f"{label}{seed_note([n])}" for label, n in zip(panel["label"], seeds)])
    ax.set_xlim(0, max(_extent(acc, errors)[1], 1.0) * 1.04)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    n_train, fraction = panel["n_train"].iloc[0], panel["fraction"].iloc[0]
    size = f"fraction {fraction:g}" if pd.isna(n_train) else f"{int(n_train)} train examples"
    ax.set(xlabel=METRICS["corruption_acc"].label, title=f"Corruption accuracy, {size}\n{title}")
    _legend(figure, ax, _interval_title("bars: 95% CI over seeds", panel, "dashed"))
    return figure


PANEL_DRAWERS: dict[str, Callable[[pd.DataFrame, str], Figure | None]] = {
    "efficiency": _efficiency, "cost": _cost, "robustness": _robustness, "corruptions": _corruptions,
}


def _short(setting: str) -> str:
    return hashlib.sha256(setting.encode()).hexdigest()[:6]


def _panels(summary: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame, str]]:
    for (profile, task, variant), panel in summary.groupby(PANEL, sort=True):
        if panel["setting"].nunique() > 1:
            # Two settings of the same task in one panel: keep their points apart by a setting hash.
            panel = panel.assign(label=panel["label"] + " [" + panel["setting"].map(_short) + "]")
        yield f"{task}-{variant}-{profile}", panel, f"{task} ({variant}), profile {profile}"


def _tables(rows: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame, str]]:
    """One learning-curve panel per leaderboard table: (file stem suffix, its ok rows, title)."""
    ok = rows[rows["status"] == "ok"] if "status" in rows else rows
    if ok.empty:
        return
    ok = with_labels(ok)
    settings = ok.groupby(["profile", "task", "data_variant", "fraction"])["setting"].transform("nunique")
    for (profile, task, variant, fraction, setting), table in ok.groupby(TABLE, sort=True):
        sizes = sorted({int(n) for n in table["n_train"].dropna()}) if "n_train" in table else []
        size = f"n{sizes[0]}" if len(sizes) == 1 else f"f{fraction:g}"
        shown = f"{sizes[0]} train examples" if len(sizes) == 1 else f"fraction {fraction:g}"
        stem = f"{task}-{variant}-{profile}-{size}"
        if settings[table.index].iloc[0] > 1:
            stem += f"-{_short(setting)}"
        yield stem, table, f"{task} ({variant}), {shown}, profile {profile}"


def figures(rows: pd.DataFrame) -> list[tuple[str, Figure]]:
    """Every plot the rows support as (file stem, figure), kind by kind in `KINDS` order (efficiency first)."""
    curve_points = rows[is_curve_row(rows)] if not rows.empty else rows
    rows = rows[~is_curve_row(rows)] if not rows.empty else rows
    summary = summarize(rows)
    if summary.empty:
        return []
    drawn = []
    for stem, figure in _exchange_figures(pd.concat([rows, curve_points])) + _quality_figures(summary):
        drawn.append((stem, figure))
    ordered = []
    for kind in KINDS[:KINDS.index("exchange")]:  # exchange and quality: drawn above, from all rows at once
        if kind in ("learning", "eps"):
            draw_table = _learning if kind == "learning" else _eps_curves
            panels = ((stem, table, title, draw_table) for stem, table, title in _tables(rows))
        else:
            panels = ((stem, panel, title, PANEL_DRAWERS[kind]) for stem, panel, title in _panels(summary))
        for stem, data, title, draw in panels:
            figure = draw(data, title)
            if figure is not None:
                ordered.append((f"{kind}-{stem}", figure))
    return ordered + drawn


REGIME_STYLE = {"scarce": "--", "pool": "-", "unlabelled": "-."}


def _exchange_figures(rows: pd.DataFrame) -> list[tuple[str, Figure]]:
    """Per task and profile: `none`'s accuracy against its number of real examples (one curve per size), and
    each generative method's mean accuracy at its size as a horizontal line (dashed: scarce; solid: pool;
    dash-dot: unlabelled)
    from its own n_train to where it meets the curve."""
    worths = exchange_rates(rows)
    out = []
    for (task, profile), group in pd.DataFrame([w.__dict__ for w in worths]).groupby(["task", "profile"]) if worths else []:
        figure, ax = _figure()
        for fraction, at_size in group.groupby("fraction"):
            first: Worth = next(w for w in worths if w.task == task and w.profile == profile and w.fraction == fraction)
            xs = np.array([first.n_train + k for k, _ in first.curve], dtype=float)
            ys = np.array([100 * a for _, a in first.curve])
            sizes = sorted(group["n_train"].unique())
            ax.plot(xs, ys, color=REFERENCE, marker=MARKERS[sizes.index(first.n_train) % len(MARKERS)], linewidth=1.5,
                    zorder=2, label=f"none, {first.n_train:,} + k real")
            for _, w in at_size.iterrows():
                colour, _ = method_style(w["method"])
                end = xs[-1] if w["worth"] == np.inf else first.n_train + max(w["worth"], 0.0)
                ax.plot([first.n_train, end], [100 * w["acc"]] * 2, color=colour, linestyle=REGIME_STYLE.get(w["regime"], ":"),
                        marker="o", markevery=[0], mfc="white" if w["regime"] == "scarce" else colour,
                        label=f"{w['method']} ({w['regime']}), {first.n_train:,} real", zorder=3)
                if np.isfinite(w["worth"]) and w["worth"] >= 0:
                    ax.plot([end], [100 * w["acc"]], marker="x", color=colour, zorder=4)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}" if str(int(value))[0] in "25" else ""))
        ax.grid(alpha=0.3)
        ax.set(xlabel="real training examples (n_train + k)", ylabel=METRICS["clean_acc"].label,
               title=f"What generated data are worth in real examples\n{task}, profile {profile}")
        _legend(figure, ax, "generator (regime) at its size;\nx: where none reaches it")
        out.append((f"exchange-{task}-{profile}", figure))
    return out


def _quality_figures(summary: pd.DataFrame) -> list[tuple[str, Figure]]:
    """Per profile: every generative line's gain over `none` (points, with its 95% interval) against its CAS and
    its FID(task), across tasks, regimes and sizes: how good samples must be before they help."""
    if "cas_mean" not in summary or "gain_mean" not in summary:
        return []
    lines = summary.dropna(subset=["cas_mean", "gain_mean"])
    lines = lines[~lines["method"].str.contains("+", regex=False)]  # a composition's gain is not the samples' alone
    out = []
    task_markers = {task: MARKERS[i % len(MARKERS)] for i, task in enumerate(sorted(summary["task"].unique()))}
    for profile, group in lines.groupby("profile"):
        figure = Figure(figsize=(11, 4.6))
        FigureCanvasAgg(figure)
        axes = figure.subplots(1, 2, sharey=True)
        for ax, metric, label in ((axes[0], "cas", "CAS (accuracy on real test data of a classifier trained on samples only)"),
                                  (axes[1], "fid", "FID(task), in each task's reference-classifier units (log)")):
            for _, line in group.iterrows():
                if pd.isna(line.get(f"{metric}_mean")):
                    continue
                colour, _ = method_style(line["method"])
                pool = POOL_SUFFIX in str(line["label"])
                x = 100 * line[f"{metric}_mean"] if metric == "cas" else line[f"{metric}_mean"]
                ax.errorbar([x], [line["gain_mean"] * 100],
                            yerr=[[100 * max(line["gain_mean"] - line["gain_low"], 0) if pd.notna(line["gain_low"]) else 0],
                                  [100 * max(line["gain_high"] - line["gain_mean"], 0) if pd.notna(line["gain_high"]) else 0]],
                            marker=task_markers[line["task"]], color=colour, mfc=colour if pool else "white", linestyle="none",
                            capsize=2, alpha=0.9)
            ax.axhline(0, color=REFERENCE, linewidth=1)
            ax.grid(alpha=0.3)
            ax.set_xlabel(label, fontsize=8)
            if metric == "fid":
                ax.set_xscale("log")
                ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
                ax.xaxis.set_minor_formatter(FuncFormatter(lambda value, _: ""))
        axes[0].set_ylabel("gain in clean accuracy over none (points)")
        methods = sorted(group["method"].unique())
        handles = [Line2D([], [], color=method_style(m)[0], marker="o", linestyle="none", label=m) for m in methods]
        handles += [Line2D([], [], color="black", marker=task_markers[t], linestyle="none", mfc="white", label=t)
                    for t in sorted(group["task"].unique())]
        handles += [Line2D([], [], color="black", marker="o", linestyle="none", label="filled: pool"),
                    Line2D([], [], color="black", marker="o", mfc="white", linestyle="none", label="hollow: scarce")]
        figure.legend(handles=handles, loc="center left", bbox_to_anchor=(0.80, 0.5), fontsize=8, frameon=False)
        figure.subplots_adjust(left=0.07, right=0.79, wspace=0.05)
        figure.suptitle(f"Generator quality vs the gain its samples buy (bars: 95% CI over seeds), profile {profile}")
        out.append((f"quality-{profile}", figure))
    return out


def plot_order(path: Path) -> tuple[int, list]:
    """Sort key putting plot files in report order (`KINDS`), files of other kinds last, then by name in
    natural order (`n500` before `n2000`)."""
    kind = path.name.split("-", 1)[0]
    return (KINDS.index(kind) if kind in KINDS else len(KINDS), natural_key(path.name))


def write_plots(rows: pd.DataFrame, plots_dir: str | Path) -> list[Path]:
    """Draw every plot the rows support into `plots_dir` as PNG and SVG; returns the PNG paths, data
    efficiency first (`KINDS` order).

    Plots of earlier reports are removed first, so the folder never shows a stale plot; other files
    there (the generator sample grids) are left alone.
    """
    plots_dir = Path(plots_dir)
    plots_dir.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        for old in list(plots_dir.glob(f"{kind}-*.png")) + list(plots_dir.glob(f"{kind}-*.svg")):
            old.unlink()
    written: list[Path] = []
    for stem, figure in figures(rows):
        # Not Path.with_suffix: a stem may hold a dot (a fraction such as f0.1).
        png = plots_dir / f"{stem}.png"
        figure.savefig(png, dpi=110)
        figure.savefig(plots_dir / f"{stem}.svg")
        written.append(png)
    return written
