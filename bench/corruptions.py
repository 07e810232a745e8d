"""Common corruptions of the test split, at fixed severities, seeded (Hendrycks and Dietterich 2019).

Image corruptions take inputs in [0, 1] of any channel count and follow CIFAR-10-C's definitions at
severity 3 (the middle of its 1-5 scale); both image tasks use the same set, defined once here.
The noise draws come from a generator seeded by the caller, so every method is judged on the very
same corrupted images.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torchvision.io import decode_jpeg, encode_jpeg
from torchvision.transforms.v2.functional import gaussian_blur as tv_gaussian_blur

from bench.seeding import make_generator


@dataclass(frozen=True)
class Corruption:
    name: str
    setting: str  # the severity's parameter, for the docs and the report
    apply: Callable[[torch.Tensor, torch.Generator], torch.Tensor]  # x [N, C, H, W] in [0, 1] -> same shape, in [0, 1]


def _gaussian_noise(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    noise = torch.randn(x.shape, generator=g, device=x.device, dtype=x.dtype)
    return (x + 0.08 * noise).clamp(0, 1)


def _shot_noise(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    photons = 100.0  # Poisson noise: each pixel value is a count of `photons` at full intensity
    return (torch.poisson(x * photons, generator=g) / photons).clamp(0, 1)


def _impulse_noise(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    amount = 0.03  # share of pixel values replaced by salt (1) or pepper (0)
    hit = torch.rand(x.shape, generator=g, device=x.device) < amount
    salt = (torch.rand(x.shape, generator=g, device=x.device) < 0.5).to(x.dtype)
    return torch.where(hit, salt, x)


def _gaussian_blur(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    sigma = 0.7
    kernel = 2 * math.ceil(3 * sigma) + 1
    return tv_gaussian_blur(x, kernel_size=[kernel, kernel], sigma=[sigma, sigma]).clamp(0, 1)


def _contrast(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return ((x - mean) * 0.4 + mean).clamp(0, 1)


def _brightness(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    # CIFAR-10-C adds 0.15 to HSV value. Hue and saturation fixed, RGB scales with V; a black pixel
    # (no hue) becomes grey. For one channel this is simply x + 0.15.
    value = x.max(dim=1, keepdim=True).values
    brighter = (value + 0.15).clamp(0, 1)
    scaled = x * brighter / value.clamp_min(1e-12)
    return torch.where(value > 0, scaled, brighter.expand_as(x)).clamp(0, 1)


def _pixelate(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    h, w = x.shape[-2:]
    small = F.interpolate(x, size=(int(h * 0.85), int(w * 0.85)), mode="area")
    return F.interpolate(small, size=(h, w), mode="nearest")


def _jpeg(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    # torchvision's codec works on uint8 CPU images; the result returns to the input's device.
    if len(x) == 0:
        return x.clone()
    images = list((x * 255).round().to(torch.uint8).cpu())
    decoded = decode_jpeg(encode_jpeg(images, quality=58))
    return torch.stack(decoded).to(device=x.device, dtype=x.dtype) / 255


IMAGE_CORRUPTIONS: tuple[str, ...] = (
    "gaussian_noise", "shot_noise", "impulse_noise", "gaussian_blur", "contrast", "brightness", "pixelate", "jpeg",
)

CORRUPTIONS: dict[str, Corruption] = {
    c.name: c
    for c in [
        Corruption("gaussian_noise", "additive N(0, 0.08^2)", _gaussian_noise),
        Corruption("shot_noise", "Poisson, 100 photons at full intensity", _shot_noise),
        Corruption("impulse_noise", "salt and pepper on 3% of values", _impulse_noise),
        Corruption("gaussian_blur", "sigma 0.7 px", _gaussian_blur),
        Corruption("contrast", "contrast scaled to 0.4 around the image mean", _contrast),
        Corruption("brightness", "HSV value + 0.15", _brightness),
        Corruption("pixelate", "area-downsampled to 85% side, nearest upsampled", _pixelate),
        Corruption("jpeg", "JPEG quality 58", _jpeg),
    ]
}


def corrupt(name: str, x: torch.Tensor, seed: int) -> torch.Tensor:
    """`x` [N, C, H, W] in [0, 1] under corruption `name`, with noise drawn from `seed` (never in place)."""
    generator = make_generator(seed, f"corruption:{name}", x.device)
    return CORRUPTIONS[name].apply(x, generator)
