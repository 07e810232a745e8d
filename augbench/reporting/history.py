"""How the committed reference numbers moved: every commit that changed a tracked export, diffed cell by
cell against the file's previous version, as markdown a person reads and as a plot of one metric.

Timings are left out of the diff: they move on every rerun, so listing them would bury the changes of numbers.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from augbench.core.errors import UsageError
from augbench.reporting.exchange import regime_named
from augbench.results.export import read_rows
from augbench.results.metrics import METRICS, NUMBER_METRICS

TRACKED = ("results/ci/reference.json", "results/baselines/quick-cpu.json")
SUBJECT_CHARS = 110  # a commit subject in a heading; this repository's subjects run to paragraphs
LABEL_FIELDS = ["run_id", "task", "method", "fraction", "seed", "method_params"]


@dataclass(frozen=True)
class Move:
    """One metric value of one cell (same run_id) that differs from the file's previous version."""

    cell: str  # readable label, see `_labels`
    run_id: str
    metric: str
    old: float | None  # None: no value (missing column, failed cell, metric not measured)
    new: float | None

    @property
    def change(self) -> float | None:
        """new - old in the metric's display unit (percentage points for accuracies); None if either is missing."""
        if self.old is None or self.new is None:
            return None
        return (self.new - self.old) * METRICS[self.metric].scale


@dataclass(frozen=True, eq=False)
class Revision:
    """One commit that changed the file, and what it changed versus the file's previous commit."""

    commit: str  # 10-character hash
    date: str  # committer date, ISO 8601
    subject: str
    added: tuple[str, ...]  # labels of cells (run_ids) new in this version
    removed: tuple[str, ...]
    moves: tuple[Move, ...]
    values: pd.DataFrame  # index run_id; `label` and one column per compared metric: the plot needs every value
    reconfigured: tuple[str, ...] = ()  # cells whose configuration changed (a new run_id for the same task, method,
    # size and seed): their moves are against the old configuration's row

    @property
    def moved_cells(self) -> int:
        return len({m.run_id for m in self.moves})


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise UsageError(f"cannot run git in {repo}: {exc}") from None


def rows_from_text(text: str, origin: str) -> pd.DataFrame:
    """An export's rows from its JSON text (e.g. `git show`), parsed exactly as `read_rows` parses a file.

    Raises:
        UsageError: the text is not an augbench export; the message names `origin`, not the temporary file.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "export.json")
        path.write_text(text)
        try:
            return read_rows(path)
        except UsageError as exc:
            raise UsageError(str(exc).replace(str(path), origin)) from None


def _check_metrics(metrics: Sequence[str] | None) -> list[str]:
    chosen = list(NUMBER_METRICS if metrics is None else metrics)
    for name in chosen:
        if name not in NUMBER_METRICS:
            raise UsageError(f"unknown metric {name!r}; choose from {', '.join(NUMBER_METRICS)}")
    return chosen


def _log(repo: Path, path: str) -> list[tuple[str, str, str]]:
    """(hash, date, subject) of every commit that changed `path`, oldest first."""
    if _git(repo, "rev-parse", "--git-dir").returncode != 0:
        raise UsageError(f"{repo} is not a git repository")
    log = _git(repo, "log", "--format=%H%x09%cI%x09%s", "--", path)
    entries = [tuple(line.split("\t", 2)) for line in log.stdout.splitlines() if line]
    if log.returncode != 0 or not entries:
        raise UsageError(f"no commit in {repo} changed {path} (tracked: {', '.join(TRACKED)})")
    return entries[::-1]


def _cells(repo: Path, commit: str, path: str, metrics: list[str]) -> pd.DataFrame:
    """The file's cells at `commit`: label fields and metrics, one row per run_id (the last wins)."""
    shown = _git(repo, "show", f"{commit}:{path}")
    if shown.returncode != 0:  # the commit deleted the file: every cell removed
        return pd.DataFrame(columns=LABEL_FIELDS + metrics).set_index("run_id")
    rows = rows_from_text(shown.stdout, f"{commit[:10]}:{path}")
    return rows[LABEL_FIELDS + metrics].drop_duplicates("run_id", keep="last").set_index("run_id")


def _digest(value: object) -> str:
    return hashlib.sha256(str(value).encode()).hexdigest()[:8]


def _labels(cells: pd.DataFrame) -> pd.Series:
    """run_id -> `task/method/fraction=F/seed=S`, with a digest of method_params where two cells would share
    a label (of the run_id, the whole config's hash, where even that does not tell them apart).

    Computed over every cell the file ever held, so a cell keeps one label in all revisions.
    """
    cells = cells.reset_index()
    base = (cells["task"].astype(str) + "/" + regime_named(cells).astype(str) + "/fraction="
            + cells["fraction"].map(lambda f: f"{f:g}") + "/seed=" + cells["seed"].astype(str))
    label = base.where(base.map(base.value_counts()) == 1, base + " [" + cells["method_params"].map(_digest) + "]")
    label = label.where(label.map(label.value_counts()) == 1, base + " [" + cells["run_id"].str[:8] + "]")
    return pd.Series(label.to_numpy(), index=cells["run_id"])


def _reconfigured(removed: pd.DataFrame, added: pd.DataFrame) -> list[tuple[str, str]]:
    """(old run_id, new run_id) of cells a commit re-identified: one removed and one added row with the same
    task, method (and regime), size and seed, such as a default changed or a row regenerated under new settings."""
    def keys(rows: pd.DataFrame) -> pd.Series:
        if rows.empty:
            return pd.Series(dtype=object)
        named = regime_named(rows.reset_index()).to_numpy()
        return pd.Series(list(zip(rows["task"], named, rows["fraction"], rows["seed"])), index=rows.index)

    old, new = keys(removed), keys(added)
    single_old = old[~old.duplicated(keep=False)]
    single_new = new[~new.duplicated(keep=False)]
    by_key = {key: run_id for run_id, key in single_new.items()}
    return [(run_id, by_key[key]) for run_id, key in single_old.items() if key in by_key]


def _value(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def history(repo: Path, path: str, metrics: Sequence[str] | None = None) -> list[Revision]:
    """Every commit that changed `path` in `repo`, oldest first, with its moves versus the previous version.

    Args:
        repo: a git checkout.
        path: the export's path inside the repository (e.g. one of TRACKED).
        metrics: the number metrics to compare and keep (default: NUMBER_METRICS; never timings).

    Raises:
        UsageError: an unknown metric, `repo` not a git repository, or no commit changed `path`.
    """
    metrics = _check_metrics(metrics)
    repo = Path(repo)
    versions = [(entry, _cells(repo, entry[0], path, metrics)) for entry in _log(repo, path)]
    everything = pd.concat([cells for _, cells in versions])
    labels = _labels(everything[~everything.index.duplicated(keep="last")])
    revisions: list[Revision] = []
    previous = versions[0][1].iloc[:0]
    for (commit, date, subject), cells in versions:
        common = cells.index.intersection(previous.index)
        pairs = _reconfigured(previous.loc[previous.index.difference(cells.index)], cells.loc[cells.index.difference(previous.index)])
        old_ids, new_ids = list(common) + [a for a, _ in pairs], list(common) + [b for _, b in pairs]
        moves = []
        for metric in metrics:
            old = previous.loc[old_ids, metric].to_numpy(dtype=float)
            new = cells.loc[new_ids, metric].to_numpy(dtype=float)
            changed = ~((old == new) | (np.isnan(old) & np.isnan(new)))
            moves += [Move(labels[r], r, metric, _value(a), _value(b))
                      for r, a, b in zip(np.asarray(new_ids, dtype=object)[changed], old[changed], new[changed])]
        values = cells[metrics].assign(label=labels.reindex(cells.index))
        paired_old, paired_new = {a for a, _ in pairs}, {b for _, b in pairs}
        revisions.append(Revision(
            commit[:10], date, subject,
            added=tuple(sorted(labels[cells.index.difference(previous.index).difference(list(paired_new))])),
            removed=tuple(sorted(labels[previous.index.difference(cells.index).difference(list(paired_old))])),
            moves=tuple(sorted(moves, key=lambda m: (m.cell, metrics.index(m.metric)))), values=values,
            reconfigured=tuple(sorted(labels[list(paired_new)]))))
        previous = cells
    return revisions


def _shown(metric: str, value: float | None) -> str:
    if value is None:
        return "-"
    scaled = value * METRICS[metric].scale
    return f"{scaled:.2f}%" if METRICS[metric].unit == "fraction" else f"{scaled:.2f}"


def _change(move: Move) -> str:
    if move.change is None:
        return "new value" if move.old is None else "value lost"
    return f"{move.change:+.2f}" + (" pts" if METRICS[move.metric].unit == "fraction" else "")


def render_history(revisions: Sequence[Revision], path: str, top: int = 10) -> str:
    """Markdown: per commit (newest first) its counts of cells added, removed and moved, and a table of its
    `top` largest moves by absolute change in the metric's display unit (moves to or from no value last)."""
    lines = [f"## History of {path}", "",
             f"{len(revisions)} commits changed it, newest first. Timings are left out: they move on every run. A "
             f"re-configured cell has a new run_id for the same task, method, size and seed (a default changed); "
             f"its moves are against the old configuration's row."]
    for rev in reversed(revisions):
        subject = rev.subject if len(rev.subject) <= SUBJECT_CHARS else rev.subject[:SUBJECT_CHARS].rstrip() + " …"
        lines += ["", f"### {rev.date[:10]} {rev.commit} {subject}", "",
                  f"{len(rev.added)} cells added, {len(rev.removed)} removed, {len(rev.reconfigured)} re-configured, "
                  f"{rev.moved_cells} cells moved "
                  f"({len(rev.moves)} metric values)"]
        if not rev.moves:
            continue
        ranked = sorted(rev.moves, key=lambda m: (m.change is None, -abs(m.change or 0.0), m.cell))
        lines += ["", "| cell | metric | before | after | change |", "|---|---|---:|---:|---:|"]
        lines += [f"| {m.cell} | {m.metric} | {_shown(m.metric, m.old)} | {_shown(m.metric, m.new)} | {_change(m)} |"
                  for m in ranked[:top]]
        if len(ranked) > top:
            lines += ["", f"and {len(ranked) - top} more"]
    return "\n".join(lines) + "\n"


def _most_moved(revisions: Sequence[Revision], metric: str, top: int, labels: pd.Series,
                table: pd.DataFrame) -> list[str]:
    """The `top` run_ids with a value of `metric` whose values moved most in total (then by label)."""
    moved: dict[str, float] = {}
    for rev in revisions:
        for m in rev.moves:
            if m.metric == metric:
                moved[m.run_id] = moved.get(m.run_id, 0.0) + abs(m.change or 0.0)
    measured = table.index[table.notna().any(axis=1)]
    return sorted(measured, key=lambda r: (-moved.get(r, 0.0), labels[r]))[:top]


def plot_history(revisions: Sequence[Revision], metric: str, output: Path, cells: Sequence[str] | None = None,
                 top: int = 12, title: str | None = None) -> Path:
    """Draw `metric` at each revision (x: commit, oldest left) as one line per cell into a PNG at `output`.

    Args:
        revisions: from `history`, with `metric` among its compared metrics.
        metric: a number metric; shown in its display unit (percent for accuracies).
        cells: labels or run_ids to draw; default the `top` cells whose values moved most.
        title: the figure's title (default names the metric).

    Raises:
        UsageError: no revisions, a metric the revisions do not hold, or an unknown cell.
    """
    if not revisions:
        raise UsageError("no revisions to plot")
    kept = [c for c in revisions[0].values.columns if c != "label"]
    if metric not in kept:
        raise UsageError(f"unknown metric {metric!r}; choose from {', '.join(kept)}")
    table = pd.concat({i: rev.values[metric] for i, rev in enumerate(revisions)}, axis=1)  # run_id x revision
    labels = pd.concat([rev.values["label"] for rev in revisions])
    labels = labels[~labels.index.duplicated(keep="last")]
    if cells is None:
        chosen = _most_moved(revisions, metric, top, labels, table)
    else:
        by_label = {label: run_id for run_id, label in labels.items()}
        unknown = [c for c in cells if c not in labels.index and c not in by_label]
        if unknown:
            raise UsageError(f"unknown cell {unknown[0]!r}; choose from labels such as {', '.join(sorted(by_label)[:5])}")
        chosen = [c if c in labels.index else by_label[c] for c in cells]
    # The object API and Agg canvas as in plots.py (not imported: it loads the method registry and torch).
    figure = Figure(figsize=(10.5, 4.8), layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    x = np.arange(len(revisions))
    palette = colormaps["tab10"].colors
    for i, run_id in enumerate(chosen):
        ax.plot(x, table.loc[run_id].to_numpy(dtype=float) * METRICS[metric].scale, marker="o", markersize=4,
                color=palette[i % len(palette)], linestyle="-" if i < len(palette) else "--", label=labels[run_id])
    ax.set_xticks(x, labels=[f"{rev.commit[:7]}\n{rev.date[5:10]}" for rev in revisions], fontsize=7)
    ax.grid(alpha=0.3)
    ax.set(xlabel="commit", ylabel=METRICS[metric].label, title=title or f"{METRICS[metric].label} at each commit")
    if chosen:
        figure.legend(loc="outside right upper", fontsize=7, title="cell", title_fontsize=7, alignment="left")
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output, dpi=110)
    return output
