"""Waveform augmentation on FSDD: speed perturbation, gain, white noise and a time shift of each recording, before
its log-mel map is computed, then the task's SpecAugment on the map.

Per recording and view, drawn independently: a speed factor s (Ko et al. 2015: resampling, so duration
/ s and pitch x s; drawn uniformly from [1 - speed, 1 + speed] in steps of 0.01), a gain in +-gain_db dB,
white Gaussian noise at an SNR uniform in [snr_db_low, snr_db_high] dB of the recording's mean power
(over its own length, as the test split's waveform-noise corruption), then the crop/pad to the task's
fixed 1.008 s, then a delay of up to shift_ms (zeros before the recording, the tail past the window
dropped). The shift is a delay and not an advance: FSDD recordings are trimmed to start at the speech
onset (median 17 ms in), so an advance would cut off the first sound of the digit, while the window has
room after it (the median recording lasts 0.42 s of the 1.008 s).

The `views` copies are made once per cell from the training recordings and turned into log-mel maps with
the statistics of the original recordings (`Task.with_train_views`); each training step draws, per
sample, the original or one copy, then applies SpecAugment (fsdd's `classic` recipe: masks and a shift)
to the drawn map, per sample, when `specaugment` is on.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from augbench.methods import METHODS
from augbench.methods.base import Method, draw_views, take_views
from augbench.tasks.base import Task, ViewSpec, object_array
from augbench.tasks.fsdd import SAMPLE_RATE, fixed_length, with_noise

SPEED_STEPS = 100  # speed factors are multiples of 1/100: the resampler's polyphase kernel has <= 100 phases (0.07 ms per recording; 0.7 ms at 1/1000)
MAX_VIEWS = 64
VIEWS_VERSION = 1  # bump when the operations change: cached copies then miss


@dataclass(frozen=True)
class WaveAugParams:
    views: int = 8  # augmented copies of each training recording, made once per cell (1-64); a step draws the original or one of them
    speed: float = 0.1  # speed perturbation: factor uniform in [1 - speed, 1 + speed] (steps of 0.01), in [0, 0.5); duration / factor, before the crop/pad to 1.008 s; 0: off
    gain_db: float = 6.0  # gain uniform in [-gain_db, gain_db] dB, in [0, 20]; 0: off
    noise: bool = True  # add white Gaussian noise at a random SNR
    snr_db_low: float = 10.0  # lowest SNR of the noise, in dB of the recording's mean power
    snr_db_high: float = 30.0  # highest SNR of the noise, in dB (>= snr_db_low)
    shift_ms: float = 100.0  # delay of the recording in the 1.008 s window, uniform in [0, shift_ms] ms, in [0, 500]; 0: off
    specaugment: bool = True  # then fsdd's classic SpecAugment (masks and a shift of the map) per sample and step on the drawn version


# The quick profile's strengths, chosen on validation over 3 seeds at 300 recordings and 30 epochs
# (results/tuning/fsdd-strengths.md): the full stack (noise at 10-30 dB SNR, then SpecAugment) was 14.6
# points below `none`; speed, gain and delay alone 3.3 above it. The full profile keeps the common recipe.
QUICK = {"fsdd": WaveAugParams(noise=False, specaugment=False)}


@dataclass(frozen=True)
class WaveDraw:
    """Per-recording random parameters of one view."""

    speed: np.ndarray  # float64 [N], the speed factor (a multiple of 1 / SPEED_STEPS)
    gain_db: np.ndarray  # float64 [N]
    snr_db: np.ndarray  # float64 [N]; NaN: no noise
    delay: np.ndarray  # int64 [N], samples of zeros before the recording
    noise_seed: np.ndarray  # int64 [N], the seed of each recording's noise


def draw_wave(n: int, params: WaveAugParams, rng: np.random.Generator) -> WaveDraw:
    """Independent parameters for `n` recordings."""
    steps = round(params.speed * SPEED_STEPS)
    speed = (SPEED_STEPS + rng.integers(-steps, steps + 1, n)) / SPEED_STEPS
    gain = rng.uniform(-params.gain_db, params.gain_db, n)
    snr = rng.uniform(params.snr_db_low, params.snr_db_high, n) if params.noise else np.full(n, np.nan)
    delay = rng.integers(0, round(params.shift_ms * SAMPLE_RATE / 1000) + 1, n)
    return WaveDraw(speed, gain, snr, delay, rng.integers(0, 2**62, n))


@functools.cache
def _resampler(orig: int, new: int):
    import torchaudio

    return torchaudio.transforms.Resample(orig, new)


def change_speed(recording: np.ndarray, factor: float) -> np.ndarray:
    """The recording played `factor` times as fast at the same sample rate: band-limited resampling from
    factor x 8 kHz to 8 kHz, so len / factor samples (duration / factor, pitch x factor)."""
    steps = round(factor * SPEED_STEPS)
    if steps == SPEED_STEPS:
        return recording
    with torch.inference_mode():
        out = _resampler(steps, SPEED_STEPS)(torch.from_numpy(np.ascontiguousarray(recording, dtype=np.float32)))
    return out.numpy()


def delayed(recording: np.ndarray, samples: int) -> np.ndarray:
    """`recording` delayed by `samples` zeros, at its own length (the tail past it is dropped)."""
    if samples <= 0:
        return recording
    return np.concatenate([np.zeros(min(samples, len(recording)), dtype=recording.dtype), recording[:max(len(recording) - samples, 0)]])


def augment_recording(recording: np.ndarray, draw: WaveDraw, i: int) -> np.ndarray:
    """Recording `i` under its drawn parameters: speed, gain, noise, crop/pad to the fixed length, delay."""
    out = change_speed(recording, float(draw.speed[i])) * np.float32(10 ** (draw.gain_db[i] / 20))
    if not np.isnan(draw.snr_db[i]):
        out = with_noise(out, float(draw.snr_db[i]), np.random.default_rng(int(draw.noise_seed[i])))
    return delayed(fixed_length(out.astype(np.float32)), int(draw.delay[i]))


def wave_view(recordings: np.ndarray, view: int, seed: int, params: WaveAugParams) -> np.ndarray:
    """The `view`-th augmented copy (1-based) of every recording: object array [N] of float32 [8,064] waveforms."""
    draw = draw_wave(len(recordings), params, np.random.default_rng([seed, view]))
    return object_array([augment_recording(r, draw, i) for i, r in enumerate(recordings)])


@METHODS.register("waveaug")
class WaveAug(Method):
    """Speed, gain, noise and shift of FSDD waveforms (copies made once per cell), then SpecAugment per step."""

    Params = WaveAugParams
    modalities = ("audio",)
    raw_kinds = ("waveform",)

    @classmethod
    def default_params(cls, profile: str, task: Task) -> WaveAugParams:
        # smoke: two copies, enough to exercise the path in seconds; quick and full: eight (docs/methods/raw-data.md, "What they cost").
        if profile == "smoke":
            return WaveAugParams(views=2)
        return QUICK.get(task.name, WaveAugParams()) if profile == "quick" else WaveAugParams()

    def __init__(self, params: WaveAugParams, task: Task, seed: int) -> None:
        super().__init__(params, task, seed)
        checks = [
            ("views", 1 <= params.views <= MAX_VIEWS, f"an integer in [1, {MAX_VIEWS}]"),
            ("speed", 0 <= params.speed < 0.5, "in [0, 0.5)"),
            ("gain_db", 0 <= params.gain_db <= 20, "in [0, 20] dB"),
            ("snr_db_low", -20 <= params.snr_db_low <= 100, "in [-20, 100] dB"),
            ("snr_db_high", params.snr_db_low <= params.snr_db_high <= 100, f"in [snr_db_low={params.snr_db_low}, 100] dB"),
            ("shift_ms", 0 <= params.shift_ms <= 500, "in [0, 500] ms"),
        ]
        for name, ok, valid in checks:
            if not ok:
                raise ValueError(f"waveaug.{name}={getattr(params, name)} is invalid: it must be {valid}")
        self.recipe = task.classic

    def train_views(self, n_train: int) -> ViewSpec:
        identity = {k: v for k, v in self.resolved_params().items() if k != "specaugment"}  # SpecAugment runs per step
        return ViewSpec("waveaug", self.params.views, {**identity, "version": VIEWS_VERSION},
                        functools.partial(wave_view, params=self.params))

    def augment(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        """x [N, 1 + views, 1, mel, frames] -> [N, 1, mel, frames]: a version per sample, then SpecAugment per sample."""
        if x.dim() != 2 + len(self.task.input_shape):
            raise ValueError(f"waveaug expects batches of [N, 1 + views, {', '.join(map(str, self.task.input_shape))}] "
                             f"(the recordings' maps and their copies'), got {tuple(x.shape)}")
        generator = self.generator(x.device)
        out = take_views(x, draw_views(x.shape[0], x.shape[1], generator, x.device))
        if self.params.specaugment:
            out = self.recipe.apply(out, generator)
        return out, y
