"""Robustness sanity checks that hold at any data size: relative to chance, and failing a broken attack."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import augbench.evaluation.robustness as robustness
from augbench.evaluation.attacks import input_gradient
from augbench.evaluation.robustness import RobustnessConfig, evaluate_robustness, majority_rate, wide_eps_problem
from augbench.runner.sweep import VAL_STRIDE, converged, convergence_window, validation_epoch
from conftest import smoke_trained_mnist

CONFIG = RobustnessConfig(samples=300, pgd_steps=5, check_samples=100)


@pytest.fixture(scope="module")
def mnist(sources):
    task, model, data = smoke_trained_mnist(sources["mnist"], test_limit=600)
    return task, model.eval(), data


class Constant(nn.Module):
    """A model at chance: it predicts class 3 whatever the input (but the input still reaches the output)."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(1e-3))

    def forward(self, x):
        logits = torch.zeros(len(x), 10, device=x.device)
        logits[:, 3] = 10.0
        return logits + self.scale * x.flatten(1).mean(1, keepdim=True)


def test_the_limit_is_chance_of_the_checked_examples():
    y = torch.tensor([0] * 60 + [1] * 20 + [2] * 20)
    assert majority_rate(y) == pytest.approx(0.6)
    assert wide_eps_problem(0.62, 0.6, 100, 1.0, 0.03) is None  # within noise of chance
    assert "the attack is not working" in wide_eps_problem(0.9, 0.6, 100, 1.0, 0.03)
    # six balanced classes (TREC): a model keeping 1/6 under the attack is at chance, not above a flat 10%
    assert wide_eps_problem(1 / 6, 1 / 6, 96, 1.0, 0.03) is None


def test_a_correct_attack_passes_on_a_trained_model(mnist):
    task, model, data = mnist
    result = evaluate_robustness(model, task, data.test, CONFIG)
    assert result.problems == [] and result.metrics["near_chance"] is False


def test_a_near_chance_model_is_flagged_not_failed(mnist):
    task, _, data = mnist
    result = evaluate_robustness(Constant(), task, data.test, CONFIG)
    assert result.metrics["near_chance"] is True
    assert not [p for p in result.problems if "not working" in p]


def test_an_attack_that_does_nothing_still_fails_on_a_trained_model(mnist, monkeypatch):
    task, model, data = mnist
    monkeypatch.setattr(robustness, "pgd", lambda model, x, *args, **kwargs: x.clone())
    result = evaluate_robustness(model, task, data.test, CONFIG)
    assert any("the attack is not working" in p for p in result.problems)


def test_an_attack_without_projection_fails(mnist, monkeypatch):
    task, model, data = mnist

    def pgd_without_projection(model, x, y, eps, alpha, steps, generator, input_range=(0.0, 1.0), random_start=True,
                               strongest=False):
        x_adv = x
        for _ in range(steps):
            x_adv = (x_adv + alpha * input_gradient(model, x_adv, y).sign()).clamp(*input_range)  # no eps-ball
        return x_adv.detach()

    monkeypatch.setattr(robustness, "pgd", pgd_without_projection)
    result = evaluate_robustness(model, task, data.test, CONFIG)
    assert any("projection onto the eps-ball is missing" in p for p in result.problems)


def test_the_double_steps_check_compares_one_start_with_one_start(mnist, monkeypatch):
    """Best of N starts is a stronger attack than one start; the masking check runs twice the steps from one
    start, so it must compare with one start's accuracy, or every restart looks like gradient masking
    (the Wong reproduction, 10 starts: 0.227 vs 0.399 "raised")."""
    task, model, data = mnist
    config = RobustnessConfig(samples=300, pgd_steps=5, check_samples=100, restarts=3)
    calls = []

    def start_dependent(model, x, y, eps, alpha, steps, generator, input_range=(0.0, 1.0), random_start=True,
                        strongest=False):
        if steps == config.pgd_steps and eps == task.attack_eps:  # a restart: only the later ones break the model
            calls.append(1)
            return x.clone() if len(calls) == 1 else torch.zeros_like(x)
        return x.clone()  # the double-steps (and wide) runs: as strong as the first start

    monkeypatch.setattr(robustness, "pgd", start_dependent)
    result = evaluate_robustness(model, task, data.test, config)
    assert len(calls) == 3 and result.metrics["pgd_acc"] < 0.5  # the later starts broke it
    assert not [p for p in result.problems if "gradient masking" in p]


def test_restarts_never_raise_pgd_accuracy(mnist):
    task, model, data = mnist
    one = evaluate_robustness(model, task, data.test, CONFIG).metrics["pgd_acc"]
    three = evaluate_robustness(model, task, data.test, RobustnessConfig(samples=300, pgd_steps=5, check_samples=100,
                                                                         restarts=3)).metrics["pgd_acc"]
    assert three <= one


@pytest.mark.parametrize("curve,expected", [
    ([0.5], None),
    ([0.2, 0.4, 0.6, 0.7, 0.705, 0.708, 0.71, 0.712], True),  # last quarter: 0.71, 0.712 moves 0.2 points
    ([0.2, 0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7], False),  # still climbing 5 points per epoch
    ([0.5, 0.6, 0.7, 0.8, 0.81, 0.82, 0.83, 0.70], False),  # a late drop is not convergence
    ([0.40, 0.405], True),
    ([0.40, 0.41], False),  # exactly 1 point is not "less than 1 point"
    # flat with jitter: 1.2 points from lowest to highest, but no trend (CIFAR-10 `none`, 500 validation images)
    ([0.3, 0.45, 0.50, 0.508, 0.508, 0.508, 0.512, 0.506, 0.512, 0.506, 0.508, 0.502, 0.51, 0.514], True),
    ([0.3, 0.4, 0.45, 0.5, 0.52, 0.53, 0.54, 0.55, 0.56, 0.565, 0.57, 0.576], False),  # a slow climb: +1.1 over 3 epochs
])
def test_converged_flag_on_synthetic_curves(curve, expected):
    assert converged(curve) is expected


@pytest.mark.parametrize("curve,expected", [
    ([0.2, None, None, 0.6, 0.70, 0.705, 0.708, 0.71], True),  # unmeasured epochs before the window do not matter
    ([0.2, None, None, 0.5, 0.55, 0.6, 0.65, 0.7], False),
    ([0.2, None, None, 0.5, None, None, None, 0.6, None, 0.70, None, 0.75], False),  # a gap in the window: 0.70 -> 0.75
    ([0.2, None, None, 0.6, None, 0.70, None, None], None),  # one measured epoch in the window cannot be judged
])
def test_converged_ignores_unmeasured_epochs(curve, expected):
    assert converged(curve) is expected


@pytest.mark.parametrize("epochs", [1, 2, 5, 15, 20, 30, 40, 60])
def test_validation_schedule_measures_the_whole_convergence_window_and_a_stride_before_it(epochs):
    measured = [e for e in range(1, epochs + 1) if validation_epoch(e, epochs)]
    window = convergence_window(epochs)
    assert measured[0] == 1 and measured[-1] == epochs
    assert set(range(max(1, epochs - window + 1), epochs + 1)) <= set(measured)
    before = [e for e in measured if e <= epochs - window]
    assert all(b - a <= VAL_STRIDE for a, b in zip(before, before[1:] + [epochs - window + 1]))
    if epochs >= 30:  # the point of the stride: well under every epoch
        assert len(measured) <= 0.55 * epochs


@pytest.mark.parametrize("text,seeds", [("3", [0, 1, 2]), ("1,2", [1, 2]), ("3,", [3]), ("0,", [0]), ("2,2,5", [2, 5])])
def test_seeds_are_a_count_a_list_or_one_seed_with_a_trailing_comma(text, seeds):
    from augbench.runner.sweep import parse_seeds

    assert parse_seeds(text) == seeds


def test_the_reach_check_allows_float32_rounding_at_large_inputs_and_nothing_more():
    """Standardized text features of a small training set reach 1e6, where float32 spaces values 0.0625 apart and
    x + eps lands up to a spacing away; at inputs near 10 the same overshoot is a missing projection."""
    from augbench.evaluation.robustness import reach_problems

    assert reach_problems(0.125, 0.0, 0.1, scale=1e6) == []
    assert reach_problems(0.125, 0.0, 0.1, scale=10.0) and reach_problems(0.1 + 1e-3, 0.0, 0.1, scale=1.0)
    assert reach_problems(0.1, 0.0, 0.1, scale=1.0) == []
