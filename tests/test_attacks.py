"""FGSM and PGD: inside the epsilon ball and the valid range, and ordered PGD <= FGSM <= clean."""

from __future__ import annotations

import pytest
import torch

from augbench.evaluation.attacks import fgsm, fgsm_random_start, pgd
from augbench.tasks.base import Split

EPS = 0.3


@pytest.fixture(scope="module")
def mnist_model(trained_mnist):
    """A smoke-trained MNIST CNN and 500 real test examples (inputs in [0, 1])."""
    task, model, test = trained_mnist
    model.eval()
    return task, model, task.prepare(test.x), test.y


def acc(model, x, y) -> float:
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


@pytest.mark.parametrize("attack", ["fgsm", "pgd", "fgsm_rs", "fgsm_rs_unclamped"])
def test_adversarial_inputs_stay_in_the_ball_and_the_range(mnist_model, attack):
    task, model, x, y = mnist_model
    generator = torch.Generator().manual_seed(0)
    if attack == "fgsm":
        x_adv = fgsm(model, x, y, EPS)
    elif attack == "pgd":
        x_adv = pgd(model, x, y, EPS, 0.05, 10, generator)
    else:
        x_adv = fgsm_random_start(model, x, y, EPS, 1.25 * EPS, generator, clamp_start=attack == "fgsm_rs")
    assert x_adv.shape == x.shape and x_adv.dtype == x.dtype
    assert (x_adv - x).abs().max() <= EPS + 1e-6
    assert x_adv.min() >= 0 and x_adv.max() <= 1
    assert (x_adv - x).abs().max() > EPS / 2, "the attack did not move the input"


def test_an_unclamped_start_keeps_the_step_random_on_background_pixels(mnist_model):
    """Wong et al.'s MNIST FGSM: with the start clipped into [0, 1], a background pixel (0) that steps up
    always lands on eps (nearly plain FGSM); stepping from the unclipped start it lands anywhere in (0, eps]."""
    task, model, x, y = mnist_model
    background = x == 0
    clipped = fgsm_random_start(model, x, y, EPS, 1.25 * EPS, torch.Generator().manual_seed(0))
    unclipped = fgsm_random_start(model, x, y, EPS, 1.25 * EPS, torch.Generator().manual_seed(0), clamp_start=False)
    inside = lambda adv: ((adv > 1e-6) & (adv < EPS - 1e-6))[background].float().mean().item()
    assert inside(clipped) < 0.01
    assert inside(unclipped) > 0.1  # the share of upward steps whose start was below -0.075: ~3/8 of them


def test_pgd_is_at_most_fgsm_is_at_most_clean(mnist_model):
    task, model, x, y = mnist_model
    clean = acc(model, x, y)
    fgsm_acc = acc(model, fgsm(model, x, y, EPS), y)
    pgd_acc = acc(model, pgd(model, x, y, EPS, 2.5 * EPS / 10, 10, torch.Generator().manual_seed(0)), y)
    assert clean > 0.8
    assert pgd_acc <= fgsm_acc <= clean
    assert fgsm_acc < clean - 0.1  # an undefended model loses real accuracy at eps 0.3


def test_attacks_restore_the_model_mode_and_leave_parameter_gradients_alone(mnist_model):
    task, model, x, y = mnist_model
    model.train()
    model.zero_grad(set_to_none=True)
    pgd(model, x[:32], y[:32], EPS, 0.1, 3, torch.Generator().manual_seed(0))
    assert model.training
    assert all(p.grad is None for p in model.parameters())
    model.eval()


def test_pgd_is_seeded(mnist_model):
    task, model, x, y = mnist_model
    a = pgd(model, x[:64], y[:64], EPS, 0.1, 3, torch.Generator().manual_seed(1))
    b = pgd(model, x[:64], y[:64], EPS, 0.1, 3, torch.Generator().manual_seed(1))
    c = pgd(model, x[:64], y[:64], EPS, 0.1, 3, torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_robustness_evaluation_and_its_sanity_checks_pass_on_a_real_model(mnist_model):
    from augbench.evaluation.robustness import RobustnessConfig, evaluate_robustness

    task, model, x, y = mnist_model
    test = Split((x * 255).round().to(torch.uint8), y)
    result = evaluate_robustness(model, task, test, RobustnessConfig(samples=300, pgd_steps=5, check_samples=100))
    assert result.problems == []
    m = result.metrics
    assert 0 <= m["pgd_acc"] <= m["fgsm_acc"] <= 1
    assert 0 < m["corruption_acc"] <= 1
    assert set(__import__("json").loads(m["corruption_json"])) == set(task.corruptions)


class _Band(torch.nn.Module):
    """Class 1 wins only within 0.05 of x = 0.6: a walk of sign steps of 0.12 from 0.5 lands in the band (0.62),
    then the gradient sends it back out (0.50), so the last iterate of an even number of steps is correct although
    the walk found an adversarial input on the way."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        inside = 1 - 20 * (x[:, :1] - 0.6).abs()
        return torch.cat([torch.zeros_like(inside), inside], dim=1)


def test_pgd_strongest_keeps_the_adversarial_iterate_the_last_one_lost():
    model, x, y = _Band(), torch.tensor([[0.5]]), torch.tensor([0])
    last = pgd(model, x, y, 0.2, 0.12, 2, torch.Generator().manual_seed(0), random_start=False)
    strongest = pgd(model, x, y, 0.2, 0.12, 2, torch.Generator().manual_seed(0), random_start=False, strongest=True)
    assert torch.allclose(last, torch.tensor([[0.5]])) and model(last).argmax(1).item() == 0
    assert torch.allclose(strongest, torch.tensor([[0.62]])) and model(strongest).argmax(1).item() == 1


def test_pgd_strongest_breaks_every_example_the_last_iterate_breaks_and_stays_in_the_ball(mnist_model):
    task, model, x, y = mnist_model
    eps, alpha, steps = 0.15, 0.1, 10  # steps of 2/3 eps overshoot: the walk oscillates
    last = pgd(model, x, y, eps, alpha, steps, torch.Generator().manual_seed(0))
    strongest = pgd(model, x, y, eps, alpha, steps, torch.Generator().manual_seed(0), strongest=True)
    with torch.no_grad():
        survived_last, survived_strongest = model(last).argmax(1) == y, model(strongest).argmax(1) == y
    assert not (survived_strongest & ~survived_last).any()  # the same walk: its strongest point is never weaker
    assert (strongest - x).abs().max() <= eps + 1e-6 and strongest.min() >= 0 and strongest.max() <= 1


def test_pgd_iterate_choice_is_checked_and_its_default_keeps_stored_run_ids(bad_param_run):
    from augbench.evaluation.robustness import RobustnessConfig

    assert "pgd_iterate" not in RobustnessConfig().identity()
    assert RobustnessConfig(pgd_iterate="strongest").identity()["pgd_iterate"] == "strongest"
    status, err, stored = bad_param_run("mnist", "none", "robust.pgd_iterate=best")
    assert status == 2 and not stored and len(err.splitlines()) == 1
    assert "robust.pgd_iterate=best is invalid: valid choices are last, strongest" in err


def test_pgd_freeze_fooled_stops_an_examples_walk_once_it_is_misclassified():
    model, x, y = _Band(), torch.tensor([[0.5], [0.1]]), torch.tensor([0, 0])
    frozen = pgd(model, x, y, 0.2, 0.12, 2, torch.Generator().manual_seed(0), random_start=False, freeze_fooled=True)
    # the first walk reaches the band (0.62) and stays there; plain PGD steps back out (0.50). The second never
    # reaches the band (0.1 -> 0.22 -> 0.3, the edge of its ball) and walks exactly as plain PGD does.
    plain = pgd(model, x, y, 0.2, 0.12, 2, torch.Generator().manual_seed(0), random_start=False)
    assert torch.allclose(frozen[0], torch.tensor([0.62])) and torch.allclose(plain[0], torch.tensor([0.5]))
    assert torch.allclose(frozen[1], torch.tensor([0.3])) and torch.equal(frozen[1], plain[1])


def test_early_stop_is_pgd_training_only(bad_param_run):
    status, err, stored = bad_param_run("mnist", "adversarial", "adversarial.early_stop=true")
    assert status == 0 or "attack=fgsm_rs" in err  # smoke trains with FGSM-RS: refused, one line, exit 2
    assert status == 2 and not stored and len(err.splitlines()) == 1
