"""AutoAttack: at most PGD, per-example worst-case accounting, and it sees through the gradient masking PGD
falls for (a saturated softmax, a quantised input), on a smoke-trained MNIST CNN and real test digits."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from augbench.config.profiles import TrainConfig
from augbench.core.errors import UsageError
from augbench.evaluation.attacks import pgd
from augbench.evaluation.autoattack import AutoAttackConfig, autoattack
from augbench.evaluation.robustness import RobustnessConfig, evaluate_robustness
from augbench.tasks import TASKS
from augbench.tasks.base import Split

EPS = 0.1  # small enough that an undefended CNN keeps some examples under PGD, so the attacks can be told apart
CHEAP = AutoAttackConfig(version="fast", steps=20)  # the reference's attacks with fewer iterations: seconds, not minutes


@pytest.fixture(scope="module")
def mnist(trained_mnist):
    """The shared smoke-trained MNIST CNN (eval mode) and 100 of its real test digits in [0, 1]."""
    task, model, test = trained_mnist
    model.eval()
    test = Split(test.x[:100], test.y[:100])
    return task, model, test, task.prepare(test.x), test.y


def correct(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(x).argmax(1) == y


def pgd_survivors(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    adv = pgd(model, x, y, EPS, 2.5 * EPS / 10, 10, torch.Generator().manual_seed(0))
    return correct(model, x, y) & correct(model, adv, y)


class SaturatedSoftmax(nn.Module):
    """Logits scaled by 1e4: the cross-entropy's gradient underflows to zero on every confident example, so
    a gradient attack on that loss stalls (Carlini & Wagner 2017's masked-gradient case). Same predictions."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x) * 1e4


class QuantisedInput(nn.Module):
    """Inputs rounded to 8 grey levels before the network: no gradient reaches the input (torch.round's is
    zero), the classic non-differentiable defence that only a black-box attack sees through."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(torch.round(x * 7) / 7)


def test_autoattack_finds_at_least_what_pgd_finds_and_stays_in_the_threat_model(mnist):
    task, model, _, x, y = mnist
    result = autoattack(model, x, y, EPS, task.num_classes, CHEAP)
    clean = correct(model, x, y)
    pgd_acc = float(pgd_survivors(model, x, y).double().mean())
    assert clean.double().mean() > 0.8
    assert 0 < pgd_acc < 0.8, "the radius must leave PGD something to find and something to miss"
    assert result.accuracy <= pgd_acc + 0.02
    assert not (result.robust & ~clean).any(), "an example wrong clean counted as robust"
    moved = result.adversarial - x
    assert moved.abs().max() <= EPS + 1e-6 and result.adversarial.min() >= 0 and result.adversarial.max() <= 1
    broken = ~correct(model, result.adversarial, y)
    assert (broken == (clean & ~result.robust) | ~clean).all(), "each broken example keeps the input that broke it"


def test_each_example_counts_once_for_the_attack_that_broke_it_first(mnist):
    task, model, _, x, y = mnist
    result = autoattack(model, x, y, EPS, task.num_classes, CHEAP)
    assert list(result.broken_by) == ["apgd-ce", "apgd-t"]
    assert sum(result.broken_by.values()) + int(result.robust.sum()) == int(correct(model, x, y).sum())


def test_the_dlr_loss_of_apgd_t_sees_through_a_saturated_softmax_that_stalls_pgd(mnist):
    task, model, _, x, y = mnist
    masked = SaturatedSoftmax(model).eval()
    honest_pgd = float(pgd_survivors(model, x, y).double().mean())
    masked_pgd = float(pgd_survivors(masked, x, y).double().mean())
    assert masked_pgd > honest_pgd + 0.2, "the wrapper must mask PGD's cross-entropy gradient"
    result = autoattack(masked, x, y, EPS, task.num_classes, CHEAP)
    assert result.broken_by["apgd-t"] > 0
    assert result.accuracy <= honest_pgd + 0.05


def test_square_sees_through_a_quantised_input_that_no_gradient_attack_can(mnist):
    task, model, _, x, y = mnist
    masked = QuantisedInput(model).eval()
    config = AutoAttackConfig(version="standard", steps=10, square_queries=500)
    result = autoattack(masked, x[:50], y[:50], 0.3, task.num_classes, config)
    clean = float(correct(masked, x[:50], y[:50]).double().mean())
    by_gradient = result.broken_by["apgd-ce"] + result.broken_by["apgd-t"]  # only their random starts find any
    print(result.broken_by, clean, result.accuracy)
    assert by_gradient <= 5, "no gradient reaches the input"
    assert result.broken_by["square"] >= 15
    assert result.accuracy < clean - 0.3


def test_autoattack_leaves_the_global_random_stream_alone(mnist):
    task, model, _, x, y = mnist
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    autoattack(model, x[:20], y[:20], EPS, task.num_classes, CHEAP)
    assert torch.equal(torch.rand(3), expected)


def test_a_row_with_autoattack_records_it_and_its_worst_case(mnist):
    task, model, test, _, _ = mnist
    config = RobustnessConfig(samples=100, pgd_steps=5, check_samples=50, autoattack="fast")
    metrics = evaluate_robustness(model, task, test, config).metrics
    described = json.loads(metrics["aa_json"])
    assert described["attacks"] == ["apgd-ce", "apgd-t"] and described["steps"] == 100
    assert metrics["robust_acc"] <= min(metrics["aa_acc"], metrics["pgd_acc"], metrics["fgsm_acc"])
    without = evaluate_robustness(model, task, test, RobustnessConfig(samples=100, pgd_steps=5, check_samples=50)).metrics
    assert "aa_acc" not in without and without["pgd_acc"] == metrics["pgd_acc"], "AutoAttack must not move the other metrics"


def test_the_cascade_attacks_only_what_fgsm_and_pgd_left_and_keeps_the_worst_case(mnist):
    """aa_examples=survivors (the quick profile's image rows): AutoAttack attacks only the examples FGSM and PGD did
    not break, so its accuracy is the cascade's and equals the row's worst case, which matches (within the few
    examples the attacks' random starts decide) the worst case of AutoAttack run on every correct example."""
    task, model, test, _, _ = mnist
    settings = dict(samples=100, pgd_steps=5, check_samples=50, autoattack="fast", eps=EPS)
    cascade = evaluate_robustness(model, task, test, RobustnessConfig(**settings, aa_examples="survivors")).metrics
    full = evaluate_robustness(model, task, test, RobustnessConfig(**settings)).metrics
    described = json.loads(cascade["aa_json"])
    survivors = round(min(cascade["pgd_acc"], cascade["fgsm_acc"]) * 100)
    assert described["examples"] == "survivors" and json.loads(full["aa_json"])["examples"] == "correct"
    assert 0 < cascade["robust_acc"] < cascade["pgd_acc"], "at this radius PGD leaves examples for AutoAttack to break"
    assert sum(described["broken_by"].values()) + round(cascade["aa_acc"] * 100) <= survivors
    assert cascade["aa_acc"] == cascade["robust_acc"]
    assert abs(cascade["robust_acc"] - full["robust_acc"]) <= 0.03
    assert full["aa_acc"] >= full["robust_acc"]


def test_autoattack_attacks_only_the_examples_it_is_given(mnist):
    task, model, _, x, y = mnist
    start = torch.zeros(len(y), dtype=torch.bool)
    start[::2] = True
    result = autoattack(model, x, y, EPS, task.num_classes, CHEAP, start=start)
    assert not (result.robust & ~start).any()
    assert sum(result.broken_by.values()) + int(result.robust.sum()) == int((correct(model, x, y) & start).sum())


def test_autoattack_off_keeps_every_stored_row_identity():
    assert "autoattack" not in RobustnessConfig().identity()
    assert RobustnessConfig(autoattack="standard").identity()["autoattack"] == "standard"
    assert "aa_examples" not in RobustnessConfig(aa_examples="survivors").identity(), "meaningless without AutoAttack"
    assert "aa_examples" not in RobustnessConfig(autoattack="fast").identity()
    assert RobustnessConfig(autoattack="fast", aa_examples="survivors").identity()["aa_examples"] == "survivors"


def test_an_unknown_example_choice_is_one_line_naming_the_choices():
    with pytest.raises(UsageError, match="robust.aa_examples=all is invalid: valid choices are correct, survivors"):
        RobustnessConfig(aa_examples="all")


@pytest.mark.parametrize("value", ["strong", "apgd"])
def test_an_unknown_version_is_one_line_naming_the_choices(value):
    with pytest.raises(UsageError, match=f"robust.autoattack={value} is invalid: valid choices are off, standard, fast"):
        RobustnessConfig(autoattack=value)


def test_feature_space_tasks_leave_autoattack_empty(sources):
    task = TASKS.get("trec")()
    config = TrainConfig(epochs=1, train_pool=200, test_limit=50)
    data = task.load(sources["trec"], 1.0, 0, config, torch.device("cpu"))
    model = task.classifier(config).eval()
    metrics = evaluate_robustness(model, task, data.test, RobustnessConfig(samples=50, check_samples=20,
                                                                           autoattack="fast")).metrics
    assert "aa_acc" not in metrics and metrics["pgd_acc"] is not None


class Randomized(nn.Module):
    """Gaussian noise on the input at every call: a randomized defence, which AutoAttack's standard version
    does not evaluate soundly (it needs the rand version, with expectation over transformation)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x + 0.3 * torch.randn_like(x))


class Probabilities(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x).softmax(1)


def test_the_reference_flags_fire_on_the_defences_they_describe_and_not_on_an_honest_model(mnist):
    from augbench.evaluation.autoattack import reference_flags

    task, model, _, x, y = mnist
    flags = lambda m, broken_by={}: [f.split(":")[0] for f in reference_flags(m.eval(), x, y, broken_by, len(y))]
    assert flags(model) == []
    assert flags(Randomized(model)) == ["randomized"]
    assert "probabilities" in flags(Probabilities(model))
    assert flags(SaturatedSoftmax(model)) == ["zero gradients"]
    assert flags(model, {"square": 1}) == ["square"]  # 1 of 100 > the reference's 0.2%


def test_accuracy_falls_with_the_radius_on_an_honest_model_and_a_rise_fails_the_row(mnist):
    from augbench.evaluation.autoattack import eps_curve
    from augbench.evaluation.robustness import curve_problems

    task, model, _, x, y = mnist
    curve = eps_curve(model, x, y, EPS)
    radii, accuracies = zip(*curve)
    assert radii == pytest.approx((0, 0.025, 0.05, 0.1, 0.15, 0.2))
    assert accuracies[0] > 0.8 and accuracies[-1] < 0.1
    assert curve_problems(curve, len(y), 0.03) == []
    rising = [(0.0, 0.9), (0.1, 0.3), (0.2, 0.6)]
    assert len(curve_problems(rising, 100, 0.03)) == 1 and "rises from 0.300 at eps=0.1 to 0.600" in curve_problems(rising, 100, 0.03)[0]


def test_square_breaking_what_the_gradients_left_fails_the_row_only_beyond_the_tolerance():
    from augbench.evaluation.robustness import square_problems

    assert square_problems(2, 100, 0.03) == []
    assert "broke 10 of 100 examples" in square_problems(10, 100, 0.03)[0]


def test_a_masked_model_fails_its_row_under_the_standard_version(mnist, monkeypatch):
    import functools

    import augbench.evaluation.robustness as robustness

    task, model, test, _, _ = mnist  # the reference's attacks, shortened to keep the test to seconds
    monkeypatch.setattr(robustness, "AutoAttackConfig", functools.partial(AutoAttackConfig, steps=10, square_queries=300))
    config = RobustnessConfig(samples=60, pgd_steps=5, check_samples=30, autoattack="standard")
    problems = evaluate_robustness(QuantisedInput(model).eval(), task, test, config).problems
    assert any("Square (black-box) broke" in p for p in problems), problems
