"""What the feature tasks (text, audio) share: raw examples become fixed-size feature tensors through a
featurizer fitted on the cell's training rows only, cached on disk.

Why fitted per cell: a TF-IDF vocabulary, its IDF weights, an SVD basis or standardization statistics
learned from more rows than the cell trains on would leak those rows into a low-data run. So the
fraction subset is drawn first, the featurizer is fitted on exactly those rows, and the test split
(and anything else) is only transformed. The cache key covers the task, its parameters, the data
checksum, the featurizer version, the versions of the libraries that compute the features and the row
sets, so a changed parameter, subset or library release rebuilds. Augmented
copies of the training items that a method asks for (EDA's sentences, waveform augmentation's recordings)
are extra targets of the same fit, cached under a key of their own (`with_train_views`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
import time
from collections import OrderedDict
from typing import Any, Callable, ClassVar

import numpy as np
import torch
from tqdm.auto import tqdm

from augbench.core.cache import atomic_save, cache_root, load_verified
from augbench.config.cell import canonical_json
from augbench.config.profiles import TrainConfig
from augbench.core.seeding import derive_seed
from augbench.tasks.base import DataSource, Split, Task, TaskData, ViewSpec, _cached_arrays

# Featurized sets kept in memory per process (a sweep runs every method on the same features).
MEMO_SIZE = 4


def rows_digest(rows: np.ndarray) -> str:
    """A short id of a row set (sorted int64 indices)."""
    return hashlib.sha256(np.ascontiguousarray(rows, dtype=np.int64).tobytes()).hexdigest()[:16]


class FeatureTask(Task):
    """Base of tasks whose classifier sees featurized inputs (standardized: mean 0, std 1 on the train rows).

    Subclasses implement `read_arrays` (raw items: texts or waveforms, plus labels) and `featurize`, and
    may override `raw_views` for corruptions that must act on raw items (noise on a waveform).
    """

    modality: ClassVar[str] = "features"
    input_range: ClassVar[tuple[float, float] | None] = None  # standardized features are unbounded
    FEATURIZER_VERSION: ClassVar[int] = 1  # bump when featurization changes: old cache entries then miss
    # The distributions whose code computes the features: their versions are part of the cache key, so features
    # cached under one release are never read under another (a release may change them in the last bits).
    # "blas": the BLAS of numpy and scipy with the kernel it picked for this CPU (a cache on a shared disk read
    # by a machine whose OpenBLAS picks other kernels is rebuilt there).
    featurizer_libraries: ClassVar[tuple[str, ...]] = ("numpy", "torch")

    _memo: ClassVar[OrderedDict[str, dict[str, np.ndarray]]] = OrderedDict()

    # --- what subclasses provide --------------------------------------------------------------
    def featurize(self, fit_items: Any, targets: dict[str, Any]) -> dict[str, np.ndarray]:
        """Fit the featurizer on `fit_items` only; return float32 features [N, *input_shape] of each target.

        A target that `is` `fit_items` may reuse the features computed while fitting.
        """
        raise NotImplementedError

    def raw_views(self, test_items: Any) -> dict[str, Any]:
        """Test items under corruptions that act before featurization, keyed by corruption name."""
        return {}

    # --- loading ------------------------------------------------------------------------------
    def load(self, source: DataSource, fraction: float, seed: int, config: TrainConfig, device: torch.device) -> TaskData:
        x_train, y_train, x_test, y_test = _cached_arrays(self, source)
        train_rows, test_rows = self.select_rows(y_train, y_test, fraction, seed, config)
        val_rows = self.val_rows(y_train)
        arrays = self.features(source, train_rows, {"train": ("train", train_rows), "val": ("train", val_rows),
                                                    "test": ("test", test_rows)}, with_views=True)
        views = {name[len("view:"):]: torch.from_numpy(a).to(device) for name, a in arrays.items() if name.startswith("view:")}

        def split(name: str, labels: np.ndarray, extra: dict[str, torch.Tensor] | None = None) -> Split:
            return Split(torch.from_numpy(arrays[name]).to(device), torch.from_numpy(labels.astype(np.int64)).to(device), extra or {})

        return TaskData(train=split("train", y_train[train_rows]), test=split("test", y_test[test_rows], views),
                        source=source, fit_rows=train_rows, test_rows=test_rows, val=split("val", y_train[val_rows]))

    def fitted_featurizer(self, fit_items: Any) -> Callable[[Any], np.ndarray] | None:
        """The featurizer fitted on `fit_items` as a function of any raw items, for attacks that act on raw items
        (the text tasks' word substitutions); None where a task has none (its attacks act on features)."""
        return None

    def raw_test_inputs(self, source: DataSource, data: TaskData) -> tuple[np.ndarray, Callable[[Any], np.ndarray]] | None:
        """The raw items of `data.test` in order, and the cell's featurizer (refitted on its fit rows, so the same
        function that made `data`; `evaluate_robustness` checks that it reproduces the test features); None
        where the task has no raw-input attack."""
        if data.fit_rows is None or data.test_rows is None:
            return None
        x_train, _, x_test, _ = _cached_arrays(self, source)
        featurize = self.fitted_featurizer(x_train[data.fit_rows])
        return None if featurize is None else (x_test[data.test_rows], featurize)

    def reference_identity(self, data: TaskData | None) -> dict[str, Any]:
        if data is None or data.fit_rows is None:
            return {}
        return {"featurizer_fit_rows": rows_digest(data.fit_rows), "features": self.features_identity()}

    def features_identity(self) -> dict[str, Any]:
        return {"featurizer_version": self.FEATURIZER_VERSION, "libraries": self.library_versions()}

    def reference_train(self, source: DataSource, data: TaskData | None, config: TrainConfig, device: torch.device) -> Split:
        if data is None or data.fit_rows is None:
            return super().reference_train(source, data, config, device)
        _, y_train, _, _ = _cached_arrays(self, source)
        pool = self.pool_rows(y_train, config)
        if np.array_equal(np.sort(pool), np.sort(data.fit_rows)):  # fraction 1: the cell's train split is the pool
            return data.train
        arrays = self.features(source, data.fit_rows, {"pool": ("train", pool)}, with_views=False)
        return Split(torch.from_numpy(arrays["pool"]).to(device), torch.from_numpy(y_train[pool].astype(np.int64)).to(device))

    def generator_pool(self, source: DataSource, data: TaskData | None, device: torch.device) -> Split:
        """The train split outside validation, featurized as the cell's inputs are (its featurizer's fit rows)."""
        if data is None or data.fit_rows is None:
            return super().generator_pool(source, data, device)
        _, y_train, _, _ = _cached_arrays(self, source)
        rows = self.generator_pool_rows(y_train)
        arrays = self.features(source, data.fit_rows, {"pool": ("train", rows)}, with_views=False)
        return Split(torch.from_numpy(arrays["pool"]).to(device), torch.from_numpy(y_train[rows].astype(np.int64)).to(device))

    def features(self, source: DataSource, fit_rows: np.ndarray, targets: dict[str, tuple[str, np.ndarray]],
                 with_views: bool) -> dict[str, np.ndarray]:
        """Features of each target (split, rows), with the featurizer fitted on train rows `fit_rows`.

        Read from memory or the disk cache when this exact featurization was built before; else built
        now and written atomically (a failure leaves no cache file behind).
        """
        identity = {
            "task": self.name, "version": self.FEATURIZER_VERSION, "params": self.params_dict(),
            "data_variant": source.variant, "data_checksum": source.checksum, "fit_rows": rows_digest(fit_rows),
            "libraries": self.library_versions(),
            "targets": {name: [split, rows_digest(rows)] for name, (split, rows) in targets.items()},
            "views": with_views,
        }
        return self._cached(identity, lambda: self._build(source, fit_rows, targets, with_views))

    def with_train_views(self, source: DataSource, data: TaskData, spec: ViewSpec, seed: int,
                         device: torch.device) -> TaskData:
        """`data` with train.x as [N, 1 + K, *input_shape]: each training example (the features `data` has),
        then the features of K augmented copies of its raw item; validation and test are left as they are.

        The copies are extra targets of the featurizer fitted on the original training items only (the
        same fit that made `data`), so no augmented item shapes a vocabulary, basis or statistic.
        """
        if data.fit_rows is None:
            raise ValueError(f"task {self.name!r}: the data carries no featurizer fit rows to augment")
        views, build_s, cache_hit = self.train_view_features(source, data.fit_rows, spec, seed)
        stacked = torch.cat([data.train.x[:, None], torch.from_numpy(views).to(device)], dim=1)
        return dataclasses.replace(data, train=Split(stacked, data.train.y, data.train.views),
                                   train_views_s=build_s, train_views_cache_hit=cache_hit)

    def train_view_features(self, source: DataSource, fit_rows: np.ndarray, spec: ViewSpec,
                            seed: int) -> tuple[np.ndarray, float, bool]:
        """Features of the K augmented copies of the raw items of `fit_rows`, float32 [N, K, *input_shape]; the
        seconds they took to build (kept with them, so the same on a cache hit); whether they came from the
        memory or disk cache. Cached like `features` under an identity of their own (the method, its
        resolved view settings, the seed and the count), so features of cells without views keep their keys."""
        identity = {
            "task": self.name, "version": self.FEATURIZER_VERSION, "params": self.params_dict(),
            "data_variant": source.variant, "data_checksum": source.checksum, "fit_rows": rows_digest(fit_rows),
            "libraries": self.library_versions(),
            "train_views": {"method": spec.name, "count": spec.count, "identity": spec.identity, "seed": seed},
        }
        built = []
        arrays = self._cached(identity, lambda: built.append(True) or self._build_views(source, fit_rows, spec, seed))
        return arrays["views"], float(arrays["build_s"]), not built

    def library_versions(self) -> dict[str, str | None]:
        """{distribution: installed version} of `featurizer_libraries` (None where one is not installed; "blas":
        environment.blas_identity())."""
        from augbench.core.environment import versions_of

        return versions_of(self.featurizer_libraries)

    def _cached(self, identity: dict[str, Any], build: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """The arrays stored under `identity`: from memory, from the disk cache, or from `build()` (then saved)."""
        key = hashlib.sha256(canonical_json(identity).encode()).hexdigest()[:24]
        if key in self._memo:
            self._memo.move_to_end(key)
            return self._memo[key]
        path = cache_root() / "features" / f"{self.name}-{key}.pt"
        payload = load_verified(path)
        if isinstance(payload, dict) and payload.get("key") == key:
            arrays = {name: t.numpy() for name, t in payload["arrays"].items()}
        else:
            arrays = build()
            atomic_save({"key": key, "identity": canonical_json(identity),
                         "arrays": {name: torch.from_numpy(a) for name, a in arrays.items()}}, path)
        self._memo[key] = arrays
        while len(self._memo) > MEMO_SIZE:
            self._memo.popitem(last=False)
        return arrays

    def _build(self, source: DataSource, fit_rows: np.ndarray, targets: dict[str, tuple[str, np.ndarray]],
               with_views: bool) -> dict[str, np.ndarray]:
        x_train, _, x_test, _ = _cached_arrays(self, source)
        items = {"train": x_train, "test": x_test}
        start = time.perf_counter()
        fit_items = x_train[fit_rows]
        # A target that is the fit rows gets the very same array, so a featurizer can reuse what it computed
        # while fitting (the `is` check in `featurize`) instead of transforming those rows a second time.
        wanted = {name: fit_items if split == "train" and np.array_equal(rows, fit_rows) else items[split][rows]
                  for name, (split, rows) in targets.items()}
        if with_views and "test" in targets:
            wanted.update({f"view:{name}": view for name, view in self.raw_views(wanted["test"]).items()})
        arrays = self.featurize(fit_items, wanted)
        for name, array in arrays.items():
            expected = (len(wanted[name]), *self.input_shape)
            if array.shape != expected or array.dtype != np.float32:
                raise RuntimeError(f"{self.name} featurizer returned {name} as {array.dtype} {array.shape}, expected float32 {expected}")
        if sys.stderr is not None:
            tqdm.write(f"{self.name}: features built in {time.perf_counter() - start:.1f}s "
                       f"(fitted on {len(fit_rows)} train rows)", file=sys.stderr)
        return arrays

    def _build_views(self, source: DataSource, fit_rows: np.ndarray, spec: ViewSpec, seed: int) -> dict[str, np.ndarray]:
        """{"views": [N, K, *input_shape], "build_s": the seconds this took}; the time is kept with the cached
        views so that a cell that loads them reports the same cost as the cell that built them."""
        x_train, _, _, _ = _cached_arrays(self, source)
        if spec.prepare is not None:
            spec.prepare()
        start = time.perf_counter()
        fit_items = x_train[fit_rows]
        views_seed = derive_seed(seed, f"views:{spec.name}")
        wanted = {f"view:{k}": spec.make(fit_items, k, views_seed) for k in range(1, spec.count + 1)}
        made_s = time.perf_counter() - start
        for name, items in wanted.items():
            if len(items) != len(fit_items):
                raise RuntimeError(f"{spec.name} made {len(items)} items for {name} from {len(fit_items)}")
        arrays = self.featurize(fit_items, wanted)  # fitted on the original items; the copies are only transformed
        views = np.stack([arrays[f"view:{k}"] for k in range(1, spec.count + 1)], axis=1)
        if views.shape != (len(fit_items), spec.count, *self.input_shape) or views.dtype != np.float32:
            raise RuntimeError(f"{self.name} featurizer returned views as {views.dtype} {views.shape}")
        build_s = time.perf_counter() - start
        if sys.stderr is not None:
            tqdm.write(f"{self.name}: {spec.count} {spec.name} views of {len(fit_rows)} train rows built in "
                       f"{build_s:.1f}s ({made_s:.1f}s augmenting raw items)", file=sys.stderr)
        return {"views": views, "build_s": np.array(build_s)}

