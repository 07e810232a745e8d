"""Classic augmentation: random crop after zero padding, plus horizontal flip where the task allows it.

Parameters are drawn per sample and applied in one vectorized step on the device: torchvision's v2
transforms draw one set of parameters for a whole batched tensor, which would crop every image of a
batch the same way.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from methods import METHODS
from methods.base import Method
from tasks.base import Task


@dataclass(frozen=True)
class ClassicParams:
    padding: int | None = None  # pixels of zero padding before the random crop; none: the task's choice
    flip: bool | None = None  # random horizontal flip with p=0.5; none: the task's choice (never for digits)


@dataclass(frozen=True)
class CropFlipDraw:
    """Per-sample random parameters of one batch."""

    top: torch.Tensor  # int64 [N], row offset into the padded image, in [0, 2 * padding]
    left: torch.Tensor  # int64 [N], column offset, in [0, 2 * padding]
    flip: torch.Tensor  # bool [N], mirror this sample


def draw_crop_flip(n: int, padding: int, flip: bool, generator: torch.Generator, device: torch.device) -> CropFlipDraw:
    """Independent crop offsets and flip decisions for `n` samples."""
    top = torch.randint(0, 2 * padding + 1, (n,), generator=generator, device=device)
    left = torch.randint(0, 2 * padding + 1, (n,), generator=generator, device=device)
    mirrored = torch.rand(n, generator=generator, device=device) < 0.5 if flip else torch.zeros(n, dtype=torch.bool, device=device)
    return CropFlipDraw(top, left, mirrored)


def apply_crop_flip(x: torch.Tensor, draw: CropFlipDraw, padding: int) -> torch.Tensor:
    """Crop each padded image at its own offset and mirror the chosen ones; `x` [N, C, H, W] is not modified."""
    n, c, h, w = x.shape
    if padding > 0:
        padded = F.pad(x, (padding, padding, padding, padding))
        rows = (draw.top[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
        cols = (draw.left[:, None] + torch.arange(w, device=x.device))[:, None, None, :]
        batch = torch.arange(n, device=x.device)[:, None, None, None]
        channel = torch.arange(c, device=x.device)[None, :, None, None]
        out = padded[batch, channel, rows, cols]
    else:
        out = x.clone()
    return torch.where(draw.flip.view(-1, 1, 1, 1), out.flip(-1), out)


@METHODS.register("classic")
class Classic(Method):
    """Random crop with zero padding (both image tasks) and horizontal flip (only where the task allows)."""

    Params = ClassicParams

    def __init__(self, params: ClassicParams, task: Task, seed: int) -> None:
        super().__init__(params, task, seed)
        policy = task.classic
        if policy is None or task.modality != "image":
            raise ValueError(f"classic has no policy for task {task.name!r} (modality {task.modality})")
        self.padding = policy.padding if params.padding is None else params.padding
        self.flip = policy.flip if params.flip is None else params.flip
        if self.padding < 0:
            raise ValueError(f"classic.padding={self.padding} is invalid: it must be >= 0")
        if self.padding > min(task.input_shape[-2:]):
            raise ValueError(f"classic.padding={self.padding} is larger than the {task.name} image side")
        if self.flip and not policy.flip:
            raise ValueError(f"classic.flip=true is invalid for task {task.name!r}: its labels do not survive mirroring")

    def resolved_params(self) -> dict:
        return dataclasses.asdict(ClassicParams(padding=self.padding, flip=self.flip))

    def augment(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        draw = draw_crop_flip(x.shape[0], self.padding, self.flip, self.generator(x.device), x.device)
        return apply_crop_flip(x, draw, self.padding), y
