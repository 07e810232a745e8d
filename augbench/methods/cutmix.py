"""CutMix (Yun et al. 2019): paste a box of a partner sample into each sample; labels mix by area.

Images get a spatial box, log-mel maps a time-frequency box (mel bands x frames). The target weight of a
sample's own label is the share of its pixels that are left after the box is clipped to the input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from augbench.methods import METHODS
from augbench.methods.base import Method
from augbench.methods.mixup import check_alpha, mixed_targets, weight_stream
from augbench.tasks.base import Task


@dataclass(frozen=True)
class CutMixParams:
    alpha: float = 1.0  # Beta(alpha, alpha) concentration of each sample's kept share before clipping (> 0); the paper's 1.0 (lam uniform)
    prob: float = 1.0  # probability that a sample gets a box, in [0, 1]; the paper's code: 1.0 on ImageNet, 0.5 on CIFAR-100 (there once per batch)


# The quick profile's strength on FSDD, chosen on validation over 3 seeds at 300 recordings
# (results/tuning/fsdd-strengths.md): a box on every map was 14.3 points below `none`, a box on a quarter
# of them 0.3 below. Other tasks and profiles keep the paper's values.
QUICK = {"fsdd": CutMixParams(prob=0.25)}


@dataclass(frozen=True)
class BoxDraw:
    """One batch's random draw: each sample's partner and the box pasted from it, as half-open ranges of
    the last two dimensions (rows: height or mel bands; columns: width or frames), already clipped."""

    partner: torch.Tensor  # [N] int64: index of the sample the box comes from (a permutation of the batch)
    top: torch.Tensor  # [N] int64: first row of the box
    bottom: torch.Tensor  # [N] int64: one past its last row (top == bottom: no box)
    left: torch.Tensor  # [N] int64: first column
    right: torch.Tensor  # [N] int64: one past its last column

    def kept_share(self, height: int, width: int) -> torch.Tensor:
        """[N] float32: share of each sample's own pixels left, its label's weight in the target."""
        area = (self.bottom - self.top) * (self.right - self.left)
        return 1 - area.to(torch.float32) / (height * width)


@METHODS.register("cutmix")
class CutMix(Method):
    """Per sample: a box of share 1 - lam (lam ~ Beta(alpha, alpha)) cut from a partner and pasted in.

    As in the paper's code, the box is cut_h x cut_w = floor(H sqrt(1 - lam)) x floor(W sqrt(1 - lam)) around
    a centre drawn uniformly over the pixels, spans centre -/+ cut // 2 and is clipped to the input, so
    near an edge it is smaller than drawn; the target uses the area actually pasted. lam is drawn per
    sample, not once per batch as in the paper, for the reason given in `augbench.methods.mixup.Mixup`; the
    partner is a random permutation of the batch. A box has no meaning on a feature vector, so the method
    applies to image and audio (log-mel map) tasks only.
    """

    Params = CutMixParams
    soft_targets = True  # returns probability targets
    modalities = ("image", "audio")

    @classmethod
    def default_params(cls, profile: str, task: Task) -> CutMixParams:
        return QUICK.get(task.name, CutMixParams()) if profile == "quick" else CutMixParams()

    def __init__(self, params: CutMixParams, task: Task, seed: int) -> None:
        super().__init__(params, task, seed)
        check_alpha("cutmix", params.alpha)
        if not 0 <= params.prob <= 1:
            raise ValueError(f"cutmix.prob={params.prob} is invalid: it must be in [0, 1]")
        self._weights = weight_stream(seed, "cutmix")

    def draw(self, n: int, height: int, width: int, device: torch.device) -> BoxDraw:
        """Each sample's partner and clipped box for a batch of n inputs of height x width."""
        rng = self._weights
        lam = rng.beta(self.params.alpha, self.params.alpha, size=n)
        lam = np.where(rng.random(n) < self.params.prob, lam, 1.0)
        # Box sides on the host, in float64 as the paper does, then one small copy to the device.
        side = np.sqrt(1.0 - lam)
        cut = torch.from_numpy(np.stack([np.floor(height * side), np.floor(width * side)]).astype(np.int64)).to(device)
        generator = self.generator(device)
        partner = torch.randperm(n, generator=generator, device=device)
        centre_row = torch.randint(0, height, (n,), generator=generator, device=device)
        centre_col = torch.randint(0, width, (n,), generator=generator, device=device)
        half_h, half_w = cut[0] // 2, cut[1] // 2
        return BoxDraw(partner,
                       top=(centre_row - half_h).clamp(0, height), bottom=(centre_row + half_h).clamp(0, height),
                       left=(centre_col - half_w).clamp(0, width), right=(centre_col + half_w).clamp(0, width))

    def apply(self, x: torch.Tensor, y: torch.Tensor, draw: BoxDraw) -> tuple[torch.Tensor, torch.Tensor]:
        """The batch with each box pasted in, and its targets [N, C] (pure: the inputs are not modified)."""
        height, width = x.shape[-2:]
        rows = torch.arange(height, device=x.device).view(1, height, 1)
        cols = torch.arange(width, device=x.device).view(1, 1, width)
        inside = ((rows >= draw.top.view(-1, 1, 1)) & (rows < draw.bottom.view(-1, 1, 1))
                  & (cols >= draw.left.view(-1, 1, 1)) & (cols < draw.right.view(-1, 1, 1)))  # [N, H, W]
        inside = inside.view(len(x), *[1] * (x.dim() - 3), height, width)  # broadcast over channels
        out = torch.where(inside, x[draw.partner], x)
        return out, mixed_targets(y, draw.partner, draw.kept_share(height, width), self.task.num_classes)

    def augment(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        return self.apply(x, y, self.draw(len(y), x.shape[-2], x.shape[-1], x.device))
