"""FGSM-RS's guard against catastrophic overfitting (Wong et al. 2020): roll back and stop on a sharp drop."""

from __future__ import annotations

import json

import pytest
import torch

from augbench.cli import main
from augbench.config.profiles import TrainConfig
from augbench.results.store import Store
from augbench.runner import sweep
from conftest import smoke_trained_mnist
from augbench.methods.adversarial import Adversarial, AdversarialParams
from augbench.methods.base import FitContext
from augbench.tasks import TASKS

CPU = torch.device("cpu")


def test_a_collapse_of_robust_accuracy_rolls_back_to_the_previous_epoch(sources, tmp_path, monkeypatch):
    task, model, data = smoke_trained_mnist(sources["mnist"], test_limit=200)
    method = Adversarial(AdversarialParams(attack="fgsm_rs", eps=0.05, guard_samples=256, on_collapse="stop"), task, 0)
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
    found = method.evaluate(model, data, None)
    assert found["stopped_epoch"] == 1
    (event,) = json.loads(found["guard_json"])["events"]
    assert (event["epoch"], event["kept_epoch"], event["action"], event["val_pgd"]) == (2, 1, "stop", 0.0)


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
    method = Adversarial(AdversarialParams(attack="fgsm_rs", eps_warmup=3, on_collapse="stop"), task, 0)
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
                 "--param", "train.epochs=4", "--param", "adversarial.on_collapse=stop", "--no-progress"]) == 0
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


def _guarded_run(tmp_path, accuracies, *params):
    """A 4-epoch smoke MNIST run of FGSM-RS with the guard judging `accuracies` (clean, robust) after each
    epoch (the first 4), the step of every training attack recorded. Returns (row, steps by epoch, weights)."""
    with pytest.MonkeyPatch.context() as monkeypatch:  # undone on return: two runs in one test do not stack
        from augbench.methods import adversarial

        judged = iter(accuracies)
        real_guard = Adversarial.guard_accuracy
        monkeypatch.setattr(Adversarial, "guard_accuracy",
                            lambda self, m: next(judged, None) or real_guard(self, m))  # evaluate's own look is real
        steps: list[list[float]] = [[] for _ in range(4)]
        epoch = [0]  # the training epoch under way; None once training is over (the sweep then times `augment`)
        real_attack = adversarial.fgsm_random_start

        def attack(model, x, y, eps, alpha, *rest):
            if epoch[0] is not None:
                steps[epoch[0]].append(alpha)
            return real_attack(model, x, y, eps, alpha, *rest)

        monkeypatch.setattr(adversarial, "fgsm_random_start", attack)
        real_end_epoch = Adversarial.end_epoch

        def end_epoch(self, model, finished):
            epoch[0] = finished
            return real_end_epoch(self, model, finished)

        monkeypatch.setattr(Adversarial, "end_epoch", end_epoch)
        weights = {}
        real_evaluate = Adversarial.evaluate

        def evaluate(self, model, data, context):
            epoch[0] = None
            weights.update({k: v.clone() for k, v in model.state_dict().items()})
            return real_evaluate(self, model, data, context)

        monkeypatch.setattr(Adversarial, "evaluate", evaluate)
        monkeypatch.setattr(sweep, "VAL_STRIDE", 1)
        path = tmp_path / "runs.sqlite"
        assert main(["run", "--profile", "smoke", "--tasks", "mnist", "--methods", "adversarial", "--store", str(path),
                     "--param", "train.epochs=4", "--param", "train.train_pool=256", "--param", "train.batch_size=64",
                     "--param", "adversarial.attack=fgsm_rs", *params, "--no-progress"]) == 0
        with Store(path) as store:
            (row,) = store.records()
        return row, steps, weights


def test_shrink_step_rolls_back_shrinks_the_step_and_finishes_the_schedule(tmp_path, monkeypatch):
    # Catastrophic overfitting in epoch 3: PGD accuracy falls from 0.7 to 0.1 while clean accuracy stands.
    row, steps, _ = _guarded_run(tmp_path, [(0.8, 0.6), (0.8, 0.7), (0.8, 0.1), (0.8, 0.75)],
                                 "--param", "adversarial.on_collapse=shrink_step", "--param", "adversarial.shrink_factor=0.5")
    assert row["status"] == "ok" and row["stopped_epoch"] is None  # it went on
    curve = json.loads(row["val_curve"])
    assert len(curve) == 4 and curve[2] == curve[1]  # all 4 epochs; epoch 3 was rolled back to epoch 2's weights
    guard = json.loads(row["guard_json"])
    (event,) = guard["events"]
    assert (event["epoch"], event["kept_epoch"], event["action"]) == (3, 2, "shrink_step")
    full = steps[0][0]
    assert all(a == full for a in steps[0] + steps[1] + steps[2])  # the full step up to the trip
    assert all(a == 0.5 * full for a in steps[3]) and event["alpha"] == 0.5 * full  # half of it after
    assert json.loads(row["method_params"])["on_collapse"] == "shrink_step"


def test_the_default_shrinks_by_0_8_and_inert_options_stay_out_of_the_identity():
    task = TASKS.get("mnist")()
    resolved = Adversarial(AdversarialParams(attack="fgsm_rs"), task, 0).resolved_params()
    assert (resolved["on_collapse"], resolved["shrink_factor"]) == ("shrink_step", 0.8)
    for inert in (AdversarialParams(attack="pgd"), AdversarialParams(attack="fgsm_rs", guard=False),
                  AdversarialParams(attack="fgsm_rs", on_collapse="stop")):
        assert not {"on_collapse", "shrink_factor"} & set(Adversarial(inert, task, 0).resolved_params())


def test_stop_ends_training_and_leaves_the_old_identity(tmp_path):
    row, steps, _ = _guarded_run(tmp_path, [(0.8, 0.6), (0.8, 0.7), (0.8, 0.1)], "--param", "adversarial.on_collapse=stop")
    assert row["stopped_epoch"] == 2 and steps[3] == []  # no fourth epoch
    assert json.loads(row["guard_json"])["events"][0]["action"] == "stop"
    assert "on_collapse" not in json.loads(row["method_params"])  # rows stored before the option keep their run_ids


def test_the_guard_leaves_a_run_alone_while_validation_robust_accuracy_rises(tmp_path):
    rising = [(0.7, 0.3), (0.8, 0.4), (0.85, 0.5), (0.9, 0.6)]
    row, steps, weights = _guarded_run(tmp_path / "shrink", rising)  # the default: shrink_step
    stop_row, stop_steps, stop_weights = _guarded_run(tmp_path / "stop", rising, "--param", "adversarial.on_collapse=stop")
    assert row["stopped_epoch"] is None and json.loads(row["guard_json"])["events"] == []
    assert len(set(a for epoch in steps for a in epoch)) == 1  # one step size throughout
    # The option acts only when the guard trips: otherwise the run is the same computation as with `stop`.
    assert steps == stop_steps and all(torch.equal(weights[k], stop_weights[k]) for k in weights)
    assert row["clean_acc"] == stop_row["clean_acc"] and row["pgd_acc"] == stop_row["pgd_acc"]


def test_bad_on_collapse_is_one_line_naming_the_choices(tmp_path, capsys):
    path = tmp_path / "runs.sqlite"
    assert main(["run", "--profile", "smoke", "--tasks", "mnist", "--methods", "adversarial", "--store", str(path),
                 "--param", "adversarial.on_collapse=continue", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "continue" in err and "shrink_step" in err and "stop" in err
    assert not path.exists()
