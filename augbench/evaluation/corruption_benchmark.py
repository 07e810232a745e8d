"""Accuracy under a published corruption benchmark (CIFAR-10-C, MNIST-C) on the robustness examples.

The corrupted copies of the examples depend only on the examples and the benchmark's seed, never on the model,
and making them costs seconds per hundred images (CIFAR-10-C's glass blur shuffles pixels one at a time, as
the reference does). They are made once and cached (results/cache/corruptions, keyed by the benchmark's
VERSION, the seed and the images' bytes); every later cell, method and seed loads the same uint8 arrays.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from augbench.core.cache import atomic_save, cache_lock, cache_root, load_verified
from augbench.evaluation.autoattack import classified_correctly
from augbench.transforms.corruption_benchmarks import BENCHMARKS, VERSION, corrupt_images


def to_uint8_images(x: torch.Tensor) -> np.ndarray:
    """Prepared images [N, C, H, W] in [0, 1] as the uint8 arrays the benchmarks corrupt: [N, H, W, C], or
    [N, H, W] for one channel. The suite's images are uint8 / 255, so rounding restores them exactly."""
    images = (x.detach().cpu().double() * 255).round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return images[..., 0] if images.shape[-1] == 1 else np.ascontiguousarray(images)


def from_uint8_images(images: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    """The inverse of `to_uint8_images`, on `like`'s device and dtype."""
    t = torch.from_numpy(images)
    t = t.unsqueeze(1) if t.ndim == 3 else t.permute(0, 3, 1, 2)
    return (t.to(dtype=like.dtype) / 255).to(like.device)


def corrupted_copies(benchmark: str, images: np.ndarray, seed: int, cache_dir: Path | None = None,
                     progress: bool | None = None) -> dict[tuple[str, int], np.ndarray]:
    """Every (corruption, severity) of `benchmark` applied to `images`, from the cache or made and cached now."""
    digest = hashlib.sha256(f"{benchmark}:{VERSION}:{seed}:{images.shape}".encode() + images.tobytes()).hexdigest()[:24]
    path = (cache_dir or cache_root()) / "corruptions" / f"{benchmark}-{digest}.pt"
    with cache_lock(path):  # two cells at once make them once
        payload = load_verified(path)
        if isinstance(payload, dict) and payload.get("key") == digest:
            return {(name, int(severity)): array.numpy() for (name, severity), array in
                    zip(json.loads(payload["cells"]), payload["arrays"])}
        cells = BENCHMARKS[benchmark].cells()
        bar = tqdm(total=len(cells), desc=f"{benchmark} ({len(images)} images)", unit="set", leave=False,
                   disable=(not progress) if progress is not None else None)

        def advance(name: str, severity: int) -> None:
            bar.set_postfix_str(f"{name} {severity}")
            bar.update(1)
        try:
            copies = corrupt_images(benchmark, images, seed, on_cell=advance)
        finally:
            bar.close()
        atomic_save({"key": digest, "cells": json.dumps([list(cell) for cell in copies]),
                     "arrays": [torch.from_numpy(array) for array in copies.values()]}, path)
        return copies


def benchmark_accuracy(model: nn.Module, benchmark: str, x: torch.Tensor, y: torch.Tensor, seed: int,
                       batch_size: int, severities: tuple[int, ...] = (1, 2, 3, 4, 5)) -> dict[str, dict[str, float]]:
    """Accuracy of `model` on each (corruption, severity) of `benchmark` applied to `x`, as
    {corruption: {severity: accuracy}} in the benchmark's order. `severities` picks levels of a benchmark that
    has several (CIFAR-10-C); one with a single published level (MNIST-C) always runs it."""
    copies = corrupted_copies(benchmark, to_uint8_images(x), seed)
    levels = BENCHMARKS[benchmark].severities
    keep = set(levels) if len(levels) == 1 else set(severities)
    result: dict[str, dict[str, float]] = {}
    for (name, severity), images in copies.items():
        if severity not in keep:
            continue
        correct = classified_correctly(model, from_uint8_images(images, x), y, batch_size)
        result.setdefault(name, {})[str(severity)] = float(correct.double().mean()) if len(y) else 0.0
    return result


def mean_accuracy(per_cell: dict[str, dict[str, float]]) -> float:
    """The benchmark's headline: the mean over every corruption and severity."""
    values = [acc for severities in per_cell.values() for acc in severities.values()]
    return sum(values) / len(values)
