"""CIFAR-10: 32x32 colour images of 10 classes, from the official python batches or the JPEG-derived copy.

The official batches are pickles, so they are md5-checked (torchvision's published digests) before
they are unpickled. Without them the shared data's lossy JPEG copy is used; the run record names the
variant, and the config hash includes it, so rows of the two never mix.
"""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path
from typing import Literal

import numpy as np
from torch import nn

from augbench.core.errors import DataError
from augbench.config.profiles import TrainConfig
from augbench.transforms.augmentations import CropFlip
from augbench.transforms.corruptions import IMAGE_CORRUPTIONS
from augbench.tasks import TASKS
from augbench.tasks.base import IMAGE_ROBUSTNESS, DataSource, Normalize, Task
from augbench.tasks.verify import KnownFile, missing_files

BATCHES = "cifar-10-batches-py"
JPEG = "cifar10-jpeg"

BATCH_FILES = [
    KnownFile(f"{BATCHES}/{name}", md5=frozenset({md5}))
    for name, md5 in [
        ("data_batch_1", "c99cafc152244af753f735de768cd75f"),
        ("data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"),
        ("data_batch_3", "54ebc095f3ab1f0389bbae665268c751"),
        ("data_batch_4", "634d18415352ddfa80567beed471001a"),
        ("data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"),
        ("test_batch", "40351d587109b95175f43aff81a1287e"),
    ]
]

JPEG_FILES = [
    KnownFile(f"{JPEG}/{name}.npz", sha256=frozenset({sha}))
    for name, sha in [
        ("train_1", "a63de4c7ce5de577964cf5a1e74e67c74ace273c01d53e61cd809c2a3d79d8ec"),
        ("train_2", "155a3e0bebaf110a46297125cef227252fff3e948bbad9851df0efe6b23d4315"),
        ("train_3", "93cf6e40f242b34bf25acd128b5ae65387e13451440cd621367565bb7ebf88dd"),
        ("train_4", "537019dad5dbb5066bf05883f5c3f0c5e55275d0652dd5440c07163de6d100c9"),
        ("train_5", "f3439158539054b12f6630dfad0d693bcf2bf503b2b3634f08adf86f9c0ffa26"),
        ("test", "690bc254f4584e21c4adbb782643701b996add8ca72a351528c60311ebf5ce5f"),
    ]
]

MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)

_PROFILES = {
    "smoke": TrainConfig(epochs=1, batch_size=64, lr=0.05, width=8, train_pool=1000, test_limit=1000),
    # quick: the data-scarce regime, 500 and 1,000 training images (50 and 100 per class: fractions 0.5 and 1
    # of a 1,000 pool); 2,000 would make CIFAR-10's cells alone take ~9 of `make bench`'s 15 minutes. Width,
    # epochs and learning rate from the validation split (results/tuning/quick-validation.md): width 8 for 40
    # epochs at lr 0.1 scored 49.0% (none) and 58.6% (classic) on validation; width 16 scored 2 points more
    # at 2.5x the time, 60 epochs and lr 0.2 less.
    "quick": TrainConfig(epochs=40, batch_size=64, lr=0.1, width=8, label_smoothing=0.2, train_pool=1000),
    "full": TrainConfig(epochs=24, batch_size=512, lr=0.4, width=64, label_smoothing=0.2, weight_decay=5e-4),
}


@dataclasses.dataclass(frozen=True)
class Cifar10Params:
    source: Literal["auto", "batches", "jpeg"] = "auto"  # which copy to read; auto: the official batches when present


def conv_bn(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class Residual(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(conv_bn(channels, channels), conv_bn(channels, channels))

    def forward(self, x):
        return x + self.body(x)


class ResNet9(nn.Module):
    """The DAWNBench ResNet-9 shape (Page 2018; airbench's ancestor) at a chosen base width.

    width 64 is the original (94% in 24 epochs on a GPU); width 16 trains at CPU speed. `channels`, `mean` and
    `std` let a folder of images of another channel count use it (augbench/tasks/folder.py); the pooling is adaptive,
    so any input of at least 8x8 pixels fits.
    """

    def __init__(self, width: int, num_classes: int = 10, channels: int = 3,
                 mean: tuple[float, ...] = MEAN, std: tuple[float, ...] = STD) -> None:
        super().__init__()
        w = width
        self.net = nn.Sequential(
            Normalize(mean, std),
            conv_bn(channels, w),
            conv_bn(w, 2 * w), nn.MaxPool2d(2), Residual(2 * w),
            conv_bn(2 * w, 4 * w), nn.MaxPool2d(2),
            conv_bn(4 * w, 8 * w), nn.MaxPool2d(2), Residual(8 * w),
            nn.AdaptiveMaxPool2d(1), nn.Flatten(),
            nn.Linear(8 * w, num_classes, bias=False),
        )
        self.logit_scale = 0.125  # keeps initial logits small, as in the original

    def forward(self, x):
        return self.net(x) * self.logit_scale


@TASKS.register("cifar10")
class Cifar10(Task):
    """CIFAR-10 (Krizhevsky 2009): 50k train / 10k test. Horizontal flips keep labels here."""

    name = "cifar10"
    val_size = 500  # validation examples held out of the train split (50 per class: evaluated after every epoch, where a
    # ResNet-9 forward over 1,000 images cost as much as a fifth of a 1,000-image training epoch on the CPU)
    modality = "image"
    num_classes = 10
    class_names = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
    input_shape = (3, 32, 32)
    classic = CropFlip(padding=4, flip=True)
    attack_eps = 8 / 255  # Madry et al. 2018; RobustBench
    corruptions = IMAGE_CORRUPTIONS
    corruption_benchmark = "cifar10-c"
    robust_defaults = IMAGE_ROBUSTNESS
    Params = Cifar10Params

    def expected_files(self, root: Path) -> tuple[str, list[KnownFile]]:
        source = self.params.source
        if source == "auto":
            source = "batches" if (root / BATCH_FILES[0].relpath).exists() else "jpeg"
        if source == "batches":
            return "cifar10-batches", BATCH_FILES
        return "cifar10-jpeg", JPEG_FILES

    def read_arrays(self, source: DataSource):
        batches = source.variant == "cifar10-batches"
        read, files = (_unpickle_batch, BATCH_FILES) if batches else (_load_npz, JPEG_FILES)
        parts = [read(source.files.path(f.relpath)) for f in files]  # five train parts, then the test part
        x_train = np.concatenate([x for x, _ in parts[:5]])
        y_train = np.concatenate([y for _, y in parts[:5]])
        x_test, y_test = parts[5]
        return x_train, y_train, x_test, y_test

    def download(self, root: Path) -> None:
        if not missing_files(root, BATCH_FILES):
            return
        from torchvision.datasets import CIFAR10

        CIFAR10(str(root), train=True, download=True)

    def classifier(self, config: TrainConfig) -> nn.Module:
        return ResNet9(config.width)

    def train_config(self, profile: str) -> TrainConfig:
        return _PROFILES[profile]


def _unpickle_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One official batch; only ever called on a file whose md5 was verified first."""
    with path.open("rb") as handle:
        batch = pickle.load(handle, encoding="bytes")
    x = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
    return x, np.asarray(batch[b"labels"], dtype=np.int64)


def _load_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        if set(archive.files) != {"x", "y"}:
            raise DataError(f"{path}: expected arrays x and y, found {archive.files}")
        x, y = archive["x"], archive["y"]
    if x.ndim != 4 or x.shape[1:] != (32, 32, 3) or x.dtype != np.uint8:
        raise DataError(f"{path}: expected uint8 [N, 32, 32, 3] images, found {x.dtype} {x.shape}")
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2)), y.astype(np.int64)
