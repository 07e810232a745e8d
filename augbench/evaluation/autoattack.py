"""AutoAttack (Croce & Hein, ICML 2020): the robust-accuracy measurement the robustness field accepts.

The four attacks are torchattacks' (3.5.1) ports of the reference code (github.com/fra31/auto-attack), set here
to the reference's `standard` version, not to torchattacks' own `AutoAttack` class, which runs APGD and FAB for
10 iterations instead of 100 and Square with a rescaled schedule the reference's standard version turns off:

| attack  | reference setting (autoattack.py, `set_version('standard')`, L-inf)                 |
|---------|----------------------------------------------------------------------------------------|
| apgd-ce | APGD on the cross-entropy, 100 iterations, 1 restart, rho 0.75, eot_iter 1              |
| apgd-t  | targeted APGD on the DLR loss, 100 iterations, the 9 most likely wrong classes          |
| fab-t   | targeted FAB, 100 iterations, the 9 most likely wrong classes                           |
| square  | Square, 5,000 queries, p_init 0.8, no rescaled schedule                                |

Accounting is the reference's: the attacks run in that order, each on the examples that are correct clean and
survived every attack before it, so an example counts as robust only if no attack broke it (the per-example
worst case). `fast` runs the first two, the ones that decide nearly every example of the reference's
leaderboard; it is what the quick profile can afford. Each attack draws its random starts from a fixed seed
inside a forked RNG, so AutoAttack neither depends on nor moves the cell's other random streams.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn

from augbench.core.errors import UsageError
from augbench.evaluation.attacks import input_gradient

ATTACKS = ("apgd-ce", "apgd-t", "fab-t", "square")
VERSIONS: dict[str, tuple[str, ...]] = {
    "standard": ATTACKS,  # the reference's standard version: full and the reproductions
    "fast": ("apgd-ce", "apgd-t"),  # the two APGD attacks: quick
}


@dataclass(frozen=True)
class AutoAttackConfig:
    """Which of AutoAttack's attacks run, with the reference's settings unless a test or study asks otherwise."""

    version: str = "standard"  # a key of VERSIONS
    steps: int = 100  # APGD and FAB iterations
    targets: int = 9  # target classes of APGD-T and FAB-T (at most the task's classes - 1)
    square_queries: int = 5000
    seed: int = 0  # random starts of every attack

    def __post_init__(self) -> None:
        if self.version not in VERSIONS:
            raise UsageError(f"autoattack version {self.version!r} is invalid: valid versions are {', '.join(VERSIONS)}")
        for name in ("steps", "targets", "square_queries"):
            if getattr(self, name) < 1:
                raise UsageError(f"autoattack {name}={getattr(self, name)} is invalid: it must be >= 1")

    @property
    def attacks(self) -> tuple[str, ...]:
        return VERSIONS[self.version]

    def describe(self, eps: float) -> dict[str, object]:
        """Exactly what ran, for a row's eval_config and a report's caption."""
        return {"version": self.version, "attacks": list(self.attacks), "eps": eps, "steps": self.steps,
                "targets": self.targets, "square_queries": self.square_queries if "square" in self.attacks else None,
                "implementation": "torchattacks 3.5.1 at the reference's standard settings"}


@dataclass
class AutoAttackResult:
    robust: torch.Tensor  # bool [N]: correct clean and not broken by any attack
    broken_by: dict[str, int] = field(default_factory=dict)  # examples each attack broke first
    adversarial: torch.Tensor | None = None  # [N, ...]: each broken example's adversarial input (others: clean)
    flags: list[str] = field(default_factory=list)  # the reference's warnings that fired (reference_flags)

    @property
    def accuracy(self) -> float:
        return float(self.robust.double().mean()) if len(self.robust) else 0.0


def _make_attack(name: str, model: nn.Module, eps: float, n_classes: int | None, config: AutoAttackConfig):
    import torchattacks  # imported here: loading it costs a second that cells without AutoAttack need not pay

    targets = min(config.targets, n_classes - 1) if n_classes else config.targets  # the targeted attacks need n_classes
    if name == "apgd-ce":
        return torchattacks.APGD(model, norm="Linf", eps=eps, steps=config.steps, n_restarts=1, seed=config.seed,
                                 loss="ce", eot_iter=1, rho=0.75)
    if name == "apgd-t":
        attack = torchattacks.APGDT(model, norm="Linf", eps=eps, steps=config.steps, n_restarts=1, seed=config.seed,
                                    eot_iter=1, rho=0.75, n_classes=n_classes)
        attack.n_target_classes = targets
        return attack
    if name == "fab-t":
        attack = torchattacks.FAB(model, norm="Linf", eps=eps, steps=config.steps, n_restarts=1, seed=config.seed,
                                  multi_targeted=True, n_classes=n_classes)
        attack.n_target_classes = targets
        return attack
    if name == "square":
        return torchattacks.Square(model, norm="Linf", eps=eps, n_queries=config.square_queries, n_restarts=1,
                                   p_init=0.8, loss="margin", resc_schedule=False, seed=config.seed)
    raise UsageError(f"attack {name!r} is invalid: valid attacks are {', '.join(ATTACKS)}")


def classified_correctly(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Which examples the model classifies correctly (bool [N], a normal tensor: callers update it in place)."""
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]
                          for i in range(0, len(y), batch_size)]) if len(y) else torch.zeros(0, dtype=torch.bool)


def autoattack(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, n_classes: int,
               config: AutoAttackConfig = AutoAttackConfig(), batch_size: int = 500,
               progress: Callable[[str, int, int], None] | None = None,
               start: torch.Tensor | None = None) -> AutoAttackResult:
    """Run `config`'s attacks in turn on the examples still standing; inputs in [0, 1] (torchattacks' range).

    Args:
        x: inputs [N, ...] in [0, 1]; y: int64 labels [N]; n_classes: the task's classes.
        progress: called as (attack, examples attacked, examples still robust) after each attack.
        start: bool [N], the examples to attack (default: every one correct clean); the others count as broken
            already, as when earlier attacks (the suite's FGSM and PGD) broke them: the cascade's worst case.
    Returns:
        which examples are robust, how many each attack broke, and the adversarial inputs found.
    """
    if not 0 < eps:
        raise UsageError(f"autoattack eps={eps} is invalid: it must be > 0")
    was_training = model.training
    model.eval()
    try:
        robust = classified_correctly(model, x, y, batch_size)
        if start is not None:
            robust &= start
        adversarial = x.clone()
        broken_by = {}
        for name in config.attacks:
            todo = robust.nonzero().squeeze(1)
            attack = _make_attack(name, model, eps, n_classes, config)
            broken = 0
            with torch.random.fork_rng(devices=[x.device] if x.device.type == "cuda" else []):
                for i in range(0, len(todo), batch_size):
                    index = todo[i:i + batch_size]
                    adv = attack(x[index], y[index]).detach()
                    adv = torch.min(torch.max(adv, x[index] - eps), x[index] + eps).clamp(0.0, 1.0)
                    fooled = ~classified_correctly(model, adv, y[index], batch_size)
                    robust[index[fooled]] = False
                    adversarial[index[fooled]] = adv[fooled]
                    broken += int(fooled.sum())
            broken_by[name] = broken
            if progress is not None:
                progress(name, len(todo), int(robust.sum()))
        return AutoAttackResult(robust, broken_by, adversarial, reference_flags(model, x[:batch_size], y[:batch_size], broken_by, len(y)))
    finally:
        model.train(was_training)


SQUARE_ALPHA = 0.002  # the reference's check_square_sr: Square lowering robust accuracy by more than this warns


def reference_flags(model: nn.Module, x: torch.Tensor, y: torch.Tensor, broken_by: dict[str, int], n: int) -> list[str]:
    """AutoAttack's own warnings (the reference's checks.py), each a sentence, on a batch of the examples:

    - randomized: five forward passes disagree (a randomized defence needs the `rand` version, with EOT);
    - probabilities: the outputs are a probability distribution, not logits (the losses then saturate);
    - zero gradients: examples whose cross-entropy gradient is exactly zero (gradient attacks cannot move them);
    - square: the black-box Square broke more than 0.2% of the examples after the white-box attacks, the mark of
      gradients that mislead (gradient masking).
    """
    flags = []
    with torch.no_grad():
        outputs = [model(x) for _ in range(5)]
    normalised = [o / (o.norm(dim=1, keepdim=True) + 1e-10) for o in outputs]
    if any(not torch.equal(o.argmax(1), outputs[0].argmax(1)) for o in outputs) or \
            max(float((a - normalised[0]).norm(dim=1).max()) for a in normalised) > 1e-4:
        flags.append("randomized: five forward passes of the same inputs disagree (a randomized defence needs EOT)")
    out = outputs[0]
    if float(out.max()) < 1 + 1e-5 and float(out.min()) > -1e-5 and bool(((out.sum(1) - 1).abs() < 1e-5).all()):
        flags.append("probabilities: the model outputs a probability distribution, not logits")
    grad = input_gradient(model, x, y)
    zero = int((grad.flatten(1).abs().sum(1) == 0).sum())
    if zero:
        flags.append(f"zero gradients: {zero} of {len(y)} examples have an all-zero input gradient")
    if n and broken_by.get("square", 0) / n > SQUARE_ALPHA:
        flags.append(f"square: the black-box Square broke {broken_by['square']} of {n} examples "
                     f"({broken_by['square'] / n:.1%}) that every white-box attack left standing")
    return flags


CURVE_RADII = (0.25, 0.5, 1.0, 1.5, 2.0)  # multiples of the task's eps at which the curve is measured (0: clean)
CURVE_STEPS = 20  # APGD-CE iterations per radius: the curve's shape, not the final robust number


def eps_curve(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, batch_size: int = 500,
              radii: tuple[float, ...] = CURVE_RADII, seed: int = 0) -> list[tuple[float, float]]:
    """Accuracy against the radius: [(0, clean), (r * eps, APGD-CE accuracy) for r in radii], each radius attacked
    from scratch. A sound evaluation gives a curve that falls as the radius grows; one that rises beyond noise
    says the gradients mislead the attack at the smaller radius (Carlini et al. 2019, "On evaluating adversarial
    robustness", section 5)."""
    config = AutoAttackConfig(version="fast", steps=CURVE_STEPS, seed=seed)
    was_training = model.training
    model.eval()
    try:
        def accuracy(inputs: torch.Tensor) -> float:
            return float(classified_correctly(model, inputs, y, batch_size).double().mean())
        curve = [(0.0, accuracy(x))]
        for multiple in radii:
            attack = _make_attack("apgd-ce", model, multiple * eps, None, config)
            with torch.random.fork_rng(devices=[x.device] if x.device.type == "cuda" else []):
                adv = torch.cat([attack(x[i:i + batch_size], y[i:i + batch_size]).detach() for i in range(0, len(y), batch_size)])
            curve.append((multiple * eps, accuracy(adv)))
        return curve
    finally:
        model.train(was_training)
