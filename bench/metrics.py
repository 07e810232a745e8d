"""Every metric of the run record, declared once with its unit and direction; report and compare read this."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    higher_is_better: bool
    description: str


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("clean_acc", "fraction", True, "top-1 accuracy on the task's official test split"),
        Metric("fgsm_acc", "fraction", True, "accuracy under L-inf FGSM at the task's epsilon"),
        Metric("pgd_acc", "fraction", True, "accuracy under L-inf PGD (random start) at the task's epsilon"),
        Metric("corruption_acc", "fraction", True, "mean accuracy over the task's fixed corruption set"),
        Metric("fid", "distance", False, "Frechet distance of synthetic vs real test features of the task's reference classifier"),
        Metric("cas", "fraction", True, "real-test accuracy of a classifier trained on synthetic data only"),
        Metric("aug_throughput", "samples/s", True, "steady-state samples/s of method.augment on the run's device"),
        Metric("train_throughput", "samples/s", True, "steady-state training samples/s, augmentation included"),
        Metric("gen_fit_s", "s", False, "seconds spent fitting the method (a generator), 0 when it has none"),
        Metric("train_s", "s", False, "seconds of classifier training, warm-up included"),
        Metric("eval_s", "s", False, "seconds of evaluation"),
        Metric("total_s", "s", False, "seconds for the whole cell, data loading included"),
        Metric("peak_mem_mb", "MiB", False, "CUDA: peak memory allocated by torch; CPU: process peak RSS"),
    ]
}
