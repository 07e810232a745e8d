"""What every task provides: verified data as device tensors, a classifier, hyperparameters per profile."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Mapping

import numpy as np
import torch
from torch import nn

from augbench.transforms.augmentations import ClassicRecipe
from augbench.core.errors import DataError, UsageError
from augbench.config.params import NoParams
from augbench.config.profiles import TrainConfig
from augbench.core.seeding import derive_seed
from augbench.tasks.splits import stratified_indices
from augbench.tasks.verify import KnownFile, VerifiedFiles, verify_files

# The profile's train pool and test subset are part of the profile, not of the cell: the same for
# every seed, so seeds vary only the fraction subset, the initialisation and the order.
POOL_SEED = 0
# The validation split's own seed: one fixed validation set per task, whatever the profile, seed or fraction.
VAL_SEED = 0


def object_array(items: list[Any]) -> np.ndarray:
    """A 1-D object array holding `items` as they are: raw items of unequal or equal length (waveforms,
    sentences), which `np.array` would turn into a 2-D array when they happen to share a length."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


@dataclass(frozen=True)
class DataSource:
    """One verified variant of a task's data: its name, the files, and a checksum over them."""

    variant: str  # e.g. "mnist-idx", "cifar10-batches", "cifar10-jpeg"
    files: VerifiedFiles

    @property
    def checksum(self) -> str:
        return self.files.checksum


@dataclass(frozen=True)
class ViewSpec:
    """Augmented copies of the training items that a method asks for (`Method.train_views`).

    The copies are made from the raw items (sentences, waveforms) before featurization, once per cell,
    and featurized with the featurizer fitted on the original training items only; the method then
    draws one of the 1 + `count` versions of each example per training step.
    """

    name: str  # the method's registry name
    count: int  # K: augmented copies per training item (version 0, the original, is not counted)
    identity: dict[str, Any]  # JSON-ready: everything besides the items and the seed that determines the copies (resolved parameters, a version)
    # make(raw items [N], view in 1..K, seed) -> raw items [N]: the view-th copy of every item, a pure function of its arguments
    make: Callable[[np.ndarray, int, int], np.ndarray]
    # One-off set-up of the process that `make` needs (loading a thesaurus), run before the build is timed,
    # as data decoding is kept out of every cell's timings: a build's time must not depend on what ran before.
    prepare: Callable[[], object] | None = None


@dataclass
class Split:
    """Examples of one split, resident on the run's device.

    x: uint8 [N, C, H, W] for image tasks (cheaper to hold and move than floats), float for features.
    y: int64 [N] class ids.
    """

    x: torch.Tensor
    y: torch.Tensor
    # The same examples under corruptions that act before featurization (noise on an audio waveform),
    # aligned with x and keyed by corruption name; empty for most tasks.
    views: dict[str, torch.Tensor] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.y.shape[0])


@dataclass
class TaskData:
    """The loaded task: train (fraction subset), validation and test splits, plus where the data came from."""

    train: Split
    test: Split
    source: DataSource
    val: Split | None = None  # the task's fixed validation split, held out of every training subset
    fit_rows: np.ndarray | None = None  # feature tasks: the train rows their featurizer was fitted on
    test_rows: np.ndarray | None = None  # feature tasks: the test rows of `test`, in order (their raw items feed the real-input attacks)
    train_views_s: float | None = None  # train.x holds augmented views (`with_train_views`): seconds they took to build
    train_views_cache_hit: bool | None = None  # ... and whether they were read from the cache rather than built now


class Normalize(nn.Module):
    """Per-channel standardisation as the classifier's first layer.

    Keeping it inside the model lets methods and attacks work on inputs in their natural range
    ([0, 1] pixels), where epsilons are defined and clipping is meaningful.
    """

    def __init__(self, mean: tuple[float, ...], std: tuple[float, ...]) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class Task:
    """Base class of a task. Subclasses set the class attributes and implement the abstract methods."""

    name: ClassVar[str]
    modality: ClassVar[str]  # "image", "audio" or "features"
    # What `read_arrays` returns before featurization, for methods that edit raw items (EDA edits
    # sentences, waveform augmentation recordings): "text", "waveform"; None: the inputs are the raw items.
    raw_kind: ClassVar[str | None] = None
    num_classes: ClassVar[int]
    class_names: ClassVar[tuple[str, ...] | None] = None  # label -> name, for plots (None: the label index)
    input_shape: ClassVar[tuple[int, ...]]  # one example, as the classifier sees it
    input_range: ClassVar[tuple[float, float] | None] = (0.0, 1.0)  # valid input values; None: unbounded
    classic: ClassVar[ClassicRecipe | None] = None  # the classic recipe that fits the data, with its defaults
    attack_eps: ClassVar[float]  # the standard L-inf radius of FGSM/PGD, in input units (pixels in [0, 1])
    sanity_eps: ClassVar[float] = 1.0  # a radius at which PGD must break any classifier (it spans the input range)
    corruptions: ClassVar[tuple[str, ...]] = ()  # names in augbench.transforms.corruptions, applied to the test split
    # The published corruption benchmark of this task's inputs (augbench.transforms.corruption_benchmarks), which
    # `--param robust.corruptions=benchmark` measures instead of `corruptions`; None where there is none.
    corruption_benchmark: ClassVar[str | None] = None
    # How each profile measures this task's robustness beyond the profile's own settings (augbench.evaluation.
    # robustness.PROFILE_CONFIGS): {profile: {key: value}}, as `--param robust.KEY=VALUE` writes them, which still
    # overrides them. The image tasks take AutoAttack and their published corruption benchmark here.
    robust_defaults: ClassVar[Mapping[str, Mapping[str, str]]] = {}
    val_size: ClassVar[int] = 1000  # examples held out of the official train split for validation (stratified, fixed)
    Params: ClassVar[type] = NoParams

    def __init__(self, params: Any = None) -> None:
        self.params = params if params is not None else self.Params()

    # --- data -------------------------------------------------------------------------------
    def source(self, root: Path) -> DataSource:
        """Find and verify the data files under `root`; raises DataError when they are missing or wrong."""
        variant, files = self.expected_files(root)
        return DataSource(variant, verify_files(root, files, self.name))

    def expected_files(self, root: Path) -> tuple[str, list[KnownFile]]:
        """The data variant to use under `root` and the files it needs."""
        raise NotImplementedError

    def read_arrays(self, source: DataSource) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """x_train, y_train, x_test, y_test as numpy arrays, from files that `source` verified."""
        raise NotImplementedError

    def download(self, root: Path) -> None:
        """Fetch the official files into `root` when they are not there yet (needs a network)."""
        raise UsageError(f"task {self.name} has no --download; place its files under {root}")

    def fetch(self, root: Path) -> None:
        """`download`, with a network failure reported as one line instead of a traceback."""
        try:
            self.download(root)
        except (OSError, RuntimeError) as exc:
            raise DataError(f"{self.name}: --download into {root} failed: {' '.join(str(exc).split())}") from None

    def preload(self, source: DataSource) -> None:
        """Decode the dataset into memory now, so no cell's timings include the one-off decode."""
        _cached_arrays(self, source)

    def load(self, source: DataSource, fraction: float, seed: int, config: TrainConfig, device: torch.device) -> TaskData:
        """The profile's pool, then a stratified `fraction` of it drawn with `seed`, on `device`; plus the
        task's validation split and the profile's test rows."""
        x_train, y_train, x_test, y_test = _cached_arrays(self, source)
        train_rows, test_rows = self.select_rows(y_train, y_test, fraction, seed, config)
        val_rows = self.val_rows(y_train)
        return TaskData(
            train=self._to_split(x_train[train_rows], y_train[train_rows], device),
            test=self._to_split(x_test[test_rows], y_test[test_rows], device),
            source=source,
            val=self._to_split(x_train[val_rows], y_train[val_rows], device),
        )

    def train_size(self, source: DataSource, fraction: float, config: TrainConfig) -> int:
        """How many training examples a cell of `fraction` has: the same for every seed, since the subset
        is stratified to an exact size. The planner asks it for methods whose parameters follow the size."""
        _, y_train, _, y_test = _cached_arrays(self, source)
        return len(self.select_rows(y_train, y_test, fraction, POOL_SEED, config)[0])

    def with_train_views(self, source: DataSource, data: TaskData, spec: ViewSpec, seed: int,
                         device: torch.device) -> TaskData:
        """`data` with train.x as [N, 1 + K, *input_shape]: each example, then K augmented copies of its raw
        item. Only tasks that featurize raw items have them (augbench.tasks.features.FeatureTask)."""
        raise ValueError(f"{spec.name} augments raw items before featurization, and task {self.name!r} has none "
                         f"(its inputs are the raw data)")

    def with_raw_train(self, source: DataSource, data: TaskData, device: torch.device) -> tuple[TaskData, Any]:
        """`data` with train.x standing for the raw training items, and the cell's featurizer of them, for
        `Method.raw_train` methods: FSDD gives the recordings and a differentiable front end (augbench.tasks.fsdd),
        the text tasks each example's position and the sentences with their featurizer (augbench.tasks.text)."""
        raise ValueError(f"task {self.name!r} has no differentiable featurizer of raw items for a method that trains "
                         f"on them")

    def val_rows(self, y_train: np.ndarray) -> np.ndarray:
        """Rows of the train split held out for validation: a fixed stratified `val_size` (at most a fifth
        of the split), the same for every profile, seed and fraction. Hyperparameters and early stopping
        look at these rows only; the test split is read for final metrics alone."""
        size = min(self.val_size, len(y_train) // 5)
        return stratified_indices(y_train, size, VAL_SEED)

    def pool_rows(self, y_train: np.ndarray, config: TrainConfig) -> np.ndarray:
        """Rows of the train split the profile draws from: all but the validation rows, or a fixed stratified
        `train_pool` of them."""
        rest = np.setdiff1d(np.arange(len(y_train)), self.val_rows(y_train))
        if config.train_pool is not None and config.train_pool < len(rest):
            return rest[stratified_indices(y_train[rest], int(config.train_pool), POOL_SEED)]
        return rest

    def generator_pool_rows(self, y_train: np.ndarray) -> np.ndarray:
        """Rows a `pool`-regime generator is fitted on: the whole train split outside the validation rows,
        whatever the profile's classifier pool (the test split is another file)."""
        return np.setdiff1d(np.arange(len(y_train)), self.val_rows(y_train))

    def extra_rows(self, y_train: np.ndarray, train_rows: np.ndarray, multiple: float, seed: int) -> np.ndarray:
        """`multiple` x len(train_rows) more real rows (stratified, drawn with the cell's seed) from the train
        split outside the validation rows and the cell's own rows; raises UsageError when there are too few."""
        rest = np.setdiff1d(self.generator_pool_rows(y_train), train_rows)
        wanted = int(round(multiple * len(train_rows)))
        if wanted > len(rest):
            raise UsageError(f"train.extra_real={multiple:g} asks for {wanted} more real examples of {self.name}, but only "
                             f"{len(rest)} are outside the cell's {len(train_rows)} and the validation rows")
        if wanted == 0:
            return np.empty(0, dtype=np.int64)
        return rest[stratified_indices(y_train[rest], wanted, derive_seed(seed, "extra_real"))]

    def select_rows(self, y_train: np.ndarray, y_test: np.ndarray, fraction: float, seed: int,
                    config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the cell's training rows (a stratified `fraction` of the pool, drawn with `seed`)
        and of its test rows (the profile's fixed stratified `test_limit`, else all)."""
        pool = self.pool_rows(y_train, config)
        train_rows = pool[stratified_indices(y_train[pool], float(fraction), derive_seed(seed, "fraction"))]
        if config.extra_real > 0:
            train_rows = np.sort(np.concatenate([train_rows, self.extra_rows(y_train, train_rows, config.extra_real, seed)]))
        test_rows = np.arange(len(y_test))
        if config.test_limit is not None and config.test_limit < len(y_test):
            test_rows = stratified_indices(y_test, int(config.test_limit), POOL_SEED)
        return train_rows, test_rows

    # --- the reference classifier of FID(task) ------------------------------------------------
    def reference_identity(self, data: TaskData | None) -> dict[str, Any]:
        """What, beyond task, data and profile, makes the reference classifier's input space: nothing for
        raw inputs; a feature task adds the rows its featurizer was fitted on and `features_identity`."""
        return {}

    def features_identity(self) -> dict[str, Any]:
        """What the classifier's inputs depend on beyond the cell, for the keys of what is cached from them
        (generators, FID's reference classifier): nothing for raw inputs; a feature task names its
        featurizer version and the versions of the libraries that compute the features."""
        return {}

    def reference_train(self, source: DataSource, data: TaskData | None, config: TrainConfig,
                        device: torch.device) -> Split:
        """The whole training pool, in the same input space as `data`, for the reference classifier."""
        return self.load(source, 1.0, POOL_SEED, config, device).train

    def generator_pool(self, source: DataSource, data: TaskData | None, device: torch.device) -> Split:
        """The whole train split outside the validation rows (`generator_pool_rows`), in the input space of
        `data`: what a `pool`-regime generator is fitted on."""
        x_train, y_train, _, _ = _cached_arrays(self, source)
        rows = self.generator_pool_rows(y_train)
        return self._to_split(x_train[rows], y_train[rows], device)

    def _to_split(self, x: np.ndarray, y: np.ndarray, device: torch.device) -> Split:
        return Split(torch.from_numpy(np.ascontiguousarray(x)).to(device), torch.from_numpy(y.astype(np.int64)).to(device))

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        """A stored batch as classifier input: uint8 pixels become float32 in [0, 1]."""
        if x.dtype == torch.uint8:
            return x.float().div_(255.0)
        return x.float()

    # --- model and training -----------------------------------------------------------------
    def classifier(self, config: TrainConfig) -> nn.Module:
        """A freshly initialised classifier (sized by `config.width`) mapping prepared inputs to logits [N, num_classes]."""
        raise NotImplementedError

    def train_config(self, profile: str) -> TrainConfig:
        """Training hyperparameters for `profile`."""
        raise NotImplementedError

    def params_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self.params)


# The image tasks' robustness beyond the profiles' own settings (`Task.robust_defaults`): AutoAttack (quick: its two
# APGD attacks on the examples FGSM and PGD left standing; full: the standard version on every example), PGD's
# strongest iterate, and the published corruption benchmark (CIFAR-10-C, MNIST-C) instead of the suite's set.
IMAGE_ROBUSTNESS: dict[str, dict[str, str]] = {
    "quick": {"autoattack": "fast", "aa_examples": "survivors", "pgd_iterate": "strongest", "corruptions": "benchmark"},
    "full": {"autoattack": "standard", "pgd_iterate": "strongest", "corruptions": "benchmark"},
}


# Decoded arrays, kept per verified variant so a sweep decodes each dataset once per process.
_array_memo: dict[tuple[str, str, str, str], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}


def _cached_arrays(task: Task, source: DataSource) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    key = (task.name, source.variant, source.checksum, repr(task.params))  # parameters may pick the split
    if key not in _array_memo:
        _array_memo[key] = task.read_arrays(source)
    return _array_memo[key]
