"""The leaderboard: a pure function of stored rows (rows -> summary DataFrame -> tables -> markdown).

The tables are built once as plain data (`Leaderboard`), so the markdown and the HTML report show the
same numbers. Columns come from bench/results/metrics.py; no method gets special treatment except the `none`
baseline that gains are measured against.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field

import pandas as pd
from tabulate import tabulate

from bench.results.metrics import METRICS, Metric
from bench.reporting.stats import ALPHA, mean_interval, paired_test

BASELINE = "none"
TABLE = ["profile", "task", "data_variant", "fraction", "setting"]
SETTING = ["task_params", "train_config", "data_checksum"]  # what else makes two cells incomparable
# Validation accuracy follows clean accuracy: it says how far the split hyperparameters are chosen on agrees with test.
LEADING = ["clean_acc", "val_acc"]
# Marks after a line's clean accuracy, from the run record's training diagnostics (explained under each table).
NOT_CONVERGED, STOPPED_EARLY, NEAR_CHANCE = "†", "‡", "§"
MEANINGS = {  # mark: (the `diagnostics` key of its seeds, what it means)
    NOT_CONVERGED: ("unconverged_seeds", "not converged (over the last quarter of the epochs, the trend line of "
                                         "validation accuracy moved 1 point or more)"),
    STOPPED_EARLY: ("stopped_seeds", "stopped early (the early-stop guard ended training and kept that epoch's weights)"),
    NEAR_CHANCE: ("near_chance_seeds", "near chance (too close to chance for the large-epsilon attack check to mean "
                                       "anything, so its attack accuracies are unchecked)"),
}


@dataclass
class Table:
    """One rendered table: a title, column headers and rows of display strings."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    legend: list[str] = field(default_factory=list)  # lines explaining the marks used in `rows`


@dataclass
class Leaderboard:
    """Everything the markdown and HTML reports show, already formatted."""

    notes: list[str]
    tables: list[Table]
    provenance: list[str]
    failed: Table | None = None
    cells: Table | None = None
    empty: bool = False


def leaderboard_metrics(rows: pd.DataFrame) -> list[Metric]:
    """The leaderboard metrics (clean, then validation accuracy first) with at least one value in `rows`."""
    names = LEADING + [m for m, metric in METRICS.items() if metric.leaderboard and m not in LEADING]
    return [METRICS[m] for m in names if m in rows and rows[m].notna().any()]


def _missing(value: object) -> bool:
    return value is None or bool(pd.isna(value))


def _flag(value: object, expected: bool) -> bool:
    """Whether a stored boolean is set and equals `expected`; None/NaN (not judged, older rows) never matches.

    The store keeps booleans as SQLite integers, so 0/1 (or 0.0/1.0 beside NULLs) count as False/True.
    """
    return not _missing(value) and bool(value) == expected


def diagnostics(cells: pd.DataFrame) -> dict[str, tuple]:
    """The seeds of one line's `cells` that the training diagnostics flag (empty tuples when none is).

    Returns `unconverged_seeds` (converged is False), `stopped_seeds` ((seed, epoch) pairs where the
    early-stop guard ended training) and `near_chance_seeds` (near_chance is True), each sorted by seed.
    """
    def column(name: str) -> list:
        return list(cells[name]) if name in cells else [None] * len(cells)

    seeds = [int(s) for s in cells["seed"]]
    return {
        "unconverged_seeds": tuple(sorted(s for s, v in zip(seeds, column("converged")) if _flag(v, False))),
        "stopped_seeds": tuple(sorted((s, int(e)) for s, e in zip(seeds, column("stopped_epoch")) if not _missing(e))),
        "near_chance_seeds": tuple(sorted(s for s, v in zip(seeds, column("near_chance")) if _flag(v, True))),
    }


def with_labels(rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` plus `setting` (task params, train config, data checksum) and `label` (method, with its
    parameters where one table holds several settings of that method)."""
    rows = rows.copy()
    rows["setting"] = rows[SETTING].astype(str).agg("|".join, axis=1) if len(rows) else pd.Series(dtype=str)
    if rows.empty:
        rows["label"] = pd.Series(dtype=str)
        return rows
    settings = rows.groupby(TABLE + ["method"])["method_params"].transform("nunique")

    def label(row: pd.Series) -> str:
        if settings[row.name] <= 1:
            return row["method"]
        params = json.loads(row["method_params"])
        return f"{row['method']}({', '.join(f'{k}={v}' for k, v in sorted(params.items()))})"

    rows["label"] = rows.apply(label, axis=1)
    return rows


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    """One line per table and method label over seeds (ok rows only).

    Columns: TABLE keys, label, method, seeds, n_train; `<metric>_mean/_low/_high` (95% t-interval) per
    leaderboard metric present; `gain_mean/_low/_high/_p/_n`: clean accuracy minus the `none` baseline's
    on the same seeds, with the paired t-test's p (NaN with fewer than 2 pairs); the flagged seeds of
    `diagnostics`.
    """
    ok = rows[rows["status"] == "ok"] if "status" in rows else rows
    if ok.empty:
        return pd.DataFrame()
    ok = with_labels(ok)
    metrics = leaderboard_metrics(ok)
    lines = []
    for key, table in ok.groupby(TABLE, sort=True):
        baseline = table[table["method"] == BASELINE]
        # Gains need one unambiguous baseline per seed.
        base_by_seed = baseline.set_index("seed")["clean_acc"] if baseline["label"].nunique() == 1 else None
        for label, cells in table.groupby("label", sort=True):
            line = dict(zip(TABLE, key))
            line.update(label=label, method=cells["method"].iloc[0], seeds=cells["seed"].nunique(),
                        n_train=cells["n_train"].iloc[0])
            for metric in metrics:
                interval = mean_interval(cells[metric.name].astype(float))
                line.update({f"{metric.name}_mean": interval.mean, f"{metric.name}_low": interval.low,
                             f"{metric.name}_high": interval.high})
            gain = math.nan, math.nan, math.nan, math.nan, 0
            if base_by_seed is not None:
                by_seed = cells.set_index("seed")["clean_acc"]
                common = sorted(set(by_seed.index) & set(base_by_seed.index))
                if common:
                    test = paired_test(by_seed[common].astype(float), base_by_seed[common].astype(float))
                    gain = test.diff.mean, test.diff.low, test.diff.high, test.p, test.diff.n
            line.update(zip(["gain_mean", "gain_low", "gain_high", "gain_p", "gain_n"], gain))
            line.update(diagnostics(cells))
            lines.append(line)
    return pd.DataFrame(lines)


def format_value(metric: Metric, value: float) -> str:
    """A metric value in its display unit (percent for fractions, k/M for throughput)."""
    if value is None or pd.isna(value):
        return "–"
    value = value * metric.scale
    if metric.unit == "samples/s":
        if value >= 1e6:
            return f"{value / 1e6:.1f}M"
        return f"{value / 1e3:.1f}k" if value >= 1e3 else f"{value:.0f}"
    if metric.unit == "s":
        return f"{value:.1f}"
    if metric.unit == "MiB":
        return f"{value:.0f}"
    return f"{value:.2f}"


def _with_interval(metric: Metric, mean: float, low: float, high: float) -> str:
    text = format_value(metric, mean)
    # Costs are shown as means: their spread is machine load, not a property of the method.
    if pd.isna(low) or metric.unit in ("samples/s", "s", "MiB"):
        return text
    return f"{text} ± {(high - low) / 2 * metric.scale:.2f}"


def _gain(line: pd.Series) -> tuple[str, str]:
    if line["method"] == BASELINE:
        return "baseline", ""
    if pd.isna(line["gain_mean"]):
        return "–", ""
    gain = f"{100 * line['gain_mean']:+.2f}"
    if line["gain_n"] < 2:
        return gain, "n=1, no test"
    gain += f" ± {100 * (line['gain_high'] - line['gain_low']) / 2:.2f}"
    mark = " *" if line["gain_p"] < ALPHA else ""
    return gain, f"{line['gain_p']:.3f}{mark}"


def _marks(line: pd.Series) -> str:
    return "".join(mark for mark, (column, _) in MEANINGS.items() if line[column])


def _which(flagged: tuple) -> str:
    if isinstance(flagged[0], tuple):  # (seed, epoch) pairs
        return ", ".join(f"seed {seed} at epoch {epoch}" for seed, epoch in flagged)
    return f"seed{'s' if len(flagged) > 1 else ''} {', '.join(str(seed) for seed in flagged)}"


def _legend(table: pd.DataFrame) -> list[str]:
    """One line per mark used in `table`, naming each marked line's flagged seeds."""
    legend = []
    for mark, (column, meaning) in MEANINGS.items():
        marked = [f"{line['label']}: {len(line[column])} of {line['seeds']} seeds ({_which(line[column])})"
                  for _, line in table.iterrows() if line[column]]
        if marked:
            legend.append(f"{mark} {meaning}: {'; '.join(marked)}.")
    return legend


def _train_examples(n_train: pd.Series) -> str:
    sizes = sorted({int(n) for n in n_train.dropna()})
    if not sizes:
        return ""
    return f" ({sizes[0]} train examples)" if len(sizes) == 1 else f" ({sizes[0]}-{sizes[-1]} train examples)"


def _table_title(key: tuple, n_train: pd.Series, several_settings: bool) -> str:
    profile, task, variant, fraction, setting = key
    n = _train_examples(n_train)
    title = f"{task} ({variant}), fraction {fraction:g}{n}, profile {profile}"
    if several_settings:
        title += f", setting {hashlib.sha256(setting.encode()).hexdigest()[:8]}"
    return title


def build(rows: pd.DataFrame) -> Leaderboard:
    """The leaderboard's tables, ranked by mean clean accuracy, plus provenance, failed and all cells."""
    if rows.empty:
        return Leaderboard([], [], [], empty=True)
    notes = [
        "Each table: one task, data variant, train fraction (its number of training examples in the title) and "
        "profile; methods ranked by mean clean accuracy.",
        "`a ± h`: mean over seeds ± half-width of the 95% t-interval (no interval with one seed).",
        f"Gain: clean accuracy minus `{BASELINE}` on the same seeds, in points; p: paired t-test, "
        f"`*` when p < {ALPHA}. Costs (samples/s, seconds) are means over seeds.",
    ]
    summary = summarize(rows)
    tables = []
    if not summary.empty:
        metrics = [m for m in leaderboard_metrics(rows[rows["status"] == "ok"]) if f"{m.name}_mean" in summary]
        per_run = summary.groupby(["profile", "task", "data_variant", "fraction"])["setting"].transform("nunique")
        summary = summary.assign(several=per_run > 1)
        for key, table in summary.groupby(TABLE, sort=True):
            shown = [m for m in metrics if table[f"{m.name}_mean"].notna().any()]
            table = table.sort_values(["clean_acc_mean", "label"], ascending=[False, True])
            headers = ["method", shown[0].label, "seeds", f"gain vs {BASELINE} (pts)", "p"] + [m.label for m in shown[1:]]
            body = []
            for _, line in table.iterrows():
                values = [_with_interval(m, line[f"{m.name}_mean"], line[f"{m.name}_low"], line[f"{m.name}_high"]) for m in shown]
                marks = _marks(line)
                clean = f"{values[0]} {marks}" if marks else values[0]
                body.append([line["label"], clean, str(line["seeds"]), *_gain(line), *values[1:]])
            tables.append(Table(_table_title(key, table["n_train"], bool(table["several"].iloc[0])), headers, body,
                                _legend(table)))
    return Leaderboard(notes, tables, provenance(rows), _failed(rows), _cells(rows))


def _failed(rows: pd.DataFrame) -> Table | None:
    failed = rows[rows["status"] != "ok"]
    if failed.empty:
        return None
    body = [[r.task, r.method, str(r.seed), f"{r.fraction:g}", r.profile, str(r.error)] for r in failed.itertuples()]
    return Table("Failed cells", ["task", "method", "seed", "fraction", "profile", "error"], body)


def _cell_flags(row: pd.Series) -> str:
    parts = [NOT_CONVERGED] if _flag(row.get("converged"), False) else []
    if not _missing(row.get("stopped_epoch")):
        parts.append(f"{STOPPED_EARLY} epoch {int(row['stopped_epoch'])}")
    return " ".join(parts + ([NEAR_CHANCE] if _flag(row.get("near_chance"), True) else []))


def _cells(rows: pd.DataFrame) -> Table:
    metric = METRICS["clean_acc"]
    ordered = with_labels(rows).sort_values(["profile", "task", "fraction", "label", "seed"])
    headers = ["run_id", "task", "method", "fraction", "n_train", "seed", "profile", "status", metric.label]
    body = [[r["run_id"][:12], r["task"], r["label"], f"{r['fraction']:g}",
             "–" if _missing(r.get("n_train")) else str(int(r["n_train"])), str(r["seed"]), r["profile"], r["status"],
             format_value(metric, r["clean_acc"])] for _, r in ordered.iterrows()]
    flags = [_cell_flags(r) for _, r in ordered.iterrows()]
    if not any(flags):  # stores without training diagnostics keep the narrower table
        return Table("All cells", headers, body)
    legend = [f"flags: {NOT_CONVERGED} not converged, {STOPPED_EARLY} stopped early at that epoch, "
              f"{NEAR_CHANCE} near chance (explained under the tables above)."]
    return Table("All cells", headers + ["flags"], [line + [flag] for line, flag in zip(body, flags)], legend)


def provenance(rows: pd.DataFrame) -> list[str]:
    """Lines naming the devices, library versions, commits, profiles and dates behind `rows`."""
    ok = rows[rows["status"] == "ok"]
    if ok.empty:
        return []

    def distinct(column: str) -> str:
        return ", ".join(sorted({str(v) for v in ok[column].dropna()})) if column in ok else "unknown"

    commits = sorted({(c[:10] if isinstance(c, str) else "unknown") + ("+dirty" if d is True or d == 1 else "")
                      for c, d in zip(ok["git_commit"], ok["git_dirty"])})
    return [
        f"profiles: {distinct('profile')}",
        f"devices: {distinct('device_name') or 'unknown'}",
        f"torch {distinct('torch_version')}, torchvision {distinct('torchvision_version')}, "
        f"python {distinct('python_version')}, numpy {distinct('numpy_version')}",
        f"commits: {', '.join(commits)}",
        f"runs finished between {ok['finished_at'].min()} and {ok['finished_at'].max()} (UTC)",
    ]


def _markdown_table(table: Table) -> list[str]:
    lines = [f"## {table.title}", "", tabulate(table.rows, headers=table.headers, tablefmt="github", disable_numparse=True), ""]
    for line in table.legend:
        lines += [line, ""]
    return lines


def render_markdown(board: Leaderboard) -> str:
    """The leaderboard as markdown."""
    lines = ["# augbench leaderboard", ""]
    if board.empty:
        return "\n".join(lines + ["No runs in the store yet: run `augbench run` (or `make bench`) first.", ""])
    lines += board.notes + [""]
    for table in board.tables:
        lines += _markdown_table(table)
    if board.provenance:
        lines += ["## Provenance", ""] + [f"- {line}" for line in board.provenance] + [""]
    for table in (board.failed, board.cells):
        if table is not None:
            lines += _markdown_table(table)
    return "\n".join(lines)


def leaderboard_markdown(rows: pd.DataFrame) -> str:
    """The leaderboard as markdown: one table per (profile, task, data variant, fraction), best first."""
    return render_markdown(build(rows))
