"""The validation split: fixed per task, stratified, and never part of any training subset."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from augbench.config.profiles import TrainConfig
from augbench.tasks import TASKS

CPU = torch.device("cpu")


@pytest.mark.parametrize("name", ["mnist", "cifar10", "trec", "fsdd", "sst2"])
def test_validation_rows_are_fixed_and_disjoint_from_every_training_subset(name, sources):
    task = TASKS.get(name)()
    _, y_train, y_test, _ = task.read_arrays(sources[name])
    val = task.val_rows(y_train)
    assert len(val) == min(task.val_size, len(y_train) // 5)
    shares = np.bincount(y_train[val], minlength=task.num_classes) / len(val)
    assert np.allclose(shares, np.bincount(y_train, minlength=task.num_classes) / len(y_train), atol=0.01)
    for profile in ("smoke", "quick", "full"):
        config = task.train_config(profile)
        assert np.array_equal(task.val_rows(y_train), val)  # the same for every profile
        for fraction in (0.01, 0.1, 1.0):
            for seed in (0, 1, 2):
                train_rows, _ = task.select_rows(y_train, y_test, fraction, seed, config)
                assert not np.intersect1d(train_rows, val).size, (profile, fraction, seed)


def test_loaded_validation_split_is_identical_across_seeds_and_fractions(sources):
    task = TASKS.get("trec")()  # a feature task: its validation rows are featurized with each cell's featurizer
    config = task.train_config("smoke")
    a = task.load(sources["trec"], 0.5, 0, config, CPU)
    b = task.load(sources["trec"], 1.0, 1, config, CPU)
    assert torch.equal(a.val.y, b.val.y) and len(a.val) == task.val_size
    image = TASKS.get("mnist")()
    c = image.load(sources["mnist"], 0.1, 0, image.train_config("smoke"), CPU)
    d = image.load(sources["mnist"], 1.0, 2, image.train_config("quick"), CPU)
    assert torch.equal(c.val.x, d.val.x) and torch.equal(c.val.y, d.val.y)
