"""Self-training on the unlabelled pool: the pool's labels are never read, the teacher's confident labels are
mostly right, the threshold keeps fewer examples as it rises, and a share of each batch is replaced."""

from __future__ import annotations

import pytest
import torch

from augbench.config.profiles import TrainConfig
from augbench.methods.base import FitContext
from augbench.methods.self_training import SelfTraining, SelfTrainingParams
from augbench.tasks import TASKS
from augbench.tasks.base import Split


@pytest.fixture(scope="module")
def mnist_cell(sources, tmp_path_factory):
    """A 300-digit labelled split and a 3,000-digit unlabelled pool of real MNIST training digits (disjoint)."""
    task = TASKS.get("mnist")()
    config = TrainConfig(train_pool=3300, test_limit=10)
    data = task.load(sources["mnist"], 1.0, 0, config, torch.device("cpu"))
    train = Split(data.train.x[:300], data.train.y[:300])
    pool = Split(data.train.x[300:3300], data.train.y[300:3300])
    return task, train, pool, tmp_path_factory.mktemp("self-training")


def fitted(task, train, pool_x, cache, keep=0.5, share=0.5):
    method = SelfTraining(SelfTrainingParams(share=share, keep=keep), task, 0)
    unlabelled = Split(pool_x, torch.full((len(pool_x),), -1, dtype=torch.int64))  # labels it must never use
    # The quick profile's teacher (30 epochs): the smoke profile's single epoch on 300 digits calls most digits 0 or 4.
    cell = {"task": "mnist", "seed": 0, "fraction": 1.0, "profile": "quick"}
    method.fit(train, FitContext(cell, "quick", torch.device("cpu"), cache, progress=False, pool=lambda: unlabelled))
    return method


def test_the_teacher_labels_the_pool_without_its_labels_and_mostly_right(mnist_cell):
    task, train, pool, cache = mnist_cell
    method = fitted(task, train, pool.x, cache)
    assert method.kept.y.min() >= 0 and method.kept.y.max() < 10  # from the teacher: the pool's labels were all -1
    assert method.kept_share == pytest.approx(len(method.kept.y) / len(pool.y)) and abs(method.kept_share - 0.5) < 0.01
    # which pool rows were kept: every kept input is a pool input, and its pseudo-label agrees with the true one mostly
    flat = pool.x.reshape(len(pool.x), -1)
    rows = [int(torch.nonzero((flat == k.reshape(1, -1)).all(dim=1))[0]) for k in method.kept.x[:200]]
    agreement = float((pool.y[rows] == method.kept.y[:200]).double().mean())
    assert agreement > 0.85, agreement


def test_keeping_less_keeps_the_more_confident_and_cleaner_examples(mnist_cell):
    task, train, pool, cache = mnist_cell
    loose, strict = fitted(task, train, pool.x, cache, keep=0.9), fitted(task, train, pool.x, cache, keep=0.2)
    assert len(strict.kept.y) < len(loose.kept.y)

    def accuracy(method):
        flat = pool.x.reshape(len(pool.x), -1)
        rows = [int(torch.nonzero((flat == k.reshape(1, -1)).all(dim=1))[0]) for k in method.kept.x[:300]]
        return float((pool.y[rows] == method.kept.y[:300]).double().mean())
    assert accuracy(strict) >= accuracy(loose)
    # per label: every label the teacher gives keeps its share, so the kept set has the teacher's class balance
    assert set(strict.kept.y.tolist()) == set(loose.kept.y.tolist())


def test_a_share_of_the_batch_is_replaced_and_the_batch_is_not_modified(mnist_cell):
    task, train, pool, cache = mnist_cell
    method = fitted(task, train, pool.x, cache, share=0.25)
    x, y = task.prepare(train.x[:64]), train.y[:64]
    before = x.clone()
    out_x, out_y = method.augment(x, y, torch.nn.Identity())
    assert torch.equal(x, before) and out_x.shape == x.shape and out_x.dtype == x.dtype
    changed = (out_x != x).flatten(1).any(dim=1)
    assert 14 <= int(changed.sum()) <= 16  # 16 positions replaced (a pick may equal the original)
    assert torch.equal(out_y, y)  # each by a kept example the teacher gave that position's label
    kept = {tuple(k.flatten().tolist()): int(label) for k, label in zip(task.prepare(method.kept.x), method.kept.y)}
    assert all(kept[tuple(out_x[i].flatten().tolist())] == int(y[i]) for i in changed.nonzero().flatten())


@pytest.mark.parametrize("value, message", [("self_training.share=1.5", "self_training.share=1.5 is invalid"),
                                            ("self_training.keep=0", "self_training.keep=0.0 is invalid")])
def test_bad_settings_are_one_line_exit_2_and_no_store(bad_param_run, value, message):
    status, err, stored = bad_param_run("mnist", "self_training", value)
    assert status == 2 and not stored and len(err.splitlines()) == 1 and message in err


def test_the_quick_profile_takes_the_settings_validation_chose():
    from augbench.methods.self_training import QUICK_SETTINGS

    mnist, cifar, trec = TASKS.get("mnist")(), TASKS.get("cifar10")(), TASKS.get("trec")()
    assert SelfTraining.default_params("quick", mnist) == SelfTrainingParams(keep=1.0, share=0.25)
    assert SelfTraining.default_params("quick", cifar) == SelfTrainingParams(**QUICK_SETTINGS["cifar10"])
    assert SelfTraining.default_params("quick", trec) == SelfTrainingParams()  # not tuned there: the defaults
    assert SelfTraining.default_params("smoke", mnist) == SelfTrainingParams()
