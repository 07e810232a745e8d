"""mixup (Zhang et al. 2018): train on convex combinations of pairs of examples and of their labels.

Each sample is mixed with a partner from the same batch, with its own weight lam ~ Beta(alpha, alpha); the
target is the same mix of the two one-hot labels, so `augment` returns probability vectors [N, C].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from augbench.core.seeding import derive_seed
from augbench.methods import METHODS
from augbench.methods.base import Method
from augbench.tasks.base import Task

# The paper's alphas: 1.0 on CIFAR-10/100 (lam uniform in [0, 1]); 0.2 on ImageNet, where alpha in
# [0.1, 0.4] helped and larger alphas underfit; 0.1 and 0.2 on Google commands spectrograms. Per task
# modality: our image tasks are CIFAR-sized, so 1.0; FSDD's log-mel maps are spectrograms like Google
# commands, so 0.2; for dense text feature vectors the paper gives no value, so the milder 0.2, which
# keeps most of each sample's own label.
DEFAULT_ALPHA = {"image": 1.0, "audio": 0.2, "features": 0.2}


@dataclass(frozen=True)
class MixupParams:
    alpha: float = 1.0  # Beta(alpha, alpha) concentration of each sample's weight (> 0); per task: 1.0 on images, 0.2 on audio and text features


@dataclass(frozen=True)
class MixDraw:
    """One batch's random draw: which sample each one is mixed with, and its own share."""

    weight: torch.Tensor  # [N] float32 in [0, 1]: share of each sample's own input and label
    partner: torch.Tensor  # [N] int64: index of the sample mixed in (a permutation of the batch)


def draw_beta(rng: np.random.Generator, alpha: float, n: int, device: torch.device) -> torch.Tensor:
    """n independent draws of Beta(alpha, alpha) as float32 [n] on `device`.

    Drawn by numpy's seeded Generator on the host: torch samples Beta (through `_standard_gamma`) only from
    the global RNG, never from a `torch.Generator`. The host draw is also the same on every device, and
    costs one small host-to-device copy per batch, never a read back from the device.
    """
    return torch.from_numpy(rng.beta(alpha, alpha, size=n).astype(np.float32)).to(device)


def weight_stream(seed: int, name: str) -> np.random.Generator:
    """The host stream a mixing method draws its Beta weights from, seeded from the cell's seed."""
    return np.random.default_rng(derive_seed(seed, f"method:{name}:weights"))


def mixed_targets(y: torch.Tensor, partner: torch.Tensor, weight: torch.Tensor, num_classes: int) -> torch.Tensor:
    """weight * onehot(y) + (1 - weight) * onehot(y[partner]): float32 probability vectors [N, num_classes].

    Args:
        y: int64 labels [N]; partner: int64 indices [N] into the batch; weight: float [N] in [0, 1].
    """
    weight = weight.to(torch.float32).unsqueeze(1)
    targets = torch.zeros(len(y), num_classes, device=y.device).scatter_(1, y.unsqueeze(1), weight)
    return targets.scatter_add_(1, y[partner].unsqueeze(1), 1 - weight)


def check_alpha(name: str, alpha: float) -> None:
    if not alpha > 0:  # also refuses NaN
        raise ValueError(f"{name}.alpha={alpha} is invalid: it must be > 0")


@METHODS.register("mixup")
class Mixup(Method):
    """x' = lam * x + (1 - lam) * x[partner], target lam * onehot(y) + (1 - lam) * onehot(y[partner]).

    lam ~ Beta(alpha, alpha) is drawn per sample. The paper draws one lam per batch (its code mixes a
    batch with a permutation of itself); one per sample gives every batch the whole spread of mixing
    strengths instead of one strength shared by all its samples (a batch drawn near lam = 1 is nearly
    unmixed), so each step's gradient averages over many strengths, and it follows the benchmark's rule
    that randomness is per sample. Each sample's (lam, partner) has the same distribution either way, so
    the expected loss is the same. The partner is a random permutation of the
    batch from the method's generator, as in the paper's code (a sample may be its own partner, then
    left as it is). Every modality: images, log-mel maps and feature vectors mix alike.
    """

    Params = MixupParams
    soft_targets = True  # returns probability targets

    @classmethod
    def default_params(cls, profile: str, task: Task) -> MixupParams:
        return MixupParams(alpha=DEFAULT_ALPHA.get(task.modality, MixupParams.alpha))

    def __init__(self, params: MixupParams, task: Task, seed: int) -> None:
        super().__init__(params, task, seed)
        check_alpha("mixup", params.alpha)
        self._weights = weight_stream(seed, "mixup")

    def draw(self, n: int, device: torch.device) -> MixDraw:
        """Each sample's weight and partner for a batch of n."""
        weight = draw_beta(self._weights, self.params.alpha, n, device)
        return MixDraw(weight, torch.randperm(n, generator=self.generator(device), device=device))

    def apply(self, x: torch.Tensor, y: torch.Tensor, draw: MixDraw) -> tuple[torch.Tensor, torch.Tensor]:
        """The mixed batch and its targets [N, C] for a given draw (pure: the inputs are not modified)."""
        lam = draw.weight.to(x.dtype).view(-1, *[1] * (x.dim() - 1))
        # Rounding is monotone and lam + (1 - lam) rounds to 1, so a mix of inputs in [0, 1] stays in [0, 1].
        out = x * lam + x[draw.partner] * (1 - lam)
        return out, mixed_targets(y, draw.partner, draw.weight, self.task.num_classes)

    def augment(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        return self.apply(x, y, self.draw(len(y), x.device))
