"""Contract checks for every registered method on every registered task (new entries are covered for free).

Methods are fitted first, as the sweep does (the `fitted_method` fixture: a small real training subset,
the smoke profile, a temporary cache; methods without a generator ignore `fit`). A method that trains on
augmented copies of the raw items gets its batches as the sweep gives them, [N, 1 + K, *input_shape]
(the `method_batch` fixture), and returns [N, *input_shape] like every other method.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from augbench.config.params import NoParams
from augbench.config.profiles import TrainConfig
from augbench.methods import METHODS
from augbench.tasks import TASKS

PAIRS = [(m, t) for m in METHODS.list() for t in TASKS.list() if METHODS.get(m).applies_to(TASKS.get(t))]
REFUSED = [(m, t) for m in METHODS.list() for t in TASKS.list() if not METHODS.get(m).applies_to(TASKS.get(t))]


def model_for(task_name: str) -> nn.Module:
    return TASKS.get(task_name)().classifier(TrainConfig(width=4))


def assert_targets(out_y: torch.Tensor, y: torch.Tensor, task_name: str) -> None:
    """The labels come back unchanged, or (mixing methods) as probability targets [N, C]: float,
    non-negative, each row summing to 1, on the labels' device."""
    assert out_y.device == y.device
    if out_y.dtype == torch.int64:
        assert torch.equal(out_y, y)
        return
    assert out_y.dtype == torch.float32 and out_y.shape == (len(y), TASKS.get(task_name).num_classes)
    assert bool((out_y >= 0).all())
    assert torch.allclose(out_y.sum(dim=1), torch.ones(len(y), device=out_y.device), atol=1e-6)


@pytest.mark.parametrize("method_name,task_name", PAIRS)
def test_keeps_shape_dtype_device_labels_and_range(method_name, task_name, method_batch, fitted_method):
    method = fitted_method(method_name, task_name)
    x, y = method_batch(method, task_name)
    x_before, y_before = x.clone(), y.clone()
    out_x, out_y = method.augment(x, y, model_for(task_name))
    assert out_x.shape == (len(y), *TASKS.get(task_name)().input_shape)
    assert out_x.dtype == x.dtype and out_x.device == x.device
    assert_targets(out_y, y_before, task_name)
    bounds = TASKS.get(task_name).input_range
    if bounds is not None:  # standardized features are unbounded
        assert out_x.min() >= bounds[0] and out_x.max() <= bounds[1]
    assert bool(torch.isfinite(out_x).all())
    assert torch.equal(x, x_before) and torch.equal(y, y_before), "augment modified its input"


@pytest.mark.parametrize("method_name,task_name", PAIRS)
def test_same_seed_same_output(method_name, task_name, method_batch, fitted_method):
    x, y = method_batch(fitted_method(method_name, task_name, seed=5), task_name)
    model = model_for(task_name)
    a = fitted_method(method_name, task_name, seed=5).augment(x, y, model)[0]
    b = fitted_method(method_name, task_name, seed=5).augment(x, y, model)[0]
    assert torch.equal(a, b)


@pytest.mark.parametrize("method_name,task_name", PAIRS)
def test_batch_of_one_and_empty_batch(method_name, task_name, method_batch, fitted_method):
    method, model = fitted_method(method_name, task_name), model_for(task_name)
    x, y = method_batch(method, task_name)
    shape = TASKS.get(task_name)().input_shape
    one_x, one_y = method.augment(x[:1], y[:1], model)
    assert one_x.shape == (1, *shape)
    assert_targets(one_y, y[:1], task_name)
    empty_x, empty_y = method.augment(x[:0], y[:0], model)
    assert empty_x.shape == (0, *shape) and len(empty_y) == 0
    assert_targets(empty_y, y[:0], task_name)


@pytest.mark.parametrize("method_name", METHODS.list())
def test_params_are_frozen_dataclasses(method_name):
    cls = METHODS.get(method_name)
    params = cls.Params()
    if cls.Params is not NoParams:
        field = next(iter(params.__dataclass_fields__))
        with pytest.raises(Exception):
            setattr(params, field, 0)


@pytest.mark.parametrize("method_name,task_name", REFUSED or [pytest.param(None, None, marks=pytest.mark.skip("every method applies to every task"))])
def test_refuses_a_task_it_has_no_meaning_on(method_name, task_name):
    """A method declares its modalities; on any other task its constructor names the task and what it needs."""
    method_cls, task = METHODS.get(method_name), TASKS.get(task_name)()
    with pytest.raises(ValueError, match=task_name):
        method_cls(method_cls.default_params("smoke", task), task, 0)
