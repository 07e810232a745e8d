"""The baseline: train on the data as it is."""

from __future__ import annotations

import torch
from torch import nn

from augbench.methods import METHODS
from augbench.methods.base import Method


@METHODS.register("none")
class NoAugmentation(Method):
    """Returns the batch unchanged (as the same tensors: nothing is copied or modified)."""

    def augment(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        return x, y
