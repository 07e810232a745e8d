"""TrivialAugment (Muller & Hutter 2021), the "wide" space: per sample, one op and one magnitude bin, uniformly.

The op (one of 14) and its magnitude (one of 31 bins over the wide ranges, with a random sign for
signed ops) are drawn independently for every sample and applied on the device
(`augbench/transforms/image_ops.py`). Kornia's `TrivialAugment` draws one op per batch
(`rand_selector.sample((1,))`) and torchvision's `TrivialAugmentWide` one per call, so neither applied to
a batch tensor is the published method.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from augbench.transforms.image_ops import OP_NAMES, WIDE, apply_ops, draw_ops, magnitude_table
from augbench.methods import METHODS
from augbench.methods.base import Method
from augbench.tasks.base import Task

# Ops a task's labels cannot take. None of the 14 ops mirrors an image, so no flip needs excluding.
# MNIST: rotate (the wide range reaches 135 degrees: a 6 turned by 135-180 degrees reads as a 9, and
# a 2 and a 5, or a 7 and an L, trade places); color (saturation does nothing to a grayscale image,
# so it would only double the share of identity); translate_x/y (the wide range moves up to 32 px, more
# than the 28-px frame: about 4% of samples became blank images that kept their label).
EXCLUDED: dict[str, tuple[str, ...]] = {"mnist": ("rotate", "color", "translate_x", "translate_y")}


@dataclass(frozen=True)
class TrivialAugmentParams:
    bins: int = 31  # magnitude bins spread linearly over each op's wide range (Muller & Hutter: 31, bin 0 = no change)


@METHODS.register("trivialaugment")
class TrivialAugment(Method):
    """One uniformly drawn op at a uniformly drawn strength per sample (TrivialAugmentWide)."""

    Params = TrivialAugmentParams
    modalities = ("image",)

    @classmethod
    def default_params(cls, profile: str, task: Task) -> TrivialAugmentParams:
        # TrivialAugment has no hyperparameter to tune: the paper's 31 bins in every profile.
        return TrivialAugmentParams()

    def __init__(self, params: TrivialAugmentParams, task: Task, seed: int) -> None:
        super().__init__(params, task, seed)
        if params.bins < 2:
            raise ValueError(f"trivialaugment.bins={params.bins} is invalid: it must be >= 2")
        self.ops = tuple(name for name in OP_NAMES if name not in EXCLUDED.get(task.name, ()))
        self.table = magnitude_table(self.ops, WIDE, params.bins, tuple(task.input_shape[-2:]))

    def resolved_params(self) -> dict:
        return {"bins": self.params.bins, "ops": list(self.ops)}

    def augment(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        draw = draw_ops(x.shape[0], len(self.ops), self.params.bins, self.generator(x.device), x.device)
        self.table = self.table.to(x.device)  # moved once, on the first batch
        m = self.table.of(draw)
        return apply_ops(x, draw.op_index, m, self.ops), y
