"""Speed of the per-batch hot paths, measured by pytest-benchmark (never asserted on)."""

from __future__ import annotations

import pytest
import torch

from bench.profiles import TrainConfig
from methods import METHODS
from tasks import TASKS


@pytest.mark.parametrize("method_name", METHODS.list())
def test_augment_throughput_cifar10_batch_256(benchmark, method_name, small_batches, fitted_method):
    """Generative methods are timed with their smoke-profile generator (fitted first, as in a sweep)."""
    x, y = small_batches["cifar10"]
    x, y = x.repeat(16, 1, 1, 1), y.repeat(16)
    method = fitted_method(method_name, "cifar10")
    model = TASKS.get("cifar10")().classifier(TrainConfig(width=8))
    out_x, _ = benchmark(method.augment, x, y, model)
    assert out_x.shape == x.shape
