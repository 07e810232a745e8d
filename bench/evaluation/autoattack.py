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

from bench.core.errors import UsageError

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

    @property
    def accuracy(self) -> float:
        return float(self.robust.double().mean()) if len(self.robust) else 0.0


def _make_attack(name: str, model: nn.Module, eps: float, n_classes: int, config: AutoAttackConfig):
    import torchattacks  # imported here: loading it costs a second that cells without AutoAttack need not pay

    targets = min(config.targets, n_classes - 1)
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


def autoattack(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, n_classes: int,
               config: AutoAttackConfig = AutoAttackConfig(), batch_size: int = 500,
               progress: Callable[[str, int, int], None] | None = None) -> AutoAttackResult:
    """Run `config`'s attacks in turn on the examples still standing; inputs in [0, 1] (torchattacks' range).

    Args:
        x: inputs [N, ...] in [0, 1]; y: int64 labels [N]; n_classes: the task's classes.
        progress: called as (attack, examples attacked, examples still robust) after each attack.
    Returns:
        which examples are robust, how many each attack broke, and the adversarial inputs found.
    """
    if not 0 < eps:
        raise UsageError(f"autoattack eps={eps} is invalid: it must be > 0")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():  # not inference_mode: `robust` is updated in place below
            robust = torch.cat([model(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]
                                for i in range(0, len(y), batch_size)]) if len(y) else torch.zeros(0, dtype=torch.bool)
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
                    with torch.no_grad():
                        fooled = model(adv).argmax(1) != y[index]
                    robust[index[fooled]] = False
                    adversarial[index[fooled]] = adv[fooled]
                    broken += int(fooled.sum())
            broken_by[name] = broken
            if progress is not None:
                progress(name, len(todo), int(robust.sum()))
        return AutoAttackResult(robust, broken_by, adversarial)
    finally:
        model.train(was_training)
