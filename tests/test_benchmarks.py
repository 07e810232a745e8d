"""Microbenchmarks (`make microbench`, not part of `make test`): the throughput of every method's
augment on a fixed batch of 256 real examples per task, measured by pytest-benchmark, never asserted on.

Generative methods are timed with their smoke-profile generator (fitted first, as in a sweep);
`make microbench` saves each run so `pytest-benchmark compare` can diff commits.
"""

from __future__ import annotations

import pytest

from augbench.config.profiles import TrainConfig
from augbench.methods import METHODS
from augbench.tasks import TASKS

pytestmark = pytest.mark.microbench

BATCH = 256


PAIRS = [(m, t) for m in METHODS.list() for t in TASKS.list() if METHODS.get(m).applies_to(TASKS.get(t))]


@pytest.mark.parametrize("method_name,task_name", PAIRS)
def test_augment_throughput(benchmark, method_name, task_name, method_batch, fitted_method):
    method = fitted_method(method_name, task_name)
    x, y = method_batch(method, task_name)  # [N, 1 + K, ...] for a method that trains on views of the raw items
    repeats = BATCH // len(y)
    x, y = x.repeat(repeats, *([1] * (x.dim() - 1))), y.repeat(repeats)
    model = TASKS.get(task_name)().classifier(TrainConfig(width=8))
    benchmark.extra_info.update(batch=BATCH, task=task_name, method=method_name)
    out_x, _ = benchmark(method.augment, x, y, model)
    assert out_x.shape == (BATCH, *TASKS.get(task_name)().input_shape)
