"""Robustness of a trained classifier: FGSM, PGD and corruption accuracy on fixed test examples,
plus the sanity checks that catch a broken attack or gradient masking (RobustBench-style rigour).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import torch
from torch import nn

from bench.evaluation.attacks import default_pgd_alpha, fgsm, pgd
from bench.transforms.corruptions import corrupt
from bench.core.errors import UsageError
from bench.core.seeding import make_generator
from tasks.base import POOL_SEED, Split, Task
from tasks.splits import stratified_indices

# Accuracy a classifier may keep under PGD at the task's sanity epsilon (which spans the whole input
# range): above chance there, the attack is not working.
SANITY_MAX_ACC = 0.10


@dataclass(frozen=True)
class RobustnessConfig:
    """How robustness is measured; picked per profile, overridable as `--param robust.KEY=VALUE`."""

    samples: int | None = 1000  # fixed stratified test examples attacked and corrupted (None: the whole split)
    pgd_steps: int = 10  # PGD iterations at the task's epsilon
    pgd_alpha: float | None = None  # PGD step in input units (None: 2.5 * eps / steps, Madry et al.)
    eps: float | None = None  # L-inf radius in input units (None: the task's standard epsilon)
    check_samples: int = 100  # examples used by the large-epsilon and double-steps checks
    tolerance: float = 0.03  # slack of the ordering check PGD <= FGSM <= clean, in accuracy
    batch_size: int = 500  # examples per attack batch

    def __post_init__(self) -> None:
        if self.eps is not None and not self.eps >= 0:
            raise UsageError(f"robust.eps={self.eps} is invalid: it must be >= 0")
        if self.pgd_steps < 1:
            raise UsageError(f"robust.pgd_steps={self.pgd_steps} is invalid: it must be >= 1")
        if self.pgd_alpha is not None and not self.pgd_alpha > 0:
            raise UsageError(f"robust.pgd_alpha={self.pgd_alpha} is invalid: it must be > 0")
        for name in ("samples", "check_samples", "batch_size"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise UsageError(f"robust.{name}={value} is invalid: it must be >= 1")
        if not 0 <= self.tolerance < 1:
            raise UsageError(f"robust.tolerance={self.tolerance} is invalid: it must be in [0, 1)")


PROFILE_CONFIGS = {
    "smoke": RobustnessConfig(samples=200, pgd_steps=5, check_samples=100),
    # quick: 500 examples (1,000 cost ~18 s of PGD per CIFAR-10 cell, too much for the 30-cell grid).
    "quick": RobustnessConfig(samples=500, pgd_steps=10, check_samples=100),
    "full": RobustnessConfig(samples=None, pgd_steps=20, check_samples=1000),
}


@dataclass
class RobustnessResult:
    metrics: dict[str, object]  # record fields: fgsm_acc, pgd_acc, corruption_acc, corruption_json
    problems: list[str] = field(default_factory=list)  # failed sanity checks, each a sentence


def evaluate_robustness(model: nn.Module, task: Task, test: Split, config: RobustnessConfig) -> RobustnessResult:
    """FGSM, PGD and corruption accuracy of `model` on a fixed stratified subset of `test`, and sanity checks.

    The subset, the PGD random starts and the corruption noise are drawn from fixed seeds, so every
    method and seed is judged on exactly the same perturbed examples.
    """
    was_training = model.training
    model.eval()
    try:
        return _evaluate(model, task, test, config)
    finally:
        model.train(was_training)


def _evaluate(model: nn.Module, task: Task, test: Split, config: RobustnessConfig) -> RobustnessResult:
    keep = torch.arange(len(test), device=test.y.device)
    if config.samples is not None and config.samples < len(test):
        keep = torch.from_numpy(stratified_indices(test.y.cpu().numpy(), config.samples, POOL_SEED)).to(test.y.device)
    x, y = task.prepare(test.x[keep]), test.y[keep]
    eps = task.attack_eps if config.eps is None else config.eps
    alpha = config.pgd_alpha or default_pgd_alpha(eps, config.pgd_steps)
    device, bounds, size = x.device, task.input_range, config.batch_size

    def run(fn, xs=x, ys=y) -> torch.Tensor:
        return torch.cat([_predict_correct(model, fn(xs[i:i + size], ys[i:i + size]), ys[i:i + size])
                          for i in range(0, len(ys), size)]) if len(ys) else torch.zeros(0, dtype=torch.bool)

    pgd_gen = make_generator(POOL_SEED, "pgd", device)
    clean_ok = run(lambda xb, yb: xb)
    fgsm_ok = run(lambda xb, yb: fgsm(model, xb, yb, eps, bounds))
    pgd_ok = run(lambda xb, yb: pgd(model, xb, yb, eps, alpha, config.pgd_steps, pgd_gen, bounds))
    per_corruption = {}
    for name in task.corruptions:
        if name in test.views:  # computed by the task from raw data (e.g. noise on the waveform)
            view = task.prepare(test.views[name][keep])
            per_corruption[name] = float(run(lambda xb, yb: xb, view, y).double().mean())
        else:
            per_corruption[name] = float(run(lambda xb, yb, name=name: corrupt(name, xb, POOL_SEED)).double().mean())
    metrics: dict[str, object] = {
        "fgsm_acc": float(fgsm_ok.double().mean()),
        "pgd_acc": float(pgd_ok.double().mean()),
        "corruption_acc": sum(per_corruption.values()) / len(per_corruption) if per_corruption else None,
        "corruption_json": json.dumps(per_corruption, sort_keys=True) if per_corruption else None,
    }
    clean = float(clean_ok.double().mean())
    problems = ordering_problems(clean, metrics["fgsm_acc"], metrics["pgd_acc"], config.tolerance)

    # The checks use a stratified share of the subset: test files may be sorted by class, so a
    # prefix could hold a single class.
    check = torch.arange(len(y), device=y.device)
    if config.check_samples < len(y):
        check = torch.from_numpy(stratified_indices(y.cpu().numpy(), config.check_samples, POOL_SEED)).to(y.device)
    check_x, check_y = x[check], y[check]
    wide_eps, steps = task.sanity_eps, config.pgd_steps
    wide_gen = make_generator(POOL_SEED, "pgd-wide", device)
    wide = float(run(lambda xb, yb: pgd(model, xb, yb, wide_eps, default_pgd_alpha(wide_eps, steps), steps, wide_gen, bounds),
                     check_x, check_y).double().mean())
    if wide > SANITY_MAX_ACC:
        problems.append(f"PGD at eps={wide_eps:g} leaves accuracy {wide:.3f} > {SANITY_MAX_ACC} (the attack is not working)")
    double_alpha = default_pgd_alpha(eps, 2 * steps) if config.pgd_alpha is None else config.pgd_alpha / 2
    double_gen = make_generator(POOL_SEED, "pgd-double", device)
    double = float(run(lambda xb, yb: pgd(model, xb, yb, eps, double_alpha, 2 * steps, double_gen, bounds),
                       check_x, check_y).double().mean())
    single = float(pgd_ok[check].double().mean())
    problems += masking_problems(single, double, len(check), config.tolerance)
    return RobustnessResult(metrics, problems)


def _predict_correct(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return model(x).argmax(dim=1) == y


def ordering_problems(clean: float, fgsm_acc: float, pgd_acc: float, tolerance: float) -> list[str]:
    """A stronger attack must not leave more accuracy than a weaker one: PGD <= FGSM <= clean (+ tolerance)."""
    problems = []
    if fgsm_acc > clean + tolerance:
        problems.append(f"FGSM accuracy {fgsm_acc:.3f} exceeds clean accuracy {clean:.3f} + {tolerance}")
    if pgd_acc > fgsm_acc + tolerance:
        problems.append(f"PGD accuracy {pgd_acc:.3f} exceeds FGSM accuracy {fgsm_acc:.3f} + {tolerance}")
    return problems


def masking_problems(single: float, double: float, n: int, tolerance: float) -> list[str]:
    """Twice the PGD steps must not raise accuracy beyond noise (two binomial standard errors, at least
    `tolerance`): if it does, the gradients mislead the attack (gradient masking)."""
    noise = max(tolerance, 2 * math.sqrt(max(single * (1 - single), 1e-12) / max(n, 1)))
    if double > single + noise:
        return [f"PGD with twice the steps raises accuracy from {single:.3f} to {double:.3f} (> noise {noise:.3f}): gradient masking?"]
    return []
