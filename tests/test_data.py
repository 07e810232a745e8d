"""Data loading on the real files: verification, shapes, label counts, stratified subsets."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from augbench.core.errors import DataError
from augbench.config.profiles import TrainConfig
from augbench.tasks import TASKS
from augbench.tasks.cifar10 import BATCH_FILES
from augbench.tasks.mnist import FILES as MNIST_FILES
from augbench.tasks.splits import stratified_indices

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
CPU = torch.device("cpu")


def test_mnist_loads_verified_idx_files(sources):
    task = TASKS.get("mnist")()
    data = task.load(sources["mnist"], 1.0, 0, TrainConfig(), CPU)
    assert data.source.variant == "mnist-idx" and len(data.source.checksum) == 64
    assert data.train.x.shape == (59000, 1, 28, 28) and data.train.x.dtype == torch.uint8
    assert data.val.x.shape == (1000, 1, 28, 28)  # held out of the official 60,000
    assert data.test.x.shape == (10000, 1, 28, 28)
    assert data.train.y.dtype == torch.int64
    assert (torch.bincount(data.train.y) + torch.bincount(data.val.y)).tolist() == MNIST_TRAIN_COUNTS
    assert torch.bincount(data.test.y).tolist() == MNIST_TEST_COUNTS
    pixels = task.prepare(data.train.x[:1000])
    assert pixels.dtype == torch.float32 and 0.0 <= pixels.min() and pixels.max() <= 1.0


def test_cifar10_falls_back_to_the_jpeg_copy(sources):
    task = TASKS.get("cifar10")()
    data = task.load(sources["cifar10"], 1.0, 0, TrainConfig(), CPU)
    assert data.source.variant == "cifar10-jpeg"
    assert data.train.x.shape == (49500, 3, 32, 32) and data.train.x.dtype == torch.uint8
    assert data.test.x.shape == (10000, 3, 32, 32)
    assert torch.bincount(data.train.y).tolist() == [4950] * 10 and torch.bincount(data.val.y).tolist() == [50] * 10
    assert torch.bincount(data.test.y).tolist() == [1000] * 10
    # Channel means of the copy (shared data README): a wrong axis order would scramble them.
    means = data.train.x[:5000].float().mean(dim=(0, 2, 3)) / 255
    assert torch.allclose(means, torch.tensor([0.491, 0.482, 0.447]), atol=0.01)


def test_fraction_is_a_stratified_seeded_subset(sources):
    task = TASKS.get("mnist")()
    a = task.load(sources["mnist"], 0.1, 3, TrainConfig(), CPU)
    b = task.load(sources["mnist"], 0.1, 3, TrainConfig(), CPU)
    c = task.load(sources["mnist"], 0.1, 4, TrainConfig(), CPU)
    assert len(a.train) == 5900  # 10% of the 59,000 rows left after the 1,000 validation rows
    counts = torch.bincount(a.train.y).numpy()
    pool_counts = np.array(MNIST_TRAIN_COUNTS) - torch.bincount(a.val.y).numpy()
    assert np.all(np.abs(counts - pool_counts * 0.1) <= 1)
    assert torch.equal(a.train.x, b.train.x)
    assert not torch.equal(a.train.x, c.train.x)
    assert len(a.test) == 10000  # the test split is never subset by the fraction


def test_profile_pool_and_test_limit_are_fixed_across_seeds(sources):
    task = TASKS.get("cifar10")()
    config = TrainConfig(train_pool=2000, test_limit=500)
    a = task.load(sources["cifar10"], 1.0, 0, config, CPU)
    b = task.load(sources["cifar10"], 1.0, 1, config, CPU)
    assert len(a.train) == 2000 and torch.bincount(a.train.y).tolist() == [200] * 10
    assert torch.equal(a.train.x, b.train.x) and torch.equal(a.test.x, b.test.x)
    assert torch.bincount(a.test.y).tolist() == [50] * 10


def test_stratified_indices_keep_every_class_share():
    labels = np.array([0] * 95 + [1] * 5)
    keep = stratified_indices(labels, 0.1, 0)
    assert len(keep) == 10 and sorted(np.bincount(labels[keep])) == [1, 9]
    assert len(stratified_indices(labels, 0.001, 0)) == 1  # never larger than asked, even if a class gets none


def _assert_proportional(labels: np.ndarray, size: int | float) -> None:
    keep = stratified_indices(labels, size, 0)
    target = int(size) if isinstance(size, int) else round(size * len(labels))
    assert len(keep) == max(1, min(target, len(labels))) and len(set(keep.tolist())) == len(keep)
    classes, counts = np.unique(labels, return_counts=True)
    got = np.array([(labels[keep] == c).sum() for c in classes])
    share = counts * len(keep) / len(labels)
    assert np.all(np.abs(got - share) < 1), (got, share)


@pytest.mark.parametrize("size", [0.001, 0.01, 0.05, 0.1, 0.5, 3, 10, 11, 1009])
def test_stratified_subset_on_a_1000_5_5_label_set(size):
    _assert_proportional(np.array([0] * 1000 + [1] * 5 + [2] * 5), size)


def test_stratified_subset_on_trec_one_percent(sources):
    """TREC's train split at 1% (the rare ABBR class has a share of 0.86 examples): every class within one
    example of its share, and exactly the asked size."""
    from augbench.tasks import TASKS

    task = TASKS.get("trec")()
    _, y_train, _, _ = task.read_arrays(sources["trec"])
    for size in (0.01, 0.02, 0.1):
        _assert_proportional(y_train, size)


def _mirror_root(src: Path, dst: Path, files: list[str]) -> None:
    for rel in files + ["SHA256SUMS"]:
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        (dst / rel).symlink_to(src / rel)


def test_a_corrupted_data_file_is_refused(data_root, tmp_path):
    rels = [f.relpath for f in MNIST_FILES]
    _mirror_root(data_root, tmp_path, [r for r in rels if "t10k-labels" not in r])
    bad = tmp_path / "MNIST/raw/t10k-labels-idx1-ubyte.gz"
    payload = bytearray((data_root / "MNIST/raw/t10k-labels-idx1-ubyte.gz").read_bytes())
    payload[100] ^= 0xFF
    bad.write_bytes(bytes(payload))
    with pytest.raises(DataError, match=r"checksum mismatch for .*t10k-labels-idx1-ubyte.gz"):
        TASKS.get("mnist")().source(tmp_path)
    (tmp_path / "SHA256SUMS").unlink()  # the publishers' digests still catch it without SHA256SUMS
    with pytest.raises(DataError, match="checksum mismatch"):
        TASKS.get("mnist")().source(tmp_path)


def test_a_data_root_without_the_files_names_what_is_expected(tmp_path):
    with pytest.raises(DataError) as info:
        TASKS.get("mnist")().source(tmp_path)
    message = str(info.value)
    assert str(tmp_path) in message and "train-images-idx3-ubyte.gz" in message and "AUGBENCH_DATA" in message


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_official_batches_are_md5_checked_before_unpickling(tmp_path):
    marker = tmp_path / "unpickled"
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for known in BATCH_FILES:
        (tmp_path / known.relpath).write_bytes(pickle.dumps({b"data": _Exploit(marker), b"labels": [0]}))
    task = TASKS.get("cifar10")()
    variant, _ = task.expected_files(tmp_path)
    assert variant == "cifar10-batches"  # auto prefers the official batches when present
    with pytest.raises(DataError, match="checksum mismatch for .*data_batch_1"):
        task.source(tmp_path)
    assert not marker.exists()


def test_cifar10_source_param_chooses_the_copy(data_root, tmp_path):
    from augbench.tasks.cifar10 import Cifar10Params

    assert TASKS.get("cifar10")(Cifar10Params(source="jpeg")).expected_files(tmp_path)[0] == "cifar10-jpeg"
    with pytest.raises(DataError, match="cifar-10-batches-py/data_batch_1"):
        TASKS.get("cifar10")(Cifar10Params(source="batches")).source(data_root)
