"""Shared fixtures: the real data root, seeded RNGs, small real batches and a scratch store."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parent.parent


def find_data_root() -> Path | None:
    for candidate in (os.environ.get("AUGBENCH_DATA"), REPO.parent / "shared" / "data"):
        if candidate and Path(candidate, "MNIST").is_dir():
            return Path(candidate)
    return None


@pytest.fixture(autouse=True)
def _seed_everything():
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def data_root() -> Path:
    root = find_data_root()
    if root is None:
        message = "real data not found: set AUGBENCH_DATA or place shared/data beside the checkout"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return root


def pytest_configure(config):
    """Point AUGBENCH_DATA at the real data for the whole session (tests that need another root override it)."""
    root = find_data_root()
    if root is not None:
        os.environ["AUGBENCH_DATA"] = str(root)


@pytest.fixture(scope="session")
def sources(data_root):
    """Verified data sources of every registered task."""
    from tasks import TASKS

    return {name: TASKS.get(name)().source(data_root) for name in TASKS.list()}


@pytest.fixture(scope="session")
def small_batches(sources):
    """A real float batch (16 examples) and labels per task, as methods see them."""
    from bench.profiles import TrainConfig
    from tasks import TASKS

    batches = {}
    for name, source in sources.items():
        task = TASKS.get(name)()
        data = task.load(source, 1.0, 0, TrainConfig(train_pool=160, test_limit=10), torch.device("cpu"))
        batches[name] = (task.prepare(data.train.x[:16]), data.train.y[:16].clone())
    return batches
