"""Shared fixtures: the real data root, seeded RNGs, small real batches and a scratch store."""

from __future__ import annotations

import contextlib
import os
import random
from pathlib import Path

import augbench  # noqa: F401  first: it pins the CPU kernels (augbench/core/policy.py) before numpy and torch load
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
    """Check the environment against the lock first, point AUGBENCH_DATA at the real data for the whole session
    (tests that need another root override it), and run torch on one CPU thread.

    Smoke-sized tensors gain nothing from intra-op threads, and on a shared machine whose cores are busy
    every parallel op waits for a thread that is not scheduled: on the 2-core development VM under load,
    the suite took 8 min with torch's 2 threads. Subprocesses the tests start inherit OMP_NUM_THREADS.
    """
    from augbench.core.environment import EnvironmentMismatch, check_once

    try:  # a library that does not load (or, in the locked venv, a version off the lock) is one line, not 272 errors
        check_once()
    except EnvironmentMismatch as exc:
        pytest.exit(str(exc), returncode=2)
    root = find_data_root()
    if root is not None:
        os.environ["AUGBENCH_DATA"] = str(root)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


@pytest.fixture(scope="session")
def sources(data_root):
    """Verified data sources of every registered task."""
    from augbench.tasks import TASKS

    return {name: TASKS.get(name)().source(data_root) for name in TASKS.list()}


@pytest.fixture(scope="session")
def small_batches(sources):
    """A real float batch (16 examples) and labels per task, as methods see them."""
    from augbench.config.profiles import TrainConfig
    from augbench.tasks import TASKS

    batches = {}
    for name, source in sources.items():
        task = TASKS.get(name)()
        data = task.load(source, 1.0, 0, TrainConfig(train_pool=160, test_limit=10), torch.device("cpu"))
        batches[name] = (task.prepare(data.train.x[:16]), data.train.y[:16].clone())
    return batches


@pytest.fixture(scope="session")
def method_batch(sources, small_batches):
    """method_batch(method, task_name): the batch of `small_batches` as `method.augment` gets it in a sweep.

    For a method that trains on augmented copies of the raw items (`train_views`), that is the first 16
    examples of the same 160-row training split with the task's views: [16, 1 + K, *input_shape].
    """
    from augbench.config.profiles import TrainConfig
    from augbench.tasks import TASKS

    def make(method, task_name: str):
        task = TASKS.get(task_name)()
        data = task.load(sources[task_name], 1.0, 0, TrainConfig(train_pool=160, test_limit=10), torch.device("cpu"))
        if method.raw_train:  # the recordings and their masks, as the sweep gives them (Task.with_raw_train)
            data, _ = task.with_raw_train(sources[task_name], data, torch.device("cpu"))
            return data.train.x[:16], data.train.y[:16].clone()
        spec = method.train_views(len(data.train))
        if spec is None:
            return small_batches[task_name]
        data = task.with_train_views(sources[task_name], data, spec, method.seed, torch.device("cpu"))
        return task.prepare(data.train.x[:16]), data.train.y[:16].clone()

    return make


def record_fit_batches(method) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Wrap a generative method's `step` so every batch its fit draws, (inputs, labels), is recorded in the list
    returned: what a generator was given, for tests of what it may see."""
    seen: list[tuple[torch.Tensor, torch.Tensor]] = []
    original_step = method.step

    def spy(nets, optimizers, next_batch, generator):
        def recorded():
            x, y = next_batch()
            seen.append((x, y))
            return x, y
        return original_step(nets, optimizers, recorded, generator)

    method.step = spy
    return seen


@pytest.fixture(scope="session")
def fitted_method(sources, tmp_path_factory):
    """fitted_method(method, task, seed=0): a method fitted as the sweep fits it, on a real 200-example
    training split with the smoke profile and a session-wide temporary cache (a repeat loads it)."""
    from augbench.config.profiles import TrainConfig
    from augbench.methods import METHODS
    from augbench.methods.base import FitContext
    from augbench.tasks import TASKS

    config = TrainConfig(train_pool=200, test_limit=10)
    cache_dir = tmp_path_factory.mktemp("fitted-methods")
    splits = {}

    def make(method_name: str, task_name: str, seed: int = 0):
        task = TASKS.get(task_name)()
        source = sources[task_name]
        if task_name not in splits:
            splits[task_name] = task.load(source, 1.0, 0, config, torch.device("cpu")).train
        cls = METHODS.get(method_name)
        method = cls(cls.Params(), task, seed)
        front_end = None
        if cls.raw_train:  # it trains on the recordings, through the cell's front end (as the sweep hands it over)
            front_end = task.with_raw_train(source, task.load(source, 1.0, 0, config, torch.device("cpu")),
                                            torch.device("cpu"))[1]
        cell = {"task": task_name, "task_params": task.params_dict(), "seed": seed, "fraction": 1.0,
                "profile": "smoke", "train_config": {"train_pool": config.train_pool},
                "data_variant": source.variant, "data_checksum": source.checksum}
        # The cell's own split stands in for the unlabelled pool (self_training's): the whole train split of
        # every task would make these contract tests slow, and a pool generator is not what they exercise.
        method.fit(splits[task_name], FitContext(cell, "smoke", torch.device("cpu"), cache_dir, progress=False,
                                                 pool=lambda: splits[task_name], front_end=front_end))
        return method

    return make


@pytest.fixture
def existing_store(tmp_path) -> Path:
    """A store holding one ok row, for tests that check bad input leaves a store untouched."""
    from augbench.results.record import RunRecord
    from augbench.results.store import Store

    path = tmp_path / "runs.sqlite"
    with Store(path) as store:
        store.put(RunRecord(run_id="feedface00000000", task="mnist", method="none", seed=0, fraction=1.0, profile="smoke",
                            method_params="{}", task_params="{}", train_config="{}", eval_config="{}", data_variant="mnist-idx",
                            data_checksum="0" * 64, status="ok", clean_acc=0.9))
    return path


@pytest.fixture
def bad_param_run(tmp_path, capsys):
    """Run a smoke sweep with one `--param` and return (exit status, stderr, whether the store file exists):
    bad input must be one line on stderr, exit 2, and leave no store behind."""
    from augbench.cli import main

    def run(task: str, method: str, value: str) -> tuple[int, str, bool]:
        store = tmp_path / "runs.sqlite"
        status = main(["run", "--profile", "smoke", "--tasks", task, "--methods", method, "--param", value,
                       "--store", str(store), "--no-progress"])
        return status, capsys.readouterr().err.strip(), store.exists()

    return run


def smoke_trained_mnist(source, test_limit: int):
    """(task, model, data): the MNIST CNN (width 8) trained 2 epochs on a 2,000-image pool, without augmentation,
    and `test_limit` test examples: a model with real accuracy and attackable, in seconds."""
    from augbench.config.profiles import TrainConfig
    from augbench.training.trainer import PassThrough, train
    from augbench.tasks import TASKS

    task = TASKS.get("mnist")()
    config = TrainConfig(epochs=2, batch_size=64, lr=0.05, width=8, train_pool=2000, test_limit=test_limit)
    data = task.load(source, 1.0, 0, config, torch.device("cpu"))
    torch.manual_seed(0)
    model = task.classifier(config)
    train(model, task, data.train, PassThrough(), config, seed=0, progress=False)
    return task, model, data


def fit_mnist_vae_on_pool(source, tmp_path: Path, data: str, steps: int, train_pool: int, test_limit: int):
    """(cell data, the generator pool, every batch the fit drew): a width-8 MNIST `vae` of regime `data` (pool,
    unlabelled) fitted for `steps` steps of 16 on the task's generator pool, its batches recorded."""
    from augbench.config.profiles import TrainConfig
    from augbench.methods import METHODS
    from augbench.methods.base import FitContext
    from augbench.tasks import TASKS

    cpu = torch.device("cpu")
    task = TASKS.get("mnist")()
    cell_data = task.load(source, 1.0, 0, TrainConfig(train_pool=train_pool, test_limit=test_limit), cpu)
    pool_split = task.generator_pool(source, cell_data, cpu)
    cls = METHODS.get("vae")
    method = cls(cls.Params(data=data, steps=steps, width=8, batch_size=16), task, 0)
    batches = record_fit_batches(method)
    cell = {"task": "mnist", "task_params": {}, "seed": 0, "fraction": 1.0, "profile": "smoke", "train_config": {},
            "data_variant": source.variant, "data_checksum": source.checksum}
    method.fit(cell_data.train, FitContext(cell, "smoke", cpu, tmp_path, progress=False, pool=lambda: pool_split))
    return cell_data, pool_split, batches, method


def smoke_cell_row(task: str, data_root: Path, tmp_path: Path, method: str = "none") -> dict:
    """The stored row of one smoke-profile cell (seed 0, the whole pool) run through the sweep into a scratch store."""
    from augbench.results.store import Store
    from augbench.runner.sweep import SweepSpec, run_sweep

    spec = SweepSpec(tasks=[task], methods=[method], seeds=[0], fractions=[1.0], profile="smoke",
                     device=torch.device("cpu"), data_dir=str(data_root))
    with Store(tmp_path / "runs.sqlite") as store:
        run_sweep(spec, store, progress=False)
        row = store.records()[0]
    assert row["status"] == "ok", row["error"]
    return row


# Every way a tensor's value reaches the host, each of which waits for the device.
HOST_READS = ("item", "cpu", "tolist", "numpy", "__bool__")


@contextlib.contextmanager
def _counting_host_reads():
    reads: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        for name in HOST_READS:
            real = getattr(torch.Tensor, name)

            def counting(self, *args, _real=real, _name=name, **kwargs):
                reads.append(_name)
                return _real(self, *args, **kwargs)

            patch.setattr(torch.Tensor, name, counting)
        yield reads


@pytest.fixture
def host_reads():
    """`with host_reads() as reads:` lists the host reads of tensor values (item, cpu, ...) made inside."""
    return _counting_host_reads


@pytest.fixture
def private_feature_cache(tmp_path, monkeypatch):
    """Each test featurizes into its own cache and starts with an empty in-memory memo."""
    from augbench.tasks.features import FeatureTask

    monkeypatch.setenv("AUGBENCH_CACHE", str(tmp_path / "cache"))
    FeatureTask._memo.clear()
    yield
    FeatureTask._memo.clear()


@pytest.fixture(scope="session")
def trained_mnist(sources):
    """A smoke-trained MNIST CNN in eval mode and 500 real test digits (a stratified `test_limit`), shared by the
    attack tests: (task, model, test split)."""
    from augbench.config.profiles import TrainConfig
    from augbench.training.trainer import train
    from augbench.methods.none import NoAugmentation
    from augbench.tasks import TASKS

    task = TASKS.get("mnist")()
    config = TrainConfig(epochs=2, batch_size=64, lr=0.05, width=8, train_pool=2000, test_limit=500)
    data = task.load(sources["mnist"], 1.0, 0, config, torch.device("cpu"))
    torch.manual_seed(0)
    model = task.classifier(config)
    train(model, task, data.train, NoAugmentation(NoAugmentation.Params(), task, 0), config, seed=0, progress=False)
    return task, model.eval(), data.test
