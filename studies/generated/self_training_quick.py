"""The table of studies/generated/self_training_quick.sh: self-training on the unlabelled pool beside `none`, the
generators fitted on that pool (the committed baseline's `(pool)` rows) and the scarce ones, paired by seed.

    .venv/bin/python studies/generated/self_training_quick.py STORE > results/generated/self-training-quick.md
"""

from __future__ import annotations

import json
import sys

sys.path.insert(0, ".")

from augbench.reporting.exchange import generator_regime  # noqa: E402
from augbench.reporting.stats import paired_test  # noqa: E402
from augbench.results.export import read_rows  # noqa: E402

BASELINE = "results/baselines/quick-cpu.json"
ARMS = ["gan", "wgan_gp", "vae", "diffusion"]


def arm_line(task: str, n_train: int, name: str, consumed: str, arm, none, seconds: float) -> str:
    """One line of an arms table: the arm's clean accuracy on the seeds it shares with `none` (clean accuracy by
    seed) and its paired gain over `none` there, with the 95% t-interval and p; `none`'s own line says baseline."""
    if arm["seed"].duplicated().any():
        sys.exit(f"{task} {name}: several rows per seed ({len(arm)} rows)")
    acc = arm.set_index("seed")["clean_acc"]
    common = sorted(set(acc.index) & set(none.index))
    if name == "none":
        gain, p = "baseline", ""
    else:
        test = paired_test(acc.loc[common].astype(float), none.loc[common].astype(float))
        gain = f"{100 * test.diff.mean:+.2f} [{100 * test.diff.low:+.2f}, {100 * test.diff.high:+.2f}]"
        p = f"{test.p:.3f}"
    return f"| {task} | {n_train:,} | {name} | {consumed} | {100 * acc.loc[common].mean():.2f} | {gain} | {p} | {seconds:.0f} |"


def main(store: str) -> None:
    rows = read_rows(store)
    rows = rows[rows["status"] == "ok"]
    base = read_rows(BASELINE)
    base = base[(base["status"] == "ok") & base["task"].isin(rows["task"].unique())
                & base["fraction"].isin(rows["fraction"].unique())]
    seeds = sorted(rows["seed"].unique())
    print("# Self-training on the unlabelled pool beside the generators fitted on it (issue 36, point 2)\n")
    print("Made by `studies/generated/self_training_quick.sh` (the 2-core VM, the execution policy; commit "
          f"{rows['git_commit'].iloc[0][:8]}): `self_training` at the quick profile's settings, chosen on validation "
          "(results/tuning/self-training-validation.md; " + ", ".join(
              f"{task}: keep {json.loads(p)['keep']:g}, share {json.loads(p)['share']:g}"
              for task, p in rows.groupby("task")["method_params"].first().items()) + "), seeds "
          f"{', '.join(map(str, seeds))}. The other lines are the committed baseline's rows of the same cells and "
          "seeds. Gain: clean accuracy minus `none`'s on the same seed, mean and 95% t-interval (unadjusted: one "
          "first measurement, no verdict). Seconds: mean total per cell.\n")
    print("| task | n_train | arm | what it consumed | clean % | gain vs none (pts) | p | s per cell |")
    print("|---|---|---|---|---|---|---|---|")
    for task, cells in rows.groupby("task", sort=True):
        fraction = cells["fraction"].iloc[0]
        # the same cells: task, size, seeds and training configuration (not the exchange-rate curve's extra-real rows)
        table = base[(base["task"] == task) & (base["fraction"] == fraction) & base["seed"].isin(seeds)
                     & (base["train_config"] == cells["train_config"].iloc[0])
                     & (base["task_params"] == cells["task_params"].iloc[0])]
        none = table[table["method"] == "none"].set_index("seed")["clean_acc"]
        n_train = int(cells["n_train"].iloc[0])
        lines = [("none", f"{n_train} labels", table[table["method"] == "none"])]
        lines.append(("self_training", f"{n_train} labels + the pool's inputs", cells))
        for method in ARMS:
            arm = table[table["method"] == method]
            regime = arm["method_params"].map(generator_regime)
            if (regime == "pool").any():
                lines.append((f"{method} (pool)", "the pool's inputs and labels", arm[regime == "pool"]))
            if (regime == "scarce").any():
                lines.append((f"{method} (scarce)", f"{n_train} labels", arm[regime == "scarce"]))
        for name, consumed, arm in lines:
            print(arm_line(task, n_train, name, consumed, arm, none, arm["total_s"].mean()))
    kept = rows.groupby("task")["gen_filter_kept"].mean()
    print("\nShare of the pool the teacher kept (per label, most confident first): "
          + ", ".join(f"{task} {100 * share:.0f}%" for task, share in kept.items()) + ".")


if __name__ == "__main__":
    main(sys.argv[1])
