"""Stratified, seeded subsets: the train fraction and the profiles' pools keep every class's share."""

from __future__ import annotations

import numpy as np


def stratified_indices(labels: np.ndarray, size: int | float, seed: int) -> np.ndarray:
    """Indices of a class-stratified random subset, sorted.

    Args:
        labels: int array [N] of class ids.
        size: a fraction in (0, 1] of N, or an absolute count (int) of examples.
        seed: the subset's seed; the same seed gives the same subset.

    Per-class counts follow the class shares by largest remainders: each class gets the floor or the
    ceiling of its exact share, and the counts add up to exactly the requested size (at least 1, at most
    N). So a 10% subset of MNIST has 10% of each digit, and a class whose share is below one example may
    get none rather than push the subset over its size (ties go to the rarer class).
    """
    n = len(labels)
    target = int(size) if isinstance(size, (int, np.integer)) else round(float(size) * n)
    classes, counts = np.unique(labels, return_counts=True)
    target = min(max(target, 1), n)
    if target == n:
        return np.arange(n)
    exact = counts * (target / n)
    per_class = np.floor(exact).astype(int)
    shortfall = target - per_class.sum()
    order = np.lexsort((counts, -(exact - per_class)))  # largest remainder first; ties go to the rarer class
    per_class[order[:shortfall]] += 1
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(labels == c), size=k, replace=False) for c, k in zip(classes, per_class)]
    return np.sort(np.concatenate(chosen))
