"""Every metric of the run record, declared once with its unit, direction and compare tolerance.

Report, plots and compare read metric metadata only from this table, so a new metric is one line here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ToleranceKind = Literal["points", "ratio"]


@dataclass(frozen=True)
class Metric:
    """One column of the run record that measures something.

    `tolerance` is the change `augbench compare` accepts as noise: in percentage points for
    kind "points" (accuracies), as a share of the baseline value for kind "ratio" (throughput, time).
    """

    name: str
    unit: str  # "fraction" metrics are shown in percent
    higher_is_better: bool
    description: str
    label: str  # column header in tables and plot axes
    tolerance: float | None = None  # None: compare skips the metric
    tolerance_kind: ToleranceKind = "points"
    leaderboard: bool = False  # shown as a leaderboard column when any row of the table has it
    min_change: float = 0.0  # in the metric's unit: smaller changes never count, whatever the ratio

    @property
    def scale(self) -> float:
        """Factor from stored value to displayed value (fractions are displayed in percent)."""
        return 100.0 if self.unit == "fraction" else 1.0


# Tolerances are sized to the seed-to-seed noise measured on a shared 2-core CPU, quick profile
# (docs/compare.md, "Tolerances"): the accuracy tolerance covers ~2 sigma of a one-seed difference on
# CIFAR-10 (seed std 0.9 points), throughput and time cover the spread of a machine shared with other jobs.
ACC_TOLERANCE = 2.5  # percentage points
SPEED_TOLERANCE = 0.35  # share of the baseline value
# A ratio of tiny times is all noise (`none` fits in microseconds); half a second is below what a
# shared machine's scheduling moves a cell by.
SECONDS_FLOOR = 0.5  # s

METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("clean_acc", "fraction", True, "top-1 accuracy on the task's official test split", "clean acc %",
               ACC_TOLERANCE, "points", True),
        Metric("fgsm_acc", "fraction", True, "accuracy under L-inf FGSM at the task's epsilon", "FGSM acc %",
               ACC_TOLERANCE, "points", True),
        Metric("pgd_acc", "fraction", True, "accuracy under L-inf PGD (random start) at the task's epsilon", "PGD acc %",
               ACC_TOLERANCE, "points", True),
        Metric("aa_acc", "fraction", True, "accuracy under AutoAttack (Croce & Hein 2020; robust.autoattack: the attacks in aa_json) "
               "at the task's epsilon", "AutoAttack acc %", ACC_TOLERANCE, "points", True),
        Metric("robust_acc", "fraction", True, "per-example worst case over the real-input attacks that ran (images: FGSM, PGD, "
               "AutoAttack; text: word substitutions; audio: waveform PGD): an example counts only if it is correct clean and "
               "survives each",
               "robust acc %", ACC_TOLERANCE, "points", True),
        Metric("wave_acc", "fraction", True, "audio: accuracy under PGD on the waveform at robust.wave_db below each recording's "
               "peak (Carlini & Wagner's dB_x), on its own samples only; the audio rows' robust_acc", "waveform PGD acc %",
               ACC_TOLERANCE, "points"),
        Metric("word_acc", "fraction", True, "text: accuracy under word substitutions on the sentence (PWWS, WordNet synonyms, "
               "at most robust.word_share of the words); the text rows' robust_acc", "word-swap acc %", ACC_TOLERANCE, "points"),
        Metric("corruption_acc", "fraction", True, "mean accuracy over the task's fixed corruption set", "corruption acc %",
               ACC_TOLERANCE, "points", True),
        Metric("fid", "distance", False, "Frechet distance of synthetic vs real test features of the task's reference classifier",
               "FID", 0.15, "ratio", True),
        Metric("cas", "fraction", True, "real-test accuracy of a classifier trained on synthetic data only", "CAS %",
               ACC_TOLERANCE, "points", True),
        Metric("val_acc", "fraction", True, "clean accuracy on the task's held-out validation split (hyperparameters are chosen on it)",
               "val acc %", ACC_TOLERANCE, "points"),
        Metric("aug_throughput", "samples/s", True, "steady-state samples/s of method.augment on the run's device",
               "aug samples/s", SPEED_TOLERANCE, "ratio", True),
        Metric("train_throughput", "samples/s", True, "steady-state training samples/s, augmentation included",
               "train samples/s", SPEED_TOLERANCE, "ratio"),
        Metric("gen_fit_s", "s", False, "seconds the generator took to fit (or a method's training views to build), also on a "
               "cache hit (gen_cache_hit: read from the cache entry); otherwise the fit call's time, about 0", "fit s",
               SPEED_TOLERANCE, "ratio", min_change=SECONDS_FLOOR),
        Metric("train_s", "s", False, "seconds of classifier training, warm-up included", "train s",
               SPEED_TOLERANCE, "ratio", min_change=SECONDS_FLOOR),
        Metric("eval_s", "s", False, "seconds of evaluation", "eval s", SPEED_TOLERANCE, "ratio",
               min_change=SECONDS_FLOOR),
        Metric("total_s", "s", False, "seconds for the whole cell, generator fit and data loading included", "total s",
               SPEED_TOLERANCE, "ratio", True, SECONDS_FLOOR),
        Metric("peak_mem_mb", "MiB", False, "CUDA: peak memory allocated by torch; CPU: process peak RSS", "peak MiB",
               0.25, "ratio"),
    ]
}

# The metrics that time a run or weigh its memory: they move with the machine's load and not with the code's
# numbers, so the CI reference check (augbench/reporting/reference_check.py) reports them and never fails on them.
COST_UNITS = ("s", "samples/s", "MiB")
NUMBER_METRICS = tuple(name for name, m in METRICS.items() if m.unit not in COST_UNITS)
COST_METRICS = tuple(name for name, m in METRICS.items() if m.unit in COST_UNITS)
