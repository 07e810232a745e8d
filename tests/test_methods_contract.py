"""Contract checks for every registered method on every registered task (new entries are covered for free).

Methods are fitted first, as the sweep does (the `fitted_method` fixture: a small real training subset,
the smoke profile, a temporary cache; methods without a generator ignore `fit`).
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from bench.config.params import NoParams
from bench.config.profiles import TrainConfig
from methods import METHODS
from tasks import TASKS

PAIRS = [(m, t) for m in METHODS.list() for t in TASKS.list()]


def model_for(task_name: str) -> nn.Module:
    return TASKS.get(task_name)().classifier(TrainConfig(width=4))


@pytest.mark.parametrize("method_name,task_name", PAIRS)
def test_keeps_shape_dtype_device_labels_and_range(method_name, task_name, small_batches, fitted_method):
    x, y = small_batches[task_name]
    method = fitted_method(method_name, task_name)
    x_before, y_before = x.clone(), y.clone()
    out_x, out_y = method.augment(x, y, model_for(task_name))
    assert out_x.shape == x.shape and out_x.dtype == x.dtype and out_x.device == x.device
    assert torch.equal(out_y, y_before)
    bounds = TASKS.get(task_name).input_range
    if bounds is not None:  # standardized features are unbounded
        assert out_x.min() >= bounds[0] and out_x.max() <= bounds[1]
    assert bool(torch.isfinite(out_x).all())
    assert torch.equal(x, x_before) and torch.equal(y, y_before), "augment modified its input"


@pytest.mark.parametrize("method_name,task_name", PAIRS)
def test_same_seed_same_output(method_name, task_name, small_batches, fitted_method):
    x, y = small_batches[task_name]
    model = model_for(task_name)
    a = fitted_method(method_name, task_name, seed=5).augment(x, y, model)[0]
    b = fitted_method(method_name, task_name, seed=5).augment(x, y, model)[0]
    assert torch.equal(a, b)


@pytest.mark.parametrize("method_name,task_name", PAIRS)
def test_batch_of_one_and_empty_batch(method_name, task_name, small_batches, fitted_method):
    x, y = small_batches[task_name]
    method, model = fitted_method(method_name, task_name), model_for(task_name)
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
