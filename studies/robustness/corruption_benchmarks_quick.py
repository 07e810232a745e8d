"""The tables of studies/robustness/corruption_benchmarks_quick.sh: per cell, the suite's own corruption accuracy
(the committed baseline's row of the same cell) beside CIFAR-10-C's or MNIST-C's, mCE against `none`, the seconds
the benchmark added, and `none`'s accuracy per corruption beside a published model's.

    .venv/bin/python studies/robustness/corruption_benchmarks_quick.py STORE > results/robustness/corruption-benchmarks.md
"""

from __future__ import annotations

import json
import sys

sys.path.insert(0, ".")
import numpy as np  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

from augbench.reporting.corruption_error import mce  # noqa: E402
from augbench.reporting.stats import mean_interval  # noqa: E402
from studies.robustness.baseline_pairs import pair_with_baseline  # noqa: E402

SAME = ["clean_acc", "fgsm_acc", "pgd_acc", "val_acc"]
# RobustBench's `Standard` CIFAR-10 model (a WRN-28-10 trained without extra augmentation; clean 94.78%) on
# CIFAR-10-C, severities 1-5: RobustBench/robustbench model_info/cifar10/corruptions/unaggregated_results.csv.
# Its mean over the 75 cells is 73.46%, the corruption accuracy RobustBench's leaderboard lists for it.
STANDARD_CLEAN = 0.9478
STANDARD = {
    "gaussian_noise": [0.7778, 0.5788, 0.3919, 0.3261, 0.2767], "shot_noise": [0.8504, 0.7573, 0.5349, 0.4535, 0.3429],
    "impulse_noise": [0.8289, 0.6905, 0.5737, 0.4011, 0.2708], "defocus_blur": [0.9458, 0.9338, 0.8898, 0.7744, 0.5306],
    "glass_blur": [0.5343, 0.5575, 0.5695, 0.4319, 0.4568], "motion_blur": [0.9029, 0.8385, 0.7440, 0.7483, 0.6525],
    "zoom_blur": [0.8771, 0.8455, 0.7748, 0.7029, 0.5798], "snow": [0.8991, 0.8043, 0.8365, 0.8051, 0.7493],
    "frost": [0.8955, 0.8350, 0.7261, 0.7086, 0.5870], "fog": [0.9451, 0.9356, 0.9229, 0.8959, 0.7399],
    "brightness": [0.9475, 0.9438, 0.9378, 0.9281, 0.9070], "contrast": [0.9427, 0.9216, 0.8972, 0.8359, 0.5331],
    "elastic_transform": [0.9047, 0.9022, 0.8586, 0.7894, 0.7341], "pixelate": [0.9195, 0.8604, 0.8002, 0.6035, 0.4155],
    "jpeg_compression": [0.8636, 0.7965, 0.7796, 0.7415, 0.6970],
}


def pct(interval) -> str:
    half = "" if np.isnan(interval.low) else f" ± {100 * (interval.high - interval.low) / 2:.1f}"
    return f"{100 * interval.mean:.1f}{half}"


def main(store: str) -> None:
    merged, moved, _ = pair_with_baseline(store, SAME)
    rows = merged
    print("# CIFAR-10-C and MNIST-C on the quick profile's image cells (issue 34, point 5)\n")
    print("Made by `studies/robustness/corruption_benchmarks_quick.sh` (the 2-core VM, the execution policy; commit "
          f"{rows['git_commit'].iloc[0][:8]}). Each cell is the committed baseline's cell (seeds 0-2) rerun with "
          "`--param robust.corruptions=benchmark`: the same 500 test examples, corrupted by CIFAR-10-C's 15 corruptions "
          "at severities 1-5 or MNIST-C's 15 (augbench/transforms/cifar10_c.py, mnist_c.py). "
          + ("Clean, FGSM, PGD and validation accuracy equal the baseline's in every cell, so both corruption sets "
             "judge the same models." if not moved else f"MOVED against the baseline: {moved}.") + "\n")
    print("## Corruption accuracy: the suite's eight corruptions against the benchmark\n")
    print("Mean ± 95% t half-width over 3 seeds. mCE: Hendrycks & Dietterich's mean corruption error with `none` of "
          "the same seed as the baseline model (augbench/reporting/corruption_error.py); below 100, fewer errors than "
          "`none`. Seconds: the cell's eval_s minus the baseline row's (the corrupted copies were cached by the "
          "first cell of each task, which paid for making them).\n")
    print("| task | n | method | clean % | suite's 8 corruptions % | benchmark % | mCE vs none % | benchmark s added |")
    print("|---|---|---|---|---|---|---|---|")
    for (task, n_train), group in merged.groupby(["task", "n_train"], sort=True):
        none = group[group["method"] == "none"].set_index("seed")
        for method in ["none", "classic", "adversarial"]:
            cells = group[group["method"] == method].set_index("seed")
            scores = [mce(cells.at[s, "corruption_json"], none.at[s, "corruption_json"]) for s in cells.index if s in none.index]
            mce_text = "100 (baseline)" if method == "none" else f"{mean_interval(scores).mean:.1f} ± {(mean_interval(scores).high - mean_interval(scores).low) / 2:.1f}"
            added = (cells["eval_s"] - cells["eval_s_base"]).median()
            print(f"| {task} | {int(n_train):,} | {method} | {pct(mean_interval(cells['clean_acc']))} | "
                  f"{pct(mean_interval(cells['corruption_acc_base']))} | {pct(mean_interval(cells['corruption_acc']))} | "
                  f"{mce_text} | {added:.1f} (median) |")
    print()
    cifar = merged[(merged["task"] == "cifar10") & (merged["method"] == "none")]
    largest = cifar[cifar["n_train"] == cifar["n_train"].max()]
    per = {name: np.mean([np.mean(list(json.loads(j)[name].values())) for j in largest["corruption_json"]]) for name in STANDARD}
    clean = largest["clean_acc"].mean()
    print(f"## CIFAR-10-C per corruption: `none` at {int(largest['n_train'].iloc[0]):,} images beside RobustBench's `Standard`\n")
    print("Accuracy averaged over severities 1-5 (and, for `none`, over 3 seeds), and as a share of the model's clean "
          f"accuracy (`none` {100 * clean:.1f}%, `Standard` {100 * STANDARD_CLEAN:.2f}%). `Standard`: RobustBench's "
          "WRN-28-10 without extra augmentation (model_info/cifar10/corruptions/unaggregated_results.csv).\n")
    print("| corruption | `none` % | share of clean | `Standard` % | share of clean |")
    print("|---|---|---|---|---|")
    ours, theirs = [], []
    for name, levels in STANDARD.items():
        ours.append(per[name] / clean)
        theirs.append(np.mean(levels) / STANDARD_CLEAN)
        print(f"| {name} | {100 * per[name]:.1f} | {ours[-1]:.2f} | {100 * np.mean(levels):.1f} | {theirs[-1]:.2f} |")
    mean_ours = np.mean([per[n] for n in STANDARD])
    print(f"| **mean** | {100 * mean_ours:.1f} | {mean_ours / clean:.2f} | {100 * np.mean([np.mean(v) for v in STANDARD.values()]):.2f} | "
          f"{np.mean([np.mean(v) for v in STANDARD.values()]) / STANDARD_CLEAN:.2f} |")
    rho = spearmanr(ours, theirs)
    print(f"\nRank correlation of the shares over the 15 corruptions (Spearman): {rho.statistic:.2f} (p = {rho.pvalue:.2g}).\n")
    # The suite's own set kept CIFAR-10-C's severity-3 constants for six corruptions: the same definition on other
    # noise draws (gaussian, shot, impulse noise), another library (brightness, JPEG) or a different reading of it (contrast about one
    # mean over all channels instead of one per channel; pixelate area-down and nearest-up instead of PIL's box).
    both = {"gaussian_noise": "gaussian_noise", "shot_noise": "shot_noise", "impulse_noise": "impulse_noise",
            "brightness": "brightness", "jpeg_compression": "jpeg", "contrast": "contrast", "pixelate": "pixelate"}
    print(f"The suite's own corruptions that used CIFAR-10-C's severity-3 constants, against the benchmark's severity 3, "
          f"on the same `none` models ({int(largest['n_train'].iloc[0]):,} images, mean over 3 seeds):\n")
    print("| CIFAR-10-C corruption at severity 3 | benchmark % | the suite's own % | how the suite's differs |")
    print("|---|---|---|---|")
    how = {"contrast": "one mean over all channels", "pixelate": "area-down, nearest-up (CIFAR-10-C: PIL box both ways)",
           "brightness": "the suite's HSV arithmetic in torch (CIFAR-10-C: skimage)",
           "jpeg_compression": "torchvision's codec (CIFAR-10-C: Pillow's), same quality"}
    for name, own in both.items():
        bench3 = np.mean([json.loads(j)[name]["3"] for j in largest["corruption_json"]])
        suite3 = np.mean([json.loads(j)[own] for j in largest["corruption_json_base"]])
        print(f"| {name} | {100 * bench3:.1f} | {100 * suite3:.1f} | {how.get(name, 'other noise draws')} |")
    print()
    mnist = merged[(merged["task"] == "mnist")]
    print("## MNIST-C per corruption\n")
    print("Accuracy % per corruption, mean over 3 seeds, at both quick sizes.\n")
    sizes = sorted(mnist["n_train"].unique())
    methods = ["none", "classic", "adversarial"]
    print("| corruption | " + " | ".join(f"{m} {int(n):,}" for n in sizes for m in methods) + " |")
    print("|---|" + "---|" * (len(sizes) * len(methods)))
    names = list(json.loads(mnist["corruption_json"].iloc[0]))
    from augbench.transforms.mnist_c import CORRUPTIONS
    for name in CORRUPTIONS:
        assert name in names
        values = []
        for n in sizes:
            for m in methods:
                cells = mnist[(mnist["n_train"] == n) & (mnist["method"] == m)]
                values.append(100 * np.mean([json.loads(j)[name]["1"] for j in cells["corruption_json"]]))
        print(f"| {name} | " + " | ".join(f"{v:.1f}" for v in values) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
