"""The leaderboard: a pure function of stored rows (rows -> DataFrame -> markdown), no per-method cases."""

from __future__ import annotations

import json

import pandas as pd
from tabulate import tabulate

GROUP = ["profile", "task", "data_variant", "fraction"]
# Accuracy metrics shown as columns wherever a table has them (robustness; generative metrics add more).
OPTIONAL_ACCURACIES = {"fgsm_acc": "FGSM %", "pgd_acc": "PGD %", "corruption_acc": "corrupt %"}


def method_labels(rows: pd.DataFrame) -> pd.Series:
    """The method name, plus its parameters where one table holds several settings of that method."""
    settings = rows.groupby(GROUP + ["method"])["method_params"].transform("nunique")

    def label(row: pd.Series) -> str:
        if settings[row.name] <= 1:
            return row["method"]
        params = json.loads(row["method_params"])
        return f"{row['method']}({', '.join(f'{k}={v}' for k, v in sorted(params.items()))})"

    return rows.apply(label, axis=1) if len(rows) else pd.Series(dtype=str)


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    """One line per (profile, task, variant, fraction, method setting) over seeds: means, std and seed count."""
    ok = rows[rows["status"] == "ok"].copy()
    if ok.empty:
        return pd.DataFrame()
    ok["label"] = method_labels(ok)
    grouped = ok.groupby(GROUP + ["label"], sort=True)
    optional = {f"{m}_mean": (m, "mean") for m in OPTIONAL_ACCURACIES if m in ok and ok[m].notna().any()}
    summary = grouped.agg(
        **optional,
        clean_mean=("clean_acc", "mean"),
        clean_std=("clean_acc", "std"),  # sample std (ddof=1): NaN for one seed
        seeds=("seed", "nunique"),
        aug_throughput=("aug_throughput", "mean"),
        train_s=("train_s", "mean"),
        total_s=("total_s", "mean"),
        n_train=("n_train", "first"),
    ).reset_index()
    return summary


def _acc(mean: float, std: float) -> str:
    text = f"{100 * mean:.2f}"
    return text if pd.isna(std) else f"{text} ± {100 * std:.2f}"


def _throughput(value: float) -> str:
    if pd.isna(value):
        return "–"
    if value >= 1e6:
        return f"{value / 1e6:.1f}M"
    if value >= 1e3:
        return f"{value / 1e3:.1f}k"
    return f"{value:.0f}"


def leaderboard_markdown(rows: pd.DataFrame) -> str:
    """The leaderboard as markdown: one table per (profile, task, data variant, fraction), best first."""
    lines = ["# augbench leaderboard", ""]
    if rows.empty:
        return "\n".join(lines + ["No runs in the store yet: run `augbench run` (or `make bench`) first.", ""])
    lines += [
        "Clean accuracy on the task's official test split: mean ± sample std over seeds (std shown for 2+ seeds).",
        "FGSM / PGD: accuracy under L-inf attacks at the task's epsilon; corrupt: mean accuracy over the task's corruptions.",
        "Aug throughput: samples/s of the method's augment on the run's device; train and total: seconds per run (mean).",
        "",
    ]
    summary = summarize(rows)
    for key, table in (summary.groupby(GROUP, sort=True) if not summary.empty else []):
        profile, task, variant, fraction = key
        table = table.sort_values("clean_mean", ascending=False)
        n_train = int(table["n_train"].iloc[0])
        lines.append(f"## {task} ({variant}), fraction {fraction:g} ({n_train} train examples), profile {profile}")
        lines.append("")
        extra = [m for m in OPTIONAL_ACCURACIES if f"{m}_mean" in table and table[f"{m}_mean"].notna().any()]
        body = [
            [r["label"], _acc(r["clean_mean"], r["clean_std"])]
            + ["–" if pd.isna(r[f"{m}_mean"]) else f"{100 * r[f'{m}_mean']:.2f}" for m in extra]
            + [r["seeds"], _throughput(r["aug_throughput"]), f"{r['train_s']:.1f}", f"{r['total_s']:.1f}"]
            for _, r in table.iterrows()
        ]
        headers = ["method", "clean acc %"] + [OPTIONAL_ACCURACIES[m] for m in extra] + ["seeds", "aug samples/s", "train s", "total s"]
        lines.append(tabulate(body, headers=headers, tablefmt="github", disable_numparse=True))
        lines.append("")
    lines += _provenance(rows)
    failed = rows[rows["status"] != "ok"]
    if not failed.empty:
        lines += ["## Failed cells", ""]
        body = [[r.task, r.method, r.seed, f"{r.fraction:g}", r.profile, r.error] for r in failed.itertuples()]
        lines += [tabulate(body, headers=["task", "method", "seed", "fraction", "profile", "error"], tablefmt="github"), ""]
    return "\n".join(lines)


def _provenance(rows: pd.DataFrame) -> list[str]:
    ok = rows[rows["status"] == "ok"]
    if ok.empty:
        return []

    def distinct(column: str) -> str:
        return ", ".join(sorted({str(v) for v in ok[column].dropna()})) or "unknown"

    commits = sorted({(c[:10] if isinstance(c, str) else "unknown") + ("+dirty" if d else "") for c, d in zip(ok["git_commit"], ok["git_dirty"])})
    return [
        "## Provenance",
        "",
        f"- devices: {distinct('device_name')}",
        f"- torch {distinct('torch_version')}, torchvision {distinct('torchvision_version')}, python {distinct('python_version')}",
        f"- commits: {', '.join(commits)}",
        f"- runs finished between {ok['finished_at'].min()} and {ok['finished_at'].max()} (UTC)",
        "",
    ]
