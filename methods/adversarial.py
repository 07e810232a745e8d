"""Adversarial training as an augmentation: each batch is (partly) replaced by attacks on the current model.

PGD adversarial training (Madry et al. 2018) or its fast variant, FGSM from a random start
(Wong et al. 2020, "Fast is better than free"). The attack runs with the model in eval mode (batch-norm
statistics frozen, as when the model is attacked at test time) and the model's mode is restored after.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from bench.evaluation.attacks import default_pgd_alpha, fgsm_random_start, pgd, validate_attack
from methods import METHODS
from methods.base import Method
from tasks.base import Task


@dataclass(frozen=True)
class AdversarialParams:
    attack: Literal["pgd", "fgsm_rs"] = "pgd"  # PGD (Madry et al.) or FGSM with random start (Wong et al.)
    eps: float | None = None  # L-inf radius in input units; none: the task's standard epsilon
    steps: int = 7  # PGD iterations (fgsm_rs always takes one step)
    alpha: float | None = None  # step size in input units; none: 2.5 * eps / steps (PGD), 1.25 * eps (fgsm_rs)
    share: float = 1.0  # share of each batch replaced by adversarial examples, in [0, 1]


@METHODS.register("adversarial")
class Adversarial(Method):
    """Trains on adversarial examples of the model being trained."""

    Params = AdversarialParams

    @classmethod
    def default_params(cls, profile: str, task: Task) -> AdversarialParams:
        # PGD-7 costs 8 forward-backward passes per step: a GPU's budget. On the quick and smoke CPU
        # budgets, FGSM-RS (2 passes) is the adversarial training that fits.
        return AdversarialParams(attack="pgd" if profile == "full" else "fgsm_rs")

    def __init__(self, params: AdversarialParams, task: Task, seed: int) -> None:
        super().__init__(params, task, seed)
        self.eps = task.attack_eps if params.eps is None else params.eps
        self.steps = 1 if params.attack == "fgsm_rs" else params.steps
        validate_attack(self.eps, params.steps, "adversarial.")
        if params.alpha is not None and not params.alpha > 0:
            raise ValueError(f"adversarial.alpha={params.alpha} is invalid: it must be > 0")
        if not 0 <= params.share <= 1:
            raise ValueError(f"adversarial.share={params.share} is invalid: it must be in [0, 1]")
        if params.alpha is not None:
            self.alpha = params.alpha
        elif params.attack == "fgsm_rs":
            self.alpha = 1.25 * self.eps  # Wong et al.'s step for FGSM from a random start
        else:
            self.alpha = default_pgd_alpha(self.eps, self.steps)

    def resolved_params(self) -> dict:
        return dataclasses.asdict(dataclasses.replace(self.params, eps=self.eps, steps=self.steps, alpha=self.alpha))

    def augment(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        k = round(self.params.share * len(y))  # batches arrive shuffled, so the first k are a random share
        if k == 0:
            return x.clone(), y
        generator = self.generator(x.device)
        bounds = self.task.input_range
        if self.params.attack == "fgsm_rs":
            attacked = fgsm_random_start(model, x[:k], y[:k], self.eps, self.alpha, generator, bounds)
        else:
            attacked = pgd(model, x[:k], y[:k], self.eps, self.alpha, self.steps, generator, bounds)
        return torch.cat([attacked, x[k:]]), y
