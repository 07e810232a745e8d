"""Class-conditional networks for the generative methods: conv nets for image tasks, MLPs for feature tasks.

`build_*` pick the variant from the task's `input_shape`: (C, H, W) with H and W divisible by 4 gets
DCGAN-shaped conv nets, (D,) gets MLPs. A new feature task therefore needs no code here.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from augbench.tasks.base import Task


def check_shape(task: Task) -> None:
    """Raise ValueError when no network variant here fits the task's input shape."""
    shape = task.input_shape
    if len(shape) == 1:
        return
    if len(shape) == 3 and shape[1] % 4 == 0 and shape[2] % 4 == 0:
        return
    raise ValueError(f"no generator network for task {task.name!r} with input shape {shape}: "
                     "need (D,) features or (C, H, W) images with H and W divisible by 4")


class RangeOutput(nn.Module):
    """Maps unbounded decoder outputs into the task's input range.

    A bounded range [lo, hi] gets lo + (hi - lo) * sigmoid(logits), so samples are valid inputs by
    construction; an unbounded one (standardised features) is left as it is.
    """

    def __init__(self, input_range: tuple[float, float] | None) -> None:
        super().__init__()
        self.input_range = input_range

    def forward(self, logits: torch.Tensor) -> torch.Tensor:
        if self.input_range is None:
            return logits
        low, high = self.input_range
        return low + (high - low) * torch.sigmoid(logits)


class Decoder(nn.Module):
    """(z [N, z_dim], y [N]) -> logits [N, *input_shape]: the GAN generator and the VAE decoder.

    Images: z and a label embedding are projected to [N, 2w, H/4, W/4], then two stride-2 transposed
    convolutions (BatchNorm + ReLU between, as in DCGAN) reach [N, C, H, W].
    """

    def __init__(self, task: Task, z_dim: int, width: int) -> None:
        super().__init__()
        self.shape = tuple(task.input_shape)
        self.embed = nn.Embedding(task.num_classes, z_dim)
        if len(self.shape) == 1:
            hidden = 4 * width
            self.body = nn.Sequential(
                nn.Linear(2 * z_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                nn.Linear(hidden, self.shape[0]),
            )
        else:
            c, h, w = self.shape
            self.seed_shape = (2 * width, h // 4, w // 4)
            self.project = nn.Sequential(nn.Linear(2 * z_dim, 2 * width * (h // 4) * (w // 4)))
            self.body = nn.Sequential(
                nn.BatchNorm2d(2 * width), nn.ReLU(),
                nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                nn.ConvTranspose2d(width, c, 4, 2, 1),
            )

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = torch.cat([z, self.embed(y)], dim=1)
        if len(self.shape) == 1:
            return self.body(h)
        return self.body(self.project(h).view(-1, *self.seed_shape))


class Features(nn.Module):
    """x [N, *input_shape] (+ optional extra channels) -> features [N, 4w]: the trunk of critics and encoders.

    No normalisation layers: the WGAN-GP penalty is per sample (Gulrajani et al. 2017), which batch
    norm would break, and the GAN discriminator and VAE encoder use the same trunk.
    """

    def __init__(self, task: Task, width: int, extra_in: int = 0) -> None:
        super().__init__()
        shape = tuple(task.input_shape)
        self.out_dim = 4 * width
        if len(shape) == 1:
            self.body = nn.Sequential(
                nn.Linear(shape[0] + extra_in, 4 * width), nn.LeakyReLU(0.2),
                nn.Linear(4 * width, 4 * width), nn.LeakyReLU(0.2),
            )
        else:
            c, h, w = shape
            self.body = nn.Sequential(
                nn.Conv2d(c + extra_in, width, 4, 2, 1), nn.LeakyReLU(0.2),
                nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2),
                nn.Flatten(),
                nn.Linear(2 * width * (h // 4) * (w // 4), 4 * width), nn.LeakyReLU(0.2),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class ProjectionCritic(nn.Module):
    """(x, y) -> score [N]: a projection discriminator (Miyato and Koyama 2018), psi(phi) + <embed(y), phi>."""

    def __init__(self, task: Task, width: int) -> None:
        super().__init__()
        self.features = Features(task, width)
        self.linear = nn.Linear(self.features.out_dim, 1)
        self.embed = nn.Embedding(task.num_classes, self.features.out_dim)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        phi = self.features(x)
        return self.linear(phi).squeeze(1) + (self.embed(y) * phi).sum(dim=1)


class Encoder(nn.Module):
    """q(z | x, y) of the conditional VAE: (x, y) -> (mu, logvar), each [N, z_dim].

    The label enters as one-hot planes (images) or one-hot columns (features) beside the input.
    """

    def __init__(self, task: Task, z_dim: int, width: int) -> None:
        super().__init__()
        self.num_classes = task.num_classes
        self.image = len(task.input_shape) == 3
        self.features = Features(task, width, extra_in=task.num_classes)
        self.head = nn.Linear(self.features.out_dim, 2 * z_dim)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        onehot = F.one_hot(y, self.num_classes).to(x.dtype)
        if self.image:
            onehot = onehot[:, :, None, None].expand(-1, -1, *x.shape[2:])
        mu, logvar = self.head(self.features(torch.cat([x, onehot], dim=1))).chunk(2, dim=1)
        return mu, logvar
