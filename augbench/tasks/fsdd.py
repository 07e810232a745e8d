"""Free Spoken Digit Dataset (Jakobovski et al., v1.0.10): 3,000 recordings of the digits 0-9 by 6 speakers.

Splits (`--param fsdd.split=...`):
- `official` (default): recordings 0-4 of each digit and speaker are test (300), 5-49 train (2,700), as
  the dataset's README prescribes. Train and test share all six speakers.
- `speaker`: whole speakers held out: theo (US English) and lucas (German accent) are test (1,000),
  george, jackson, nicolas and yweweler train (2,000), so the test speakers' voices are never heard in
  training and both held-out accents also occur among the training speakers.

Features: log-mel spectrograms (torchaudio: 16 mel bands over 0-4 kHz, 32 ms Hann windows, 16 ms hop),
each recording zero-padded (or center-trimmed; 17 of 3,000 are longer) to 1.008 s = 64 frames, then
standardized per mel band with the training rows' statistics: a [1, 16, 64] map per recording.
`--param fsdd.mels=32` gives the 32-band maps the suite used until 2026-12-07. 16 bands were chosen on the
validation split (quick profile, 3 seeds, results/tuning/fsdd-mels.md): a 256-point FFT at 8 kHz has bins
31 Hz apart, so 32 mel bands over 0-4 kHz leave the lowest bands two FFT bins each (noisy estimates of a
voice's fundamental region), while 16 bands average at least five; the CNN scored higher validation accuracy
on them at every size (300 recordings: 96.9% against 92.7%) at half the convolution work per map.
Classifier: a 4-conv CNN over the map that pools after its first conv. Measured on the official split
(quick profile, 2-core CPU), it beat an MLP over per-band mean and std pooled over time, and a CNN with a
second conv at full resolution (1.65x the training time, lower validation accuracy: docs/quick-profile.md).

classic = SpecAugment (Park et al. 2019): one frequency mask of up to an eighth of the bands (2 of 16) and one
time mask of up to 6 frames, plus a random time shift of up to 2 frames (32 ms). Corruptions: white noise added to the
waveform at 20, 10 and 0 dB SNR, pink noise and babble at 10 dB, two synthetic rooms and two speeds (computed
before featurization, augbench/tasks/features.py; augbench/transforms/recordings.py defines them), and a time mask.
"""

from __future__ import annotations

import dataclasses
import re
import wave
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from augbench.transforms.augmentations import SpecAugment
from augbench.transforms.corruptions import AUDIO_CORRUPTIONS
from augbench.transforms.recordings import WAVEFORM_CORRUPTIONS, corrupt_recordings, with_noise  # noqa: F401 (waveaug's)
from augbench.core.errors import DataError, UsageError
from augbench.config.profiles import TrainConfig
from augbench.core.seeding import derive_seed
from augbench.tasks import TASKS
from augbench.tasks.base import POOL_SEED, DataSource, Split, TaskData, _cached_arrays, object_array
from augbench.tasks.features import FeatureTask
from augbench.tasks.verify import KnownFile, read_sums

DIR = "fsdd/recordings"
SPEAKERS = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")
TEST_SPEAKERS = ("lucas", "theo")  # held out by split=speaker
SAMPLE_RATE = 8000
N_FFT, HOP = 256, 128
N_MELS = 16  # the default band count (FsddParams.mels)
MEL_CHOICES = (16, 32)
FRAMES = 64
SAMPLES = (FRAMES - 1) * HOP  # 8,064 samples = 1.008 s: centred STFT frames = 1 + SAMPLES // HOP = FRAMES
NAME = re.compile(r"^(\d)_([a-z]+)_(\d+)\.wav$")

_PROFILES = {
    "smoke": TrainConfig(epochs=4, batch_size=32, lr=0.05, width=8, train_pool=1000),
    # quick: the data-scarce regime, 150 and 300 recordings (fractions 0.5 and 1 of a 300 pool: on the 16-band
    # maps 600 recordings reached 99.3% validation accuracy and 300 96.9%, where 600 had reached 97.0% on the
    # 32-band maps, so the pool was halved to keep the regime in which augmentation has something to show;
    # results/tuning/fsdd-mels.md); epochs, learning rate and batch chosen on the validation split
    # (docs/quick-profile.md). (60 epochs at batch 64 scored 1.3 validation points more, within one seed's
    # noise on 300 recordings of the 32-band maps, at 2.2x the cost: the budget of `make bench` decided.)
    "quick": TrainConfig(epochs=30, batch_size=32, lr=0.1, width=16, label_smoothing=0.1, train_pool=300),
    "full": TrainConfig(epochs=40, batch_size=64, lr=0.05, width=32, label_smoothing=0.1),
}


@dataclasses.dataclass(frozen=True)
class FsddParams:
    split: Literal["official", "speaker"] = "official"  # official: recordings 0-4 are test; speaker: theo and lucas are test
    mels: int = N_MELS  # mel bands of the log-mel map (16, or 32 as before 2026-12-07)

    def __post_init__(self) -> None:
        if self.split not in ("official", "speaker"):
            raise UsageError(f"fsdd.split={self.split!r} is invalid; valid splits: official, speaker")
        if self.mels not in MEL_CHOICES:
            raise UsageError(f"fsdd.mels={self.mels!r} is invalid; valid band counts: {', '.join(map(str, MEL_CHOICES))}")


def read_wav(path: Path) -> np.ndarray:
    """A recording as float32 samples in [-1, 1]; anything but non-empty 8 kHz mono 16-bit PCM is a DataError."""
    try:
        with wave.open(str(path), "rb") as handle:
            rate, channels, width, frames = (handle.getframerate(), handle.getnchannels(), handle.getsampwidth(),
                                              handle.getnframes())
            raw = handle.readframes(frames)
    except (wave.Error, EOFError) as exc:
        raise DataError(f"{path}: not a valid WAV file ({exc or 'truncated'})") from None
    if (rate, channels, width) != (SAMPLE_RATE, 1, 2):
        raise DataError(f"{path}: {rate} Hz, {channels} channel(s), {8 * width}-bit; expected 8000 Hz mono 16-bit PCM")
    if frames == 0 or len(raw) != 2 * frames:
        raise DataError(f"{path}: {len(raw) // 2} samples where the header promises {frames}; the file is empty or truncated")
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


def fixed_length(samples: np.ndarray) -> np.ndarray:
    """Zero-pad at the end, or keep the centred SAMPLES of a longer recording."""
    if len(samples) >= SAMPLES:
        start = (len(samples) - SAMPLES) // 2
        return samples[start:start + SAMPLES]
    return np.pad(samples, (0, SAMPLES - len(samples)))


def log_mel(recordings: list[np.ndarray], mels: int = N_MELS) -> np.ndarray:
    """float32 [N, 1, mels, FRAMES] natural-log mel power of fixed-length recordings."""
    import torchaudio

    mel = torchaudio.transforms.MelSpectrogram(sample_rate=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, n_mels=mels,
                                               f_min=0.0, f_max=SAMPLE_RATE / 2, power=2.0)
    if not recordings:
        return np.zeros((0, 1, mels, FRAMES), dtype=np.float32)
    batch = torch.from_numpy(np.stack([fixed_length(r) for r in recordings]))
    with torch.inference_mode():
        power = mel(batch)  # [N, N_MELS, FRAMES]
    return torch.log(power + 1e-6)[:, None].numpy().astype(np.float32)


class LogMelFrontEnd(nn.Module):
    """The cell's featurizer as a differentiable module: fixed-length waveforms [N, SAMPLES] -> the standardized
    log-mel maps [N, 1, mels, FRAMES] that `featurize` makes, so an attack on the samples sees the pipeline's gradient."""

    def __init__(self, mels: int, mean: np.ndarray, std: np.ndarray) -> None:
        super().__init__()
        import torchaudio

        self.mel = torchaudio.transforms.MelSpectrogram(sample_rate=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, n_mels=mels,
                                                        f_min=0.0, f_max=SAMPLE_RATE / 2, power=2.0)
        self.register_buffer("mean", torch.from_numpy(np.ascontiguousarray(mean, dtype=np.float32)))
        self.register_buffer("std", torch.from_numpy(np.ascontiguousarray(std, dtype=np.float32)))

    def forward(self, waves: torch.Tensor) -> torch.Tensor:
        return (torch.log(self.mel(waves) + 1e-6)[:, None] - self.mean) / self.std

    @staticmethod
    def fixed(recordings: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
        """The recordings at the front end's length, and a mask that is 1 on their own samples, 0 on the padding."""
        waves = np.stack([fixed_length(r) for r in recordings]) if recordings else np.zeros((0, SAMPLES), np.float32)
        lengths = np.array([min(len(r), SAMPLES) for r in recordings], dtype=np.int64)
        mask = (np.arange(SAMPLES)[None, :] < lengths[:, None]).astype(np.float32)
        return torch.from_numpy(waves.astype(np.float32)), torch.from_numpy(mask)


class AudioCnn(nn.Module):
    """Four 3x3 conv blocks over the (mel x time) map with a 2x2 pool after each of the first two, global
    average pooling, a linear head.

    Pooling after the first conv rather than the second: the full-resolution 16-channel conv cost 40% of
    the training time, and without it validation accuracy rose (quick, 400 recordings, seeds 0-1: `none`
    94.2% vs 90.7%, `classic` 92.7% vs 85.8%; results/tuning/quick-validation.md, round 4).
    """

    def __init__(self, width: int, classes: int) -> None:
        super().__init__()

        def block(c_in: int, c_out: int) -> list[nn.Module]:
            return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]

        self.net = nn.Sequential(
            *block(1, width), nn.MaxPool2d(2),
            *block(width, 2 * width), nn.MaxPool2d(2),
            *block(2 * width, 4 * width), *block(4 * width, 4 * width), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(4 * width, classes),
        )

    def forward(self, x):
        return self.net(x)


@TASKS.register("fsdd")
class Fsdd(FeatureTask):
    """Spoken digits (FSDD): 2,700 train / 300 test recordings (official split) or speakers held out (split=speaker)."""

    name = "fsdd"
    val_size = 300  # validation examples held out of the train split (30 recordings per digit of the official split's 2,700 training takes)
    modality = "audio"
    raw_kind = "waveform"  # float32 samples in [-1, 1] at 8 kHz, of each recording's own length
    featurizer_libraries = ("numpy", "torch", "torchaudio")
    # 2: the test split's corrupted views add pink noise, babble, two rooms and two speeds (augbench/transforms/recordings.py)
    # 3: and two pitch shifts at the same tempo (pitch_0.9, pitch_1.1)
    FEATURIZER_VERSION = 3
    num_classes = 10
    input_shape = (1, N_MELS, FRAMES)  # of the default band count; an instance has its own (`mels`)
    Params = FsddParams
    # One mask of each kind, as in Park et al.'s LB policy, with widths scaled to these maps: F = an eighth of
    # the bands (2 of 16; 4 of 32), T = 6 frames (~0.1 s, about a fifth of the mean 0.44 s utterance), shift <=
    # 2 frames.
    classic = SpecAugment(freq_masks=1, freq_width=N_MELS // 8, time_masks=1, time_width=6, shift=2)
    corruptions = AUDIO_CORRUPTIONS
    attack_eps = 0.1  # L-inf radius in standardized log-mel units: a tenth of a band's training std
    sanity_eps = 10.0  # ten stds in every cell of the map: PGD must break any classifier there

    def __init__(self, params: FsddParams | None = None) -> None:
        super().__init__(params)
        if self.params.mels != N_MELS:  # the map's shape and the recipe's band mask follow the band count
            self.input_shape = (1, self.params.mels, FRAMES)
            self.classic = dataclasses.replace(type(self).classic, freq_width=self.params.mels // 8)

    def expected_files(self, root: Path) -> tuple[str, list[KnownFile]]:
        # Every recording is vouched for by the data root's SHA256SUMS (the README checked each file's
        # git blob against the upstream tree); the names come from that list, so a missing one is reported.
        names = sorted(rel for rel in read_sums(root) if rel.startswith(DIR + "/") and rel.endswith(".wav"))
        if not names:
            names = sorted(f"{DIR}/{p.name}" for p in (root / DIR).glob("*.wav")) if (root / DIR).is_dir() else []
        if not names:
            raise DataError(f"fsdd: data root {root} has no {DIR}/*.wav recordings (set AUGBENCH_DATA or --data-dir)")
        return "fsdd-1.0.10", [KnownFile(rel) for rel in names]

    def split_files(self, source: DataSource) -> tuple[list[str], list[str]]:
        """Relative paths of the train and test recordings under this task's split."""
        train, test = [], []
        for rel in sorted(source.files.sha256):
            match = NAME.match(Path(rel).name)
            if match is None or match.group(2) not in SPEAKERS:
                raise DataError(f"{source.files.path(rel)}: the name is not <digit>_<speaker>_<index>.wav "
                                f"with a speaker in {', '.join(SPEAKERS)}")
            if self.params.split == "official":
                held_out = int(match.group(3)) <= 4
            else:
                held_out = match.group(2) in TEST_SPEAKERS
            (test if held_out else train).append(rel)
        return train, test

    def read_arrays(self, source: DataSource):
        def read(files: list[str]) -> tuple[np.ndarray, np.ndarray]:
            items = object_array([read_wav(source.files.path(rel)) for rel in files])
            return items, np.array([int(Path(rel).name[0]) for rel in files], dtype=np.int64)

        train, test = self.split_files(source)
        return (*read(train), *read(test))

    def raw_views(self, test_items: Any) -> dict[str, Any]:
        views = {}
        for name in WAVEFORM_CORRUPTIONS:
            rng = np.random.default_rng(derive_seed(POOL_SEED, f"corruption:{name}"))
            views[name] = object_array(corrupt_recordings(name, list(test_items), rng))
        return views

    def featurize(self, fit_items: Any, targets: dict[str, Any]) -> dict[str, np.ndarray]:
        fit, mean, std = self._fit(fit_items)
        return {name: ((fit if items is fit_items else log_mel(list(items), self.params.mels)) - mean) / std for name, items in targets.items()}

    def _fit(self, fit_items: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The fit rows' maps and the per-band standardization statistics fitted on them."""
        fit = log_mel(list(fit_items), self.params.mels)
        return fit, fit.mean(axis=(0, 3), keepdims=True), fit.std(axis=(0, 3), keepdims=True) + 1e-6

    def fitted_featurizer(self, fit_items: Any) -> LogMelFrontEnd:
        """The featurizer as a torch module of fixed-length waveforms (`LogMelFrontEnd.fixed`), for the waveform attack."""
        _, mean, std = self._fit(fit_items)
        return LogMelFrontEnd(self.params.mels, mean[0], std[0])

    def with_raw_train(self, source: DataSource, data: TaskData, device: torch.device) -> tuple[TaskData, nn.Module]:
        """train.x as [N, 2, SAMPLES]: each training recording at the front end's length and its mask (1 on its own
        samples), and the front end fitted on them, which must give back the cell's training maps."""
        if data.fit_rows is None:
            raise ValueError(f"task {self.name!r}: the data carries no featurizer fit rows")
        x_train, _, _, _ = _cached_arrays(self, source)
        items = x_train[data.fit_rows]
        waves, mask = LogMelFrontEnd.fixed(list(items))
        front = self.fitted_featurizer(items).to(device)
        with torch.no_grad():
            maps = front(waves.to(device))
        if not torch.allclose(maps, data.train.x, atol=1e-3):  # the same pipeline, or the attack trains on another one
            raise RuntimeError(f"{self.name}: the front end does not reproduce the cell's training maps "
                               f"(largest difference {float((maps - data.train.x).abs().max()):.2g})")
        train = Split(torch.stack([waves, mask], dim=1).to(device), data.train.y, data.train.views)
        return dataclasses.replace(data, train=train), front

    def classifier(self, config: TrainConfig) -> nn.Module:
        return AudioCnn(config.width, self.num_classes)

    def train_config(self, profile: str) -> TrainConfig:
        return _PROFILES[profile]
