"""Issue 24's tables from the stores in results/generated/ and the committed baseline: per task, regime and
size the generators' CAS, FID, gain over `none` and exchange rate; Gowal et al.'s robustness comparison on MNIST;
the share / filter candidates on validation. Run from the repository root:

    .venv/bin/python studies/generated/summary.py > results/generated/generated-data.md
"""

from __future__ import annotations

import glob
import json
import sqlite3
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, ".")
from augbench.evaluation.autoattack import VERSIONS as AUTOATTACK_VERSIONS  # noqa: E402
from augbench.reporting.exchange import exchange_rates, generator_regime, is_curve_row, shown_worth, worth_text  # noqa: E402
from augbench.reporting.stats import adjust, mean_interval, paired_test  # noqa: E402
from augbench.results.export import read_rows  # noqa: E402

GENERATORS = ("gan", "wgan_gp", "vae")


def _store_rows() -> pd.DataFrame:
    """The rows of every store in results/generated/, in path order."""
    frames = []
    for path in sorted(glob.glob("results/generated/*.sqlite")):
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            frames.append(pd.read_sql("select * from runs", con))
    return pd.concat(frames, ignore_index=True)


def _ok(rows: pd.DataFrame) -> pd.DataFrame:
    """The ok rows, one per run_id (the first wins), with their generator regime and curve flag."""
    rows = rows[rows["status"] == "ok"].drop_duplicates("run_id", keep="first")
    return rows.assign(regime=rows["method_params"].map(generator_regime), curve=is_curve_row(rows))


def stores() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every ok row of the stores and the baseline, the rows at the defaults: the baseline's and the planned grid's)."""
    base = read_rows("results/baselines/quick-cpu.json")
    rows = _ok(pd.concat([base, _store_rows()], ignore_index=True))  # the baseline's row where both hold one
    sys.path.insert(0, "studies/generated")
    from merge_baseline import planned_run_ids

    defaults = rows[rows["run_id"].isin(planned_run_ids() | set(base["run_id"]))]
    return rows, defaults


def stored_only() -> pd.DataFrame:
    """The ok rows of the stores alone: the tuning candidates and their one-thread default, never the baseline's
    two-thread row of the same cell."""
    return _ok(_store_rows())


def pct(x: float) -> str:
    return "–" if pd.isna(x) else f"{100 * x:.2f}"


def ival(values) -> str:
    i = mean_interval(np.asarray(values, dtype=float))
    return "–" if np.isnan(i.low) else f"{100 * i.mean:+.2f} [{100 * i.low:+.2f}, {100 * i.high:+.2f}]"


def per_task(rows: pd.DataFrame) -> list[str]:
    lines = ["## Generators by task, regime and size (quick, 3 seeds)", "",
             "| task | n_train | method | regime | CAS % | FID(task) | clean % | gain vs none (pts, 95% CI) | p | adj. p | worth (real examples) | gen_fit_s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    found = []  # (line without its adjusted p, p): the table is one family, adjusted at the end
    worths = {(w.task, w.fraction, w.method, w.regime): w for w in exchange_rates(rows)}
    plain = rows[~rows["curve"]]
    for (task, fraction), at in plain.groupby(["task", "fraction"]):
        none = at[at["method"] == "none"].set_index("seed")["clean_acc"]
        for (method, regime), cells in at[at["method"].isin(GENERATORS)].groupby(["method", "regime"]):
            if regime == "scarce" and not ((plain["task"] == task) & (plain["regime"] == "pool")).any():
                continue  # tasks without a pool run: the baseline's scarce rows are in the published leaderboard
            by_seed = cells.set_index("seed")["clean_acc"]
            common = sorted(set(by_seed.index) & set(none.index))
            test = paired_test(by_seed[common].astype(float), none[common].astype(float)) if len(common) > 1 else None
            w = worths.get((task, fraction, method, regime))
            worth = "–" if w is None else (f"{shown_worth(w)} [{worth_text(w.worth_low, w.k_max)}, "
                                            f"{worth_text(w.worth_high, w.k_max)}]")
            found.append((f"| {task} | {int(cells['n_train'].iloc[0]):,} | {method} | {regime} | {pct(cells['cas'].mean())} | "
                          f"{cells['fid'].mean():.1f} | {pct(cells['clean_acc'].mean())} | "
                          f"{ival(by_seed[common] - none[common]) if test else '–'} | {'–' if test is None else f'{test.p:.3f}'} | ",
                          f"{worth} | {cells['gen_fit_s'].mean():.0f} |", float('nan') if test is None else test.p))
    # One family: every test of this table, Benjamini-Hochberg (the rule of every page; docs/metrics.md#statistics).
    for (head, tail, _), q in zip(found, adjust([p for _, _, p in found])):
        lines.append(head + ("–" if q != q else f"{q:.3f}" + (" *" if q < 0.05 else "")) + " | " + tail)
    return lines + ["", "p: paired t-test per line; adj. p: Benjamini-Hochberg over every line of this table, `*` below 0.05. "
                    "Pairs here are by seed only: the pool rows ran under the earlier execution policy, the `none` "
                    "rows of the baseline under the current one (the published leaderboard marks such pairs ≠).", ""]


def curves(rows: pd.DataFrame) -> list[str]:
    lines = ["## Exchange-rate curves: `none` on n_train + k real examples (mean clean %, 3 seeds)", ""]
    none = rows[(rows["method"] == "none")]
    none = none.assign(extra=none["train_config"].map(lambda t: json.loads(t).get("extra_real", 0.0)))
    for (task, fraction), at in none.groupby(["task", "fraction"]):
        if (at["extra"] > 0).sum() == 0:
            continue
        points = at.groupby("extra").agg(n=("n_train", "first"), acc=("clean_acc", "mean"), seeds=("seed", "nunique"))
        lines.append(f"- {task}, n_train={int(points['n'].iloc[0]):,}: " + ", ".join(
            f"{int(r.n):,} real {pct(r.acc)} ({r.seeds})" for r in points.itertuples()))
    return lines + [""]


def _vae_mixing(params: str) -> str:
    """A composition's vae share and filter, as the Gowal table names its arms."""
    vae = json.loads(params).get("vae", {})
    return f"ratio {vae.get('ratio')}, tau {vae.get('filter_tau', 0.0)}"


def _attack_label(cells: pd.DataFrame) -> tuple[str, str]:
    """The robust metric the Gowal table compares and what ran behind it, read from the rows' eval_config: the
    per-example worst case with AutoAttack where every row has it, else PGD as configured."""
    config = json.loads(cells["eval_config"].iloc[0])
    pgd = f"PGD-{config['pgd_steps']}, {config['restarts']} start{'s' if config['restarts'] > 1 else ''}"
    if config.get("pgd_iterate") == "strongest":
        pgd += ", strongest iterate"
    examples = f"{config['samples']:,} test digits" if config.get("samples") else "the whole test split"
    if "robust_acc" in cells and cells["robust_acc"].notna().all() and config.get("autoattack"):
        attacks = ", ".join(name.upper() for name in AUTOATTACK_VERSIONS[config["autoattack"]])
        return "robust_acc", f"worst case of FGSM, {pgd} and AutoAttack ({attacks}) on {examples}"
    return "pgd_acc", f"{pgd} on {examples}"


def gowal(rows: pd.DataFrame, every: pd.DataFrame) -> list[str]:
    """adversarial vs adversarial+vae: the default cells (`rows`), and from `every` the scarce arm at the vae's
    untuned mixing (ratio 0.5, no filter), measured before MNIST's scarce default became a filter keeping ~1%: shown
    only where its rows were attacked as the default cells were (the same metric and eval_config)."""
    mnist = rows[(rows["task"] == "mnist") & ~rows["curve"]]
    adversarial = mnist[mnist["method"].isin(["adversarial", "adversarial+vae"])]
    if adversarial.empty:
        return []
    metric, label = _attack_label(adversarial)
    lines = [f"## Gowal et al. on MNIST: adversarial vs adversarial+vae (robust %: {label}, at eps 0.3; 3 seeds, paired by seed)", "",
             "| n_train | arm | clean % | robust % | robust gain vs adversarial (pts, 95% CI) | p |", "|---|---|---|---|---|---|"]
    configs = set(adversarial["eval_config"])
    untuned = every[(every["task"] == "mnist") & (every["method"] == "adversarial+vae") & (every["regime"] == "scarce")
                    & (every["method_params"].map(_vae_mixing) == "ratio 0.5, tau 0.0")]
    left_out = untuned[~untuned["eval_config"].isin(configs)]
    untuned = untuned[untuned["eval_config"].isin(configs)]
    for fraction, at in mnist.groupby("fraction"):
        base = at[at["method"] == "adversarial"].set_index("seed")
        if base.empty:
            continue
        lines.append(f"| {int(base['n_train'].iloc[0]):,} | adversarial | {pct(base['clean_acc'].mean())} | {pct(base[metric].mean())} | | |")
        arms = [(f"{regime}, {_vae_mixing(cells['method_params'].iloc[0]) if len(cells) else ''}", cells)
                for regime in ("scarce", "pool")
                for cells in [at[(at["method"] == "adversarial+vae") & (at["regime"] == regime)]]]
        arms.insert(1, ("scarce, ratio 0.5, tau 0.0: the untuned mixing", untuned[untuned["fraction"] == fraction]))
        for regime, cells in arms:
            arm = cells.set_index("seed")
            common = sorted(set(arm.index) & set(base.index))
            if len(common) < 2:
                continue
            test = paired_test(arm.loc[common, metric].astype(float), base.loc[common, metric].astype(float))
            lines.append(f"| | adversarial+vae ({regime}) | {pct(arm['clean_acc'].mean())} | {pct(arm[metric].mean())} | "
                         f"{ival(arm.loc[common, metric] - base.loc[common, metric])} | {test.p:.3f} |")
    if len(left_out):
        lines += ["", f"The untuned mixing's {len(left_out)} rows (results/generated/) were attacked under another "
                  "evaluation than the default cells above (PGD alone): they are left out rather than paired across attacks."]
    return lines + [""]


def pool_budget(rows: pd.DataFrame) -> list[str]:
    lines = ["## Pool budget on validation (MNIST, 600 digits, 3 seeds; val_acc %, never test)", "",
             "| method | steps | x quick | val_acc mean | seeds' values | CAS % (test, for information) |", "|---|---|---|---|---|---|"]
    pool = rows[(rows["task"] == "mnist") & (rows["fraction"] == 0.5) & (rows["regime"] == "pool") & rows["method"].isin(GENERATORS)]
    params = pool["method_params"].map(json.loads)
    pool = pool[params.map(lambda p: p.get("ratio") == 0.5 and not p.get("filter_tau"))]
    pool = pool.assign(steps=pool["method_params"].map(lambda p: json.loads(p)["steps"]))
    quick = {"gan": 200, "wgan_gp": 100, "vae": 300}
    for (method, steps), cells in pool.groupby(["method", "steps"]):
        lines.append(f"| {method} | {steps:,} | {steps // quick[method]} | {pct(cells['val_acc'].mean())} | "
                     f"{', '.join(pct(v) for v in cells.sort_values('seed')['val_acc'])} | {pct(cells['cas'].mean())} |")
    return lines + [""]


def tuning(rows: pd.DataFrame) -> list[str]:
    """The share/filter candidates per (task, regime), paired by seed with the default (0.5, off) run on one
    thread in the same tuning store; the pick rule of augbench/methods/vae.py SHARE_FILTER (best mean, and its paired
    gain over the default above one standard error) marked `chosen`."""
    from augbench.methods import METHODS

    picks = METHODS.get("vae").SHARE_FILTER["quick"]
    lines = ["## Share and filter on validation (vae, the smaller quick size, 3 seeds; val_acc %, never test)", "",
             "Candidates paired by seed with the default (ratio 0.5, no filter) from the same tuning store (one thread). "
             "A candidate becomes the (task, regime)'s default when it has the best mean and its paired gain exceeds "
             "one standard error (augbench/methods/vae.py, SHARE_FILTER).", "",
             "| task | n_train | regime | ratio | filter_tau | val_acc mean | seeds' values | vs default (pts, ± 1 SE) | kept by the filter | |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for task in ("mnist", "cifar10", "fsdd", "sst2", "trec"):
        vae = rows[(rows["task"] == task) & (rows["method"] == "vae") & (rows["fraction"] == 0.5) & ~rows["curve"]]
        params = vae["method_params"].map(json.loads)
        vae = vae[params.map(lambda p: p["steps"] == (3000 if p.get("data") == "pool" else 300))]  # the default budgets
        params = vae["method_params"].map(json.loads)
        vae = vae.assign(ratio=params.map(lambda p: p.get("ratio")), tau=params.map(lambda p: p.get("filter_tau", 0.0)))
        n = int(vae["n_train"].iloc[0]) if len(vae) else 0
        for regime, at in vae.groupby("regime"):
            default = at[(at["ratio"] == 0.5) & (at["tau"] == 0.0)].set_index("seed")["val_acc"]
            for (ratio, tau), cells in at.groupby(["ratio", "tau"]):
                kept = cells["gen_filter_kept"].mean() if cells["gen_filter_kept"].notna().any() else None
                diff = (cells.set_index("seed")["val_acc"] - default).dropna() * 100
                paired = "–" if (ratio, tau) == (0.5, 0.0) or len(diff) < 2 else \
                    f"{diff.mean():+.2f} ± {diff.std(ddof=1) / np.sqrt(len(diff)):.2f}"
                chosen = picks.get((task, regime), (0.5, 0.0)) == (ratio, tau)
                lines.append(f"| {task} | {n:,} | {regime} | {ratio} | {tau} | {pct(cells['val_acc'].mean())} | "
                             f"{', '.join(pct(v) for v in cells.sort_values('seed')['val_acc'])} | {paired} | "
                             f"{'–' if kept is None else pct(kept) + '%'} | {'chosen' if chosen else ''} |")
        none = rows[(rows["task"] == task) & (rows["method"] == "none") & (rows["fraction"] == 0.5) & ~rows["curve"]]
        lines.append(f"| {task} | {n:,} | (none) | | | {pct(none['val_acc'].mean())} | "
                     f"{', '.join(pct(v) for v in none.sort_values('seed')['val_acc'])} | | | |")
    return lines + [""]


if __name__ == "__main__":
    rows, defaults = stores()
    tuned = stored_only()
    print("# Generated data given a fair test (issue 24): the measurements\n")
    print("Made by `studies/generated/summary.py` from `results/generated/*.sqlite` (made by the scripts in `studies/generated/`) and the "
          "committed baseline. Quick profile, 2-core VM, one torch thread per process.\n")
    print("\n".join(per_task(defaults) + curves(defaults) + gowal(defaults, rows) + pool_budget(rows) + tuning(tuned)))
