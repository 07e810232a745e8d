"""Contract checks for every registered method on every registered task (new entries are covered for free).

Methods are fitted first, as the sweep does: on a small real training subset with the smoke profile and
a temporary cache (methods without a generator ignore `fit`).
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from bench.params import NoParams
from bench.profiles import TrainConfig
from methods import METHODS
from methods.base import FitContext
from tasks import TASKS

PAIRS = [(m, t) for m in METHODS.list() for t in TASKS.list()]
FIT_CONFIG = TrainConfig(train_pool=200, test_limit=10)


@pytest.fixture(scope="module")
def fit_splits(sources):
    """A real 200-example training split per task, as `fit` receives it."""
    splits = {}
    for name, source in sources.items():
        task = TASKS.get(name)()
        splits[name] = task.load(source, 1.0, 0, FIT_CONFIG, torch.device("cpu")).train
    return splits


@pytest.fixture(scope="module")
def build(fit_splits, sources, tmp_path_factory):
    """build(method, task, seed): a method fitted with the smoke profile (a repeat hits the module's cache)."""
    cache_dir = tmp_path_factory.mktemp("contract-cache")

    def make(method_name: str, task_name: str, seed: int = 0):
        cls = METHODS.get(method_name)
        task = TASKS.get(task_name)()
        method = cls(cls.Params(), task, seed)
        source = sources[task_name]
        cell = {"task": task_name, "task_params": task.params_dict(), "seed": seed, "fraction": 1.0,
                "profile": "smoke", "train_config": {"train_pool": FIT_CONFIG.train_pool},
                "data_variant": source.variant, "data_checksum": source.checksum}
        method.fit(fit_splits[task_name], FitContext(cell, "smoke", torch.device("cpu"), cache_dir, progress=False))
        return method

    return make


def model_for(task_name: str) -> nn.Module:
    return TASKS.get(task_name)().classifier(TrainConfig(width=4))


@pytest.mark.parametrize("method_name,task_name", PAIRS)
def test_keeps_shape_dtype_device_labels_and_range(method_name, task_name, small_batches, build):
    x, y = small_batches[task_name]
    method = build(method_name, task_name)
    x_before, y_before = x.clone(), y.clone()
    out_x, out_y = method.augment(x, y, model_for(task_name))
    assert out_x.shape == x.shape and out_x.dtype == x.dtype and out_x.device == x.device
    assert torch.equal(out_y, y_before)
    low, high = TASKS.get(task_name).input_range
    assert out_x.min() >= low and out_x.max() <= high
    assert torch.equal(x, x_before) and torch.equal(y, y_before), "augment modified its input"


@pytest.mark.parametrize("method_name,task_name", PAIRS)
def test_same_seed_same_output(method_name, task_name, small_batches, build):
    x, y = small_batches[task_name]
    model = model_for(task_name)
    a = build(method_name, task_name, seed=5).augment(x, y, model)[0]
    b = build(method_name, task_name, seed=5).augment(x, y, model)[0]
    assert torch.equal(a, b)


@pytest.mark.parametrize("method_name,task_name", PAIRS)
def test_batch_of_one_and_empty_batch(method_name, task_name, small_batches, build):
    x, y = small_batches[task_name]
    method, model = build(method_name, task_name), model_for(task_name)
    one_x, one_y = method.augment(x[:1], y[:1], model)
    assert one_x.shape == x[:1].shape and torch.equal(one_y, y[:1])
    empty_x, empty_y = method.augment(x[:0], y[:0], model)
    assert empty_x.shape == x[:0].shape and empty_y.shape == (0,)


@pytest.mark.parametrize("method_name", METHODS.list())
def test_params_are_frozen_dataclasses(method_name):
    cls = METHODS.get(method_name)
    params = cls.Params()
    if cls.Params is not NoParams:
        field = next(iter(params.__dataclass_fields__))
        with pytest.raises(Exception):
            setattr(params, field, 0)
