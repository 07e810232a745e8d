"""The classic augmentation recipes, one per modality, each drawing its random parameters per sample.

A task declares which recipe fits its data (`Task.classic`) with its default settings; the `classic`
method applies it to each training batch on the device. Every recipe draws independent parameters for
every sample in one vectorized step: torchvision's v2 transforms draw one set of parameters for a
whole batched tensor, which would augment every example of a batch the same way.

- `CropFlip` (images): random crop after zero padding, horizontal flip where mirroring keeps the label.
- `SpecAugment` (log-mel spectrogram maps): frequency and time masking (Park et al. 2019) plus a small
  random time shift. Masked and shifted-in cells take the value 0, which is the training mean of
  standardized features (Park et al. mask with the mean).
- `FeatureNoise` (dense feature vectors, e.g. TF-IDF + SVD of text): feature dropout (a dropped feature
  takes its training mean, 0) plus additive Gaussian noise, both in standardized feature units.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F


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
    """Crop each padded image at its own offset and mirror the chosen ones; `x` [N, C, H, W] is not modified.

    One `take` from the padded batch with a linear index per output element; a mirrored sample reads
    its columns right to left, so the flip costs no second pass over the batch.
    """
    n, c, h, w = x.shape
    padded = F.pad(x, (padding, padding, padding, padding)) if padding > 0 else x.contiguous()
    height, width = h + 2 * padding, w + 2 * padding
    steps = torch.arange(w, device=x.device)
    cols = draw.left[:, None] + torch.where(draw.flip[:, None], w - 1 - steps, steps)  # [N, W]
    rows = draw.top[:, None] + torch.arange(h, device=x.device)  # [N, H]
    planes = (torch.arange(n, device=x.device)[:, None] * c + torch.arange(c, device=x.device)) * (height * width)  # [N, C]
    index = planes[:, :, None, None] + (rows * width)[:, None, :, None] + cols[:, None, None, :]
    return padded.reshape(-1).take(index)


@dataclass(frozen=True)
class CropFlip:
    """Images [N, C, H, W]: random crop after `padding` pixels of zero padding, optional horizontal flip."""

    padding: int  # pixels of zero padding before a random crop back to the original size
    flip: bool  # horizontal flips: only where mirroring keeps the label (never for digits)

    def check(self, task_name: str, input_shape: tuple[int, ...], default: "CropFlip") -> None:
        if self.padding < 0:
            raise ValueError(f"classic.padding={self.padding} is invalid: it must be >= 0")
        if self.padding > min(input_shape[-2:]):
            raise ValueError(f"classic.padding={self.padding} is larger than the {task_name} image side")
        if self.flip and not default.flip:
            raise ValueError(f"classic.flip=true is invalid for task {task_name!r}: its labels do not survive mirroring")

    def apply(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        draw = draw_crop_flip(x.shape[0], self.padding, self.flip, generator, x.device)
        return apply_crop_flip(x, draw, self.padding)


def _spans(n: int, count: int, max_width: int, length: int, generator: torch.Generator,
           device: torch.device) -> torch.Tensor:
    """bool [N, length]: the union of `count` spans per sample, each of width U{0..max_width} at a uniform start."""
    positions = torch.arange(length, device=device)
    covered = torch.zeros(n, length, dtype=torch.bool, device=device)
    width_cap = min(max_width, length)
    for _ in range(count):
        width = torch.randint(0, width_cap + 1, (n, 1), generator=generator, device=device)
        start = (torch.rand(n, 1, generator=generator, device=device) * (length - width + 1)).floor().long()
        covered |= (positions >= start) & (positions < start + width)
    return covered


@dataclass(frozen=True)
class SpecAugment:
    """Spectrogram maps [N, 1, mel, time] (standardized): SpecAugment masks plus a small time shift."""

    freq_masks: int  # frequency masks per sample (Park et al.: 1-2)
    freq_width: int  # maximum mel bins per frequency mask
    time_masks: int  # time masks per sample
    time_width: int  # maximum frames per time mask
    shift: int  # maximum frames of random time shift, either way (shifted-in frames are 0)

    def check(self, task_name: str, input_shape: tuple[int, ...], default: "SpecAugment") -> None:
        for name in ("freq_masks", "freq_width", "time_masks", "time_width", "shift"):
            if getattr(self, name) < 0:
                raise ValueError(f"classic.{name}={getattr(self, name)} is invalid: it must be >= 0")
        mel, frames = input_shape[-2:]
        if self.freq_width > mel:
            raise ValueError(f"classic.freq_width={self.freq_width} exceeds the {mel} mel bins of task {task_name!r}")
        if self.time_width > frames or self.shift >= frames:
            raise ValueError(f"classic.time_width={self.time_width} / classic.shift={self.shift} do not fit the "
                             f"{frames} frames of task {task_name!r}")

    def apply(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        n, _, mel, frames = x.shape
        out = x
        if self.shift > 0:
            offset = torch.randint(-self.shift, self.shift + 1, (n, 1), generator=generator, device=x.device)
            source = torch.arange(frames, device=x.device) - offset  # [N, T]: frame t shows frame t - offset
            valid = (source >= 0) & (source < frames)
            index = source.clamp(0, frames - 1)[:, None, None, :].expand(n, x.shape[1], mel, frames)
            out = torch.gather(x, 3, index) * valid[:, None, None, :]
        freq = _spans(n, self.freq_masks, self.freq_width, mel, generator, x.device)
        time = _spans(n, self.time_masks, self.time_width, frames, generator, x.device)
        masked = freq[:, None, :, None] | time[:, None, None, :]
        return out.masked_fill(masked, 0.0)


@dataclass(frozen=True)
class FeatureNoise:
    """Dense standardized feature vectors [N, D]: feature dropout plus additive Gaussian noise."""

    dropout: float  # probability that a feature is set to its training mean (0), per sample and feature
    noise_std: float  # std of the additive Gaussian noise, in standardized units

    def check(self, task_name: str, input_shape: tuple[int, ...], default: "FeatureNoise") -> None:
        if not 0 <= self.dropout < 1:
            raise ValueError(f"classic.dropout={self.dropout} is invalid: it must be in [0, 1)")
        if not self.noise_std >= 0:
            raise ValueError(f"classic.noise_std={self.noise_std} is invalid: it must be >= 0")

    def apply(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        keep = torch.rand(x.shape, generator=generator, device=x.device) >= self.dropout
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return x * keep + self.noise_std * noise


ClassicRecipe = CropFlip | SpecAugment | FeatureNoise
RECIPES: tuple[type, ...] = (CropFlip, SpecAugment, FeatureNoise)


def recipe_fields(recipe: Any) -> list[str]:
    """The settings of a recipe, as `--param classic.KEY` accepts them."""
    return [f.name for f in dataclasses.fields(recipe)]
