"""Cutout (DeVries & Taylor 2017): one square per sample set to the training mean, centre uniform over the map.

The paper masks *normalised* images with 0, i.e. with the per-channel dataset mean (their code applies
`Cutout` after `Normalize`). Here images reach methods as [0, 1] pixels and the classifier normalises in
its first layer, so the faithful fill is the per-channel mean of the cell's training split in pixel
units, computed in `fit`; on standardised log-mel maps (FSDD) that mean is 0, the value SpecAugment's
masks take. The centre is uniform over all pixels and the square is clipped at the border, so squares
near an edge cover less (as in the paper).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from augbench.transforms.image_ops import cutout, draw_centres
from augbench.methods import METHODS
from augbench.methods.base import FitContext, Method
from augbench.tasks.base import Split, Task

# Square side per task: half the object's smaller extent, the paper's CIFAR-10 proportion (16 px on
# 32-px images whose objects fill the frame). MNIST digits are size-normalised into a 20 x 20 box: 10 px.
# FSDD maps are 16 mel bands x 64 frames of 16 ms (32 bands before 2026-12-07), and the mean utterance lasts
# 0.44 s (~27 frames): 14 cells, 14 frames (224 ms, about a syllable) by 14 bands, chosen on the 32-band maps as
# half the utterance. Classic's SpecAugment masks are narrower (an eighth of the bands, 6 frames) but span the
# whole map in the other axis.
SIZES = {"cifar10": 16, "mnist": 10, "fsdd": 14}
# The quick profile's square on FSDD, chosen on validation over 3 seeds: on the 16-band maps at 150 recordings
# among 3, 5, 7, 10 and 14 cells (results/tuning/fsdd-retune.md): 3, 0.3 points above `none` (5: 0.3 below; 14:
# 3.1 below); on the 32-band maps at 300 recordings it had been 5 (results/tuning/fsdd-strengths.md). Other
# tasks and profiles keep SIZES.
QUICK_SIZES = {"fsdd": 3}


@dataclass(frozen=True)
class CutoutParams:
    size: int | None = None  # side of the square, in pixels (images) or cells (log-mel maps: bands = frames); None: the task's (cifar10 16, mnist 10, fsdd 14); the quick profile's default on fsdd is 3
    fill: float | None = None  # value of the masked cells in input units; None: the per-channel mean of the training split (the paper's 0 after normalisation)


@METHODS.register("cutout")
class Cutout(Method):
    """One square per sample, at a uniform centre, clipped at the border, filled with the training mean."""

    Params = CutoutParams
    modalities = ("image", "audio")

    @classmethod
    def default_params(cls, profile: str, task: Task) -> CutoutParams:
        sizes = {**SIZES, **QUICK_SIZES} if profile == "quick" else SIZES
        return CutoutParams(size=sizes.get(task.name))

    def __init__(self, params: CutoutParams, task: Task, seed: int) -> None:
        super().__init__(params, task, seed)
        height, width = task.input_shape[-2:]
        self.size = params.size if params.size is not None else SIZES.get(task.name, min(height, width) // 2)
        if not 1 <= self.size <= min(height, width):
            raise ValueError(f"cutout.size={self.size} is invalid for task {task.name!r}: it must be in "
                             f"[1, {min(height, width)}] (the {height} x {width} map's shorter side)")
        bounds = task.input_range
        if params.fill is not None and bounds is not None and not bounds[0] <= params.fill <= bounds[1]:
            raise ValueError(f"cutout.fill={params.fill} is invalid for task {task.name!r}: it must be in "
                             f"[{bounds[0]}, {bounds[1]}] (the task's input range)")
        # [1, C, 1, 1] in input units: `fill`, or the training mean once `fit` has run
        self.fill_value: torch.Tensor | None = None if params.fill is None else torch.full((1, task.input_shape[0], 1, 1), params.fill)

    def resolved_params(self) -> dict:
        return {"size": self.size, "fill": "train_mean" if self.params.fill is None else self.params.fill}

    def fit(self, train: Split, context: FitContext) -> None:
        """The per-channel mean of the training split, in input units (chunked: the split may be large)."""
        if self.params.fill is not None:
            return
        channels = self.task.input_shape[0]
        total = torch.zeros(channels, dtype=torch.float64, device=train.x.device)
        for start in range(0, len(train), 4096):
            total += self.task.prepare(train.x[start:start + 4096]).double().sum(dim=(0, 2, 3))
        count = max(len(train), 1) * train.x.shape[-1] * train.x.shape[-2]
        self.fill_value = (total / count).float().view(1, channels, 1, 1)

    def augment(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        if self.fill_value is None:
            raise RuntimeError("cutout: call fit() first, it computes the fill value (the training mean)")
        rows, cols = draw_centres(x.shape[0], tuple(x.shape[-2:]), self.generator(x.device), x.device)
        return cutout(x, rows, cols, self.size, self.fill_value.to(x.device)), y
