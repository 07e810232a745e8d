"""The adversarial method: parameters, validation, and that it buys PGD robustness in a real run."""

from __future__ import annotations

import pytest
import torch

from augbench.cli import main
from augbench.results.store import Store
from augbench.methods.adversarial import Adversarial, AdversarialParams
from augbench.tasks import TASKS


def test_profiles_pick_the_affordable_attack():
    task = TASKS.get("mnist")()
    assert Adversarial.default_params("smoke", task).attack == "fgsm_rs"
    assert (Adversarial.default_params("quick", task).attack, Adversarial.default_params("quick", task).steps) == ("pgd", 3)
    assert Adversarial.default_params("full", task).attack == "pgd"


def test_task_epsilon_and_step_rules_are_resolved_into_the_params():
    mnist = Adversarial(AdversarialParams(), TASKS.get("mnist")(), 0).resolved_params()
    assert mnist["eps"] == 0.3 and mnist["steps"] == 7 and mnist["alpha"] == pytest.approx(2.5 * 0.3 / 7)
    fast = Adversarial(AdversarialParams(attack="fgsm_rs"), TASKS.get("cifar10")(), 0).resolved_params()
    assert fast["eps"] == pytest.approx(8 / 255) and fast["steps"] == 1 and fast["alpha"] == pytest.approx(1.25 * 8 / 255)


@pytest.mark.parametrize("params,message", [
    (AdversarialParams(eps=-0.1), "adversarial.eps=-0.1 is invalid"),
    (AdversarialParams(steps=0), "adversarial.steps=0 is invalid"),
    (AdversarialParams(share=1.5), "adversarial.share=1.5 is invalid"),
    (AdversarialParams(alpha=0.0), "adversarial.alpha=0.0 is invalid"),
])
def test_bad_parameters_are_refused(params, message):
    with pytest.raises(ValueError, match=message):
        Adversarial(params, TASKS.get("mnist")(), 0)


def test_share_zero_leaves_the_batch_alone(small_batches):
    x, y = small_batches["mnist"]
    out, out_y = Adversarial(AdversarialParams(share=0.0), TASKS.get("mnist")(), 0).augment(x, y, None)
    assert torch.equal(out, x) and torch.equal(out_y, y)


def test_share_replaces_only_that_part_of_the_batch(small_batches):
    x, y = small_batches["mnist"]
    from augbench.config.profiles import TrainConfig

    model = TASKS.get("mnist")().classifier(TrainConfig(width=4))
    out, _ = Adversarial(AdversarialParams(share=0.5, attack="fgsm_rs"), TASKS.get("mnist")(), 0).augment(x, y, model)
    assert not torch.equal(out[:8], x[:8]) and torch.equal(out[8:], x[8:])


def test_adversarial_training_raises_pgd_accuracy_over_none(tmp_path):
    path = tmp_path / "runs.sqlite"
    status = main(["run", "--profile", "smoke", "--tasks", "mnist", "--methods", "none,adversarial",
                   "--store", str(path), "--no-progress"])
    assert status == 0
    with Store(path) as store:
        rows = {r["method"]: r for r in store.records()}
    assert rows["adversarial"]["seed"] == rows["none"]["seed"]
    assert rows["adversarial"]["pgd_acc"] > rows["none"]["pgd_acc"] + 0.05
    for row in rows.values():
        assert row["pgd_acc"] <= row["fgsm_acc"] <= row["clean_acc"] + 0.03
        assert row["corruption_acc"] is not None and row["corruption_json"]
