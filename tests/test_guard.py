"""FGSM-RS's guard against catastrophic overfitting (Wong et al. 2020): roll back and stop on a sharp drop."""

from __future__ import annotations

import json

import torch

from bench.cli import main
from bench.config.profiles import TrainConfig
from bench.results.store import Store
from bench.run import sweep
from conftest import smoke_trained_mnist
from methods.adversarial import Adversarial, AdversarialParams
from methods.base import FitContext
from tasks import TASKS

CPU = torch.device("cpu")


def test_a_collapse_of_robust_accuracy_rolls_back_to_the_previous_epoch(sources, tmp_path, monkeypatch):
    task, model, data = smoke_trained_mnist(sources["mnist"], test_limit=200)
    method = Adversarial(AdversarialParams(attack="fgsm_rs", eps=0.05, guard_samples=256), task, 0)
    method.fit(data.train, FitContext(cell={}, profile="smoke", device=CPU, cache_dir=tmp_path, val=data.val))
    clean, robust = method.guard_accuracy(model)
    assert clean > 0.5 and robust > 0.3  # a meaningful robust accuracy to fall from
    assert method.end_epoch(model, 1) is False
    kept = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():  # the next epoch moves the weights...
        for parameter in model.parameters():
            parameter.add_(0.01)
    # ...and catastrophic overfitting: clean accuracy stands, PGD accuracy falls to nothing (Wong et al. 2020)
    monkeypatch.setattr(Adversarial, "guard_accuracy", lambda self, m: (clean, 0.0))
    assert method.end_epoch(model, 2) is True
    assert method.stopped_epoch == 1
    assert all(torch.equal(model.state_dict()[k], v) for k, v in kept.items())  # epoch 1's weights are back
    assert method.evaluate(model, data, None) == {"stopped_epoch": 1}


def test_a_model_whose_clean_accuracy_falls_too_is_not_overfitting_to_fgsm(sources, tmp_path):
    task, model, data = smoke_trained_mnist(sources["mnist"], test_limit=200)
    method = Adversarial(AdversarialParams(attack="fgsm_rs", eps=0.05, guard_samples=256), task, 0)
    method.fit(data.train, FitContext(cell={}, profile="smoke", device=CPU, cache_dir=tmp_path, val=data.val))
    assert method.end_epoch(model, 1) is False
    clean_before, robust_before = method.guard_accuracy(model)
    with torch.no_grad():  # an unstable epoch: the model now answers one class, clean and robust alike
        last = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
        last.weight.zero_()
        last.bias.copy_(torch.arange(10.0))
    clean, robust = method.guard_accuracy(model)
    assert robust < robust_before - 0.2 and clean < clean_before - 0.2  # a sharp fall of both
    assert method.end_epoch(model, 2) is False
    assert method.stopped_epoch is None


def test_the_guard_waits_for_the_radius_warm_up(sources, tmp_path, monkeypatch):
    task = TASKS.get("mnist")()
    method = Adversarial(AdversarialParams(attack="fgsm_rs", eps_warmup=3), task, 0)
    data = task.load(sources["mnist"], 1.0, 0, TrainConfig(train_pool=500, test_limit=100), CPU)
    method.fit(data.train, FitContext(cell={}, profile="smoke", device=CPU, cache_dir=tmp_path, val=data.val))
    model = task.classifier(TrainConfig(width=8))
    accuracies = iter([(0.9, 0.6), (0.9, 0.1)])
    monkeypatch.setattr(Adversarial, "guard_accuracy", lambda self, m: next(accuracies))
    scales = []
    for epoch in (1, 2, 3, 4):
        scales.append(method.radius_scale())
        stopped = method.end_epoch(model, epoch)
    assert scales == [1 / 3, 2 / 3, 1.0, 1.0]
    assert stopped is True and method.stopped_epoch == 3  # judged from epoch 3, the first at the full radius


def test_a_small_drop_does_not_stop_training(sources, tmp_path, monkeypatch):
    task = TASKS.get("mnist")()
    method = Adversarial(AdversarialParams(attack="fgsm_rs"), task, 0)
    data = task.load(sources["mnist"], 1.0, 0, TrainConfig(train_pool=500, test_limit=100), CPU)
    method.fit(data.train, FitContext(cell={}, profile="smoke", device=CPU, cache_dir=tmp_path, val=data.val))
    model = task.classifier(TrainConfig(width=8))
    accuracies = iter([(0.8, 0.5), (0.8, 0.35), (0.8, 0.4)])
    monkeypatch.setattr(Adversarial, "guard_accuracy", lambda self, m: next(accuracies))
    assert [method.end_epoch(model, e) for e in (1, 2, 3)] == [False, False, False]
    assert method.stopped_epoch is None


def test_the_row_records_the_epoch_the_guard_kept(tmp_path, monkeypatch):
    accuracies = iter([(0.8, 0.6), (0.8, 0.7), (0.8, 0.1), (0.8, 0.9)])
    monkeypatch.setattr(Adversarial, "guard_accuracy", lambda self, m: next(accuracies))
    monkeypatch.setattr(sweep, "VAL_STRIDE", 1)  # validation after every epoch, to compare epochs 2 and 3
    path = tmp_path / "runs.sqlite"
    assert main(["run", "--profile", "smoke", "--tasks", "mnist", "--methods", "adversarial", "--store", str(path),
                 "--param", "train.epochs=4", "--no-progress"]) == 0
    with Store(path) as store:
        (row,) = store.records()
    assert row["stopped_epoch"] == 2
    curve = json.loads(row["val_curve"])
    assert len(curve) == 3 and curve[2] == curve[1]  # epoch 3 was rolled back to epoch 2's weights
    assert row["val_acc"] == curve[-1]


def test_pgd_training_has_no_guard(sources, tmp_path):
    task = TASKS.get("mnist")()
    method = Adversarial(AdversarialParams(attack="pgd"), task, 0)
    data = task.load(sources["mnist"], 1.0, 0, TrainConfig(train_pool=500, test_limit=100), CPU)
    method.fit(data.train, FitContext(cell={}, profile="smoke", device=CPU, cache_dir=tmp_path, val=data.val))
    assert method.end_epoch(task.classifier(TrainConfig(width=8)), 1) is False
