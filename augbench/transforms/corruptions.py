"""Common corruptions of the test split, at fixed severities, seeded (Hendrycks and Dietterich 2019).

Image corruptions take inputs in [0, 1] of any channel count and follow CIFAR-10-C's definitions at
severity 3 (the middle of its 1-5 scale); both image tasks use the same set, defined once here.
Feature corruptions act on standardized features (unit variance per feature on the training data), so
additive Gaussian noise of std s has a signal-to-noise ratio of -20 log10(s) dB. Waveform corruptions
(audio) must be applied before featurization: the task computes them when it builds its features and
carries them beside the clean test split (`Split.views`); they are declared here so every name has one
definition and one documented setting.
The noise draws come from a generator seeded by the caller, so every method is judged on the very
same corrupted examples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torchvision.io import decode_jpeg, encode_jpeg
from torchvision.transforms.v2.functional import gaussian_blur as tv_gaussian_blur

from augbench.core.seeding import make_generator
from augbench.transforms.recordings import WAVEFORM_CORRUPTIONS
from augbench.transforms.sentences import SENTENCE_CORRUPTIONS

# How each kind of recording corruption's setting reads (augbench/transforms/recordings.py defines them).
WAVEFORM_SETTINGS = {"white": "white noise at {:g} dB SNR", "pink": "pink (1/f) noise at {:g} dB SNR",
                     "babble": "4 other recordings mixed in at {:g} dB SNR",
                     "reverb": "a synthetic room of RT60 {:g} s", "speed": "played at {:g}x speed",
                     "pitch": "pitch times {:g} at the same tempo"}


@dataclass(frozen=True)
class Corruption:
    name: str
    setting: str  # the severity's parameter, for the docs and the report
    apply: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None  # x -> same shape; None: precomputed by the task


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


def _feature_noise(snr_db: float) -> Callable[[torch.Tensor, torch.Generator], torch.Tensor]:
    std = 10 ** (-snr_db / 20)

    def apply(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        return x + std * torch.randn(x.shape, generator=g, device=x.device, dtype=x.dtype)
    return apply


def _feature_dropout(rate: float) -> Callable[[torch.Tensor, torch.Generator], torch.Tensor]:
    def apply(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        return x * (torch.rand(x.shape, generator=g, device=x.device) >= rate)
    return apply


def _time_mask(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    # Spectrogram maps [N, C, mel, time]: a quarter of the frames, one block per example, set to the mean (0).
    frames = x.shape[-1]
    width = frames // 4
    start = (torch.rand(x.shape[0], 1, generator=g, device=x.device) * (frames - width + 1)).floor().long()
    positions = torch.arange(frames, device=x.device)
    block = (positions >= start) & (positions < start + width)
    return x.masked_fill(block[:, None, None, :], 0.0)


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
        Corruption("feature_noise_20db", "additive N(0, 0.1^2) on standardized features (20 dB SNR)", _feature_noise(20)),
        Corruption("feature_noise_10db", "additive N(0, 0.316^2) on standardized features (10 dB SNR)", _feature_noise(10)),
        Corruption("feature_noise_0db", "additive N(0, 1) on standardized features (0 dB SNR)", _feature_noise(0)),
        Corruption("feature_dropout_10", "10% of features set to their mean (0)", _feature_dropout(0.1)),
        Corruption("feature_dropout_30", "30% of features set to their mean (0)", _feature_dropout(0.3)),
        Corruption("time_mask", "one block of 25% of the frames set to the mean (0)", _time_mask),
        *[Corruption(name, f"{WAVEFORM_SETTINGS[kind].format(setting)} on the recording, then featurized", None)
          for name, (kind, setting) in WAVEFORM_CORRUPTIONS.items()],
        *[Corruption(name, f"{kind.replace('_', ' ')} at {rate:.0%} of the "
                           f"{'letters' if name.startswith('typo') else 'words'} of each test sentence, then featurized", None)
          for name, (kind, rate) in SENTENCE_CORRUPTIONS.items()],
    ]
}

# The text tasks' corruptions act on the sentences (augbench/transforms/sentences.py: typos and EDA's edits at stated
# rates), featurized by the cell's featurizer; the feature-space noise and dropout above are no benchmark's
# corruptions and stay only for `corrupt`'s callers.
TEXT_CORRUPTIONS: tuple[str, ...] = tuple(SENTENCE_CORRUPTIONS)
# The audio task's: the recording corruptions of augbench/transforms/recordings.py, and a time mask on the map.
AUDIO_CORRUPTIONS: tuple[str, ...] = (*WAVEFORM_CORRUPTIONS, "time_mask")


def corrupt(name: str, x: torch.Tensor, seed: int) -> torch.Tensor:
    """`x` (prepared inputs) under corruption `name`, with noise drawn from `seed` (never in place).

    Raises:
        ValueError: `name` is computed by its task before featurization (a waveform corruption).
    """
    corruption = CORRUPTIONS[name]
    if corruption.apply is None:
        raise ValueError(f"corruption {name!r} acts on raw data before featurization; the task provides it in Split.views")
    generator = make_generator(seed, f"corruption:{name}", x.device)
    return corruption.apply(x, generator)
