"""Stratified, seeded subsets: the train fraction and the profiles' pools keep every class's share."""

from __future__ import annotations

import numpy as np


def stratified_indices(labels: np.ndarray, size: int | float, seed: int) -> np.ndarray:
    """Indices of a class-stratified random subset, sorted.

    Args:
        labels: int array [N] of class ids.
        size: a fraction in (0, 1] of N, or an absolute count (int) of examples.
        seed: the subset's seed; the same seed gives the same subset.

    Every class present keeps at least one example, and per-class counts follow the class shares
    (largest remainders), so a 10% subset of MNIST has 10% of each digit.
    """
    n = len(labels)
    target = int(size) if isinstance(size, (int, np.integer)) else round(float(size) * n)
    classes, counts = np.unique(labels, return_counts=True)
    target = min(max(target, len(classes)), n)
    if target == n:
        return np.arange(n)
    exact = counts * (target / n)
    per_class = np.maximum(np.floor(exact).astype(int), 1)
    shortfall = target - per_class.sum()
    if shortfall > 0:
        order = np.argsort(-(exact - np.floor(exact)), kind="stable")
        for index in order[:shortfall]:
            per_class[index] += 1
    per_class = np.minimum(per_class, counts)
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(labels == c), size=k, replace=False) for c, k in zip(classes, per_class)]
    return np.sort(np.concatenate(chosen))
