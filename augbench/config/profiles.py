"""The three profiles (smoke, quick, full) and the training hyperparameters each task picks per profile."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from augbench.core.errors import UsageError


@dataclass(frozen=True)
class Profile:
    """What a profile is for and the sweep defaults it implies."""

    name: str
    purpose: str
    default_seeds: int  # seeds run when --seeds is not given
    default_fractions: tuple[float, ...]  # train fractions run when --fractions is not given


PROFILES: dict[str, Profile] = {
    "smoke": Profile("smoke", "tests: each cell in seconds on CPU, tiny subsets and step counts", 1, (1.0,)),
    # quick: the data-scarce regime. Each task's quick `train_pool` is its largest training-set size; the
    # fractions give two sizes per task, the smaller half the larger (docs/quick-profile.md).
    "quick": Profile("quick", "`make bench` on a 2-core CPU: the data-scarce regime, every method x every task at 2 training-set sizes, at fixed budgets chosen on validation (cells not converged at them are marked)", 1, (0.5, 1.0)),
    "full": Profile("full", "a GPU: full data, standard epochs; the published leaderboard", 3, (0.01, 0.1, 1.0)),
}


def get_profile(name: str) -> Profile:
    """The profile called `name`; an unknown name is a UsageError listing the valid ones."""
    if name not in PROFILES:
        raise UsageError(f"unknown profile {name!r}; valid profiles: {', '.join(PROFILES)}")
    return PROFILES[name]


SCHEDULES = ("linear", "flat")


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of the shared training loop; each task picks values per profile.

    Overridable from the CLI as `--param train.KEY=VALUE`; the resolved values are part of the config hash.
    """

    epochs: int = 1  # passes over the (fraction-subset) training data
    batch_size: int = 128  # examples per optimizer step
    lr: float = 0.05  # peak learning rate (of the optimizer below)
    optimizer: Literal["sgd", "adam"] = "sgd"  # SGD with Nesterov momentum, or Adam (L2 weight decay)
    momentum: float = 0.9  # SGD momentum (Adam ignores it)
    weight_decay: float = 5e-4  # L2 penalty on weights (not norms or biases)
    label_smoothing: float = 0.0  # cross-entropy target smoothing
    width: int = 16  # channels of the classifier's first stage (the task scales later stages from it)
    warmup: float = 0.2  # share of all steps with a linear learning-rate ramp-up; then linear decay to 0
    schedule: Literal["linear", "flat"] = "linear"  # linear: the warm-up then linear decay to 0; flat: lr throughout (Madry et al.'s MNIST training)
    train_pool: int | None = None  # examples of the train split the profile draws from before the fraction (None: all)
    # The exchange-rate curve's "n_train real plus k more" (docs/methods/generated-data.md): drawn stratified, with the
    # cell's seed, from the train split outside the validation rows and the cell's own rows.
    extra_real: float = 0.0  # more real training examples, as a multiple of the cell's subset size; 0: none
    test_limit: int | None = None  # examples of the test split evaluated (None: the whole official split)
    eval_batch_size: int = 1000  # examples per forward pass in evaluation
    amp: bool = True  # bf16 autocast of forward passes on CUDA; CPU always runs float32

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "eval_batch_size", "width"):
            if getattr(self, name) < 1:
                raise UsageError(f"train.{name}={getattr(self, name)} is invalid: it must be >= 1")
        for name in ("lr", "weight_decay", "momentum", "label_smoothing"):
            if getattr(self, name) < 0:
                raise UsageError(f"train.{name}={getattr(self, name)} is invalid: it must be >= 0")
        if self.schedule not in SCHEDULES:
            raise UsageError(f"train.schedule={self.schedule!r} is invalid; valid: {', '.join(SCHEDULES)}")
        if not 0 <= self.extra_real <= 100:
            raise UsageError(f"train.extra_real={self.extra_real} is invalid: it must be in [0, 100] (a multiple of the cell's training examples)")
        if not 0 <= self.warmup < 1:
            raise UsageError(f"train.warmup={self.warmup} is invalid: it must be in [0, 1)")
        for name in ("train_pool", "test_limit"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise UsageError(f"train.{name}={value} is invalid: it must be >= 1 or none")

    def replace(self, **changes: object) -> "TrainConfig":
        return dataclasses.replace(self, **changes)

    def identity(self) -> dict[str, object]:
        """The resolved values as they enter the config hash. `schedule` and `extra_real` came later: at
        their defaults they are left out, so every row stored before them keeps its run_id (no key means the
        linear schedule and no extra real examples)."""
        values = dataclasses.asdict(self)
        if values["schedule"] == "linear":
            del values["schedule"]
        if values["extra_real"] == 0:
            del values["extra_real"]
        return values
