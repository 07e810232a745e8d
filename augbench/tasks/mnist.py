"""MNIST: 28x28 handwritten digits, read straight from the IDX .gz files (no torchvision class needed)."""

from __future__ import annotations

import dataclasses
import gzip
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

RAW = "MNIST/raw"

# md5s of the official archives (torchvision's list); sha256s of the shared data's files (its README,
# where the train images are a lossless rebuild of the official content).
FILES = [
    KnownFile(f"{RAW}/train-images-idx3-ubyte.gz",
              sha256=frozenset({"7ff28fd295f802eefc6d40e461175dfe4b969b1842b2abc8c6dc8c20711cf79f"}),
              md5=frozenset({"f68b3c2dcbeaaa9fbdd348bbdeb94873"})),
    KnownFile(f"{RAW}/train-labels-idx1-ubyte.gz",
              sha256=frozenset({"3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"}),
              md5=frozenset({"d53e105ee54ea40749a09fcbcd1e9432"})),
    KnownFile(f"{RAW}/t10k-images-idx3-ubyte.gz",
              sha256=frozenset({"8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"}),
              md5=frozenset({"9fb629c4189551a2d022fa330f9573f3"})),
    KnownFile(f"{RAW}/t10k-labels-idx1-ubyte.gz",
              sha256=frozenset({"f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"}),
              md5=frozenset({"ec29112dd5afa0611ce80d1b7f02629c"})),
]

_PROFILES = {
    "smoke": TrainConfig(epochs=1, batch_size=64, lr=0.05, width=8, train_pool=1000, test_limit=1000),
    # quick: the data-scarce regime, 600 and 1,200 training digits (fractions 0.5 and 1 of a 1,200 pool);
    # epochs and learning rate chosen on the validation split (docs/quick-profile.md).
    "quick": TrainConfig(epochs=30, batch_size=64, lr=0.1, width=16, label_smoothing=0.1, train_pool=1200),
    "full": TrainConfig(epochs=12, batch_size=128, lr=0.1, width=32, label_smoothing=0.1),
}


def read_idx(path: Path, magic: int) -> np.ndarray:
    """An IDX array (big-endian header: magic, dims) from a .gz file; raises DataError when malformed."""
    raw = gzip.open(path).read()
    header = np.frombuffer(raw, dtype=">i4", count=1 + (magic & 0xFF))
    if header[0] != magic:
        raise DataError(f"{path}: not an IDX file of magic {magic} (found {int(header[0])})")
    dims = tuple(int(d) for d in header[1:])
    offset = 4 * len(header)
    if len(raw) != offset + int(np.prod(dims)):
        raise DataError(f"{path}: size {len(raw)} does not match its header dims {dims}")
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(dims).copy()  # writable, owned


@dataclasses.dataclass(frozen=True)
class MnistParams:
    arch: Literal["cnn", "wong2020"] = "cnn"  # cnn: augbench's conv-BN net; wong2020: Wong et al. 2020's MNIST net (reproductions)


class WongNet(nn.Module):
    """Wong, Rice & Kolter 2020's MNIST network (their train_mnist.py): conv 1->16 k4 s2 p1, conv 16->32
    k4 s2 p1, FC 1568->100, FC 100->10, ReLUs; no normalisation (their inputs are raw [0, 1] pixels)."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 16, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 4, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(),
            nn.Linear(32 * 7 * 7, 100), nn.ReLU(),
            nn.Linear(100, 10),
        )

    def forward(self, x):
        return self.net(x)


class MnistNet(nn.Module):
    """Two conv blocks (conv-BN-ReLU-maxpool) and a small MLP head: ~99% in a few CPU epochs."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            Normalize((0.1307,), (0.3081,)),
            nn.Conv2d(1, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1, bias=False), nn.BatchNorm2d(2 * width), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(2 * width * 7 * 7, 128), nn.ReLU(inplace=True),
            nn.Linear(128, 10),
        )

    def forward(self, x):
        return self.net(x)


@TASKS.register("mnist")
class Mnist(Task):
    """MNIST digits (LeCun et al.): 60k train / 10k test, 10 classes; never flipped (a mirrored 2 is no 2)."""

    name = "mnist"
    val_size = 1000  # validation examples held out of the train split (100 per digit; evaluated after every epoch, so kept small)
    modality = "image"
    num_classes = 10
    input_shape = (1, 28, 28)
    classic = CropFlip(padding=2, flip=False)
    attack_eps = 0.3  # Madry et al. 2018
    corruptions = IMAGE_CORRUPTIONS
    corruption_benchmark = "mnist-c"
    robust_defaults = IMAGE_ROBUSTNESS
    Params = MnistParams

    def expected_files(self, root: Path) -> tuple[str, list[KnownFile]]:
        return "mnist-idx", FILES

    def read_arrays(self, source: DataSource):
        path = source.files.path
        x_train = read_idx(path(FILES[0].relpath), 2051)[:, None]
        y_train = read_idx(path(FILES[1].relpath), 2049)
        x_test = read_idx(path(FILES[2].relpath), 2051)[:, None]
        y_test = read_idx(path(FILES[3].relpath), 2049)
        return x_train, y_train, x_test, y_test

    def download(self, root: Path) -> None:
        if not missing_files(root, FILES):
            return
        from torchvision.datasets import MNIST

        for train in (True, False):
            MNIST(str(root), train=train, download=True)

    def classifier(self, config: TrainConfig) -> nn.Module:
        return WongNet() if self.params.arch == "wong2020" else MnistNet(config.width)

    def train_config(self, profile: str) -> TrainConfig:
        return _PROFILES[profile]
