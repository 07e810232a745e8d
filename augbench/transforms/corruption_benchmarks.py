"""The published corruption benchmarks, applied to a task's own prepared test images: CIFAR-10-C (15
corruptions x severities 1-5) and MNIST-C (15 corruptions, one severity each).

A benchmark is computed, not downloaded: the suite's test subset is corrupted by the authors' definitions
(augbench/transforms/cifar10_c.py, mnist_c.py), and every draw comes from a seed per (corruption, severity),
so every method and seed is judged on the very same corrupted images. The reference stores np.uint8 of
each result (truncation); so does `corrupt_images`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from augbench.core.seeding import derive_seed
from augbench.transforms import cifar10_c, mnist_c

# Bump when any corruption's output changes, so cached corrupted test sets are made again.
VERSION = 1


@dataclass(frozen=True)
class CorruptionBenchmark:
    name: str
    reference: str  # the paper and the code the definitions follow
    image_shape: tuple[int, ...]  # one uint8 image as the corruptions take it: [H, W, C] or [H, W]
    corruptions: tuple[str, ...]
    severities: tuple[int, ...]  # every corruption at each of these
    corrupt_one: Callable[[np.ndarray, str, int, np.random.RandomState], np.ndarray]

    def cells(self) -> list[tuple[str, int]]:
        """Every (corruption, severity) the benchmark averages over, in its order."""
        return [(name, severity) for name in self.corruptions for severity in self.severities]


BENCHMARKS: dict[str, CorruptionBenchmark] = {
    "cifar10-c": CorruptionBenchmark(
        "cifar10-c", "Hendrycks & Dietterich 2019, hendrycks/robustness make_cifar_c.py", (32, 32, 3),
        tuple(cifar10_c.CORRUPTIONS), cifar10_c.SEVERITIES,
        lambda image, name, severity, rng: cifar10_c.CORRUPTIONS[name](image, severity, rng)),
    "mnist-c": CorruptionBenchmark(
        "mnist-c", "Mu & Gilmer 2019, google-research/mnist-c corruptions.py", (28, 28),
        tuple(mnist_c.CORRUPTIONS), (1,),  # one severity per corruption: the published dataset's (mnist_c.SETTINGS)
        lambda image, name, severity, rng: mnist_c.CORRUPTIONS[name](image, rng)),
}


def corrupt_images(benchmark: str, images: np.ndarray, seed: int,
                   on_cell: Callable[[str, int], None] | None = None) -> dict[tuple[str, int], np.ndarray]:
    """Every (corruption, severity) of `benchmark` applied to `images` (uint8, [N, *image_shape]), as uint8
    arrays of the same shape. Image i of a cell depends only on `seed`, the cell and images[:i + 1]'s draws
    (one random state per cell, drawn in image order, as the reference's loop draws). `on_cell` is called
    before each cell (a progress bar's hook)."""
    spec = BENCHMARKS[benchmark]
    if images.dtype != np.uint8 or images.shape[1:] != spec.image_shape:
        raise ValueError(f"{benchmark} corrupts uint8 images of shape {spec.image_shape}; "
                         f"got {images.dtype} {images.shape[1:]}")
    out = {}
    for name, severity in spec.cells():
        if on_cell is not None:
            on_cell(name, severity)
        rng = np.random.RandomState(derive_seed(seed, f"{benchmark}:{name}:{severity}") % 2 ** 32)
        corrupted = np.empty_like(images)
        for i, image in enumerate(images):
            corrupted[i] = np.uint8(spec.corrupt_one(image.copy(), name, severity, rng))
        out[(name, severity)] = corrupted
    return out
