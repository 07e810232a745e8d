"""RandAugment (Cubuk et al. 2020): per sample, N ops drawn uniformly with replacement, all at magnitude M.

Every sample draws its own N ops (and a random sign per signed op); M is shared, as in the paper.
Ranges are AutoAugment's (torchvision's RandAugment space), M indexes 31 bins where bin 30 is the
largest range. Kornia's `RandAugment` draws one set of N ops per batch (`torch.randperm(...)[:n]`,
without replacement) and torchvision's one per call, so neither applied to a batch tensor is the
published method.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from augbench.transforms.image_ops import OP_NAMES, STANDARD, apply_ops, draw_ops, magnitude_table
from augbench.methods import METHODS
from augbench.methods.base import Method
from augbench.tasks.base import Task

BINS = 31  # torchvision's num_magnitude_bins: M in 0..30
# MNIST: color only (identity on grayscale). Rotation stays: this space's largest is 30 degrees
# (12 at the default M), which keeps a 6 a 6.
EXCLUDED: dict[str, tuple[str, ...]] = {"mnist": ("color",)}


@dataclass(frozen=True)
class RandAugmentParams:
    num_ops: int = 3  # N: ops applied in sequence to each sample (the paper's CIFAR-10 Wide-ResNet-28-2 setting)
    magnitude: int = 12  # M in bins 0..30 of each op's range (30: AutoAugment's largest); 12 = the paper's M=4 on its 0-10 scale


@METHODS.register("randaugment")
class RandAugment(Method):
    """N per-sample uniformly drawn ops at one shared magnitude M."""

    Params = RandAugmentParams
    modalities = ("image",)

    @classmethod
    def default_params(cls, profile: str, task: Task) -> RandAugmentParams:
        # Cubuk et al.'s smallest CIFAR-10 model, Wide-ResNet-28-2: N=3, M=4 on their 0-10 scale (the
        # authors' code divides M by 10 of AutoAugment's ranges), i.e. bin 12 of torchvision's 31. Our
        # classifiers are smaller still, and the paper finds smaller models want smaller magnitudes.
        return RandAugmentParams()

    def __init__(self, params: RandAugmentParams, task: Task, seed: int) -> None:
        super().__init__(params, task, seed)
        if not 1 <= params.num_ops <= 10:
            raise ValueError(f"randaugment.num_ops={params.num_ops} is invalid: it must be in [1, 10]")
        if not 0 <= params.magnitude < BINS:
            raise ValueError(f"randaugment.magnitude={params.magnitude} is invalid: it must be in [0, {BINS - 1}]")
        self.ops = tuple(name for name in OP_NAMES if name not in EXCLUDED.get(task.name, ()))
        self.table = magnitude_table(self.ops, STANDARD, BINS, tuple(task.input_shape[-2:]))

    def resolved_params(self) -> dict:
        return {"num_ops": self.params.num_ops, "magnitude": self.params.magnitude, "ops": list(self.ops)}

    def augment(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        generator = self.generator(x.device)
        self.table = self.table.to(x.device)  # moved once, on the first batch
        for _ in range(self.params.num_ops):
            draw = draw_ops(x.shape[0], len(self.ops), BINS, generator, x.device, level=self.params.magnitude)
            m = self.table.of(draw)
            x = apply_ops(x, draw.op_index, m, self.ops)
        return x, y
