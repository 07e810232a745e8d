"""What the feature tasks (text, audio) share: raw examples become fixed-size feature tensors through a
featurizer fitted on the cell's training rows only, cached on disk.

Why fitted per cell: a TF-IDF vocabulary, its IDF weights, an SVD basis or standardization statistics
learned from more rows than the cell trains on would leak those rows into a low-data run. So the
fraction subset is drawn first, the featurizer is fitted on exactly those rows, and the test split
(and anything else) is only transformed. The cache key covers the task, its parameters, the data
checksum, the featurizer version and the row sets, so a changed parameter or subset rebuilds.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections import OrderedDict
from typing import Any, ClassVar

import numpy as np
import torch
from tqdm.auto import tqdm

from bench.core.cache import atomic_save, cache_root, load_verified
from bench.config.cell import canonical_json
from bench.config.profiles import TrainConfig
from tasks.base import DataSource, Split, Task, TaskData, _cached_arrays

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
                        source=source, fit_rows=train_rows, val=split("val", y_train[val_rows]))

    def reference_identity(self, data: TaskData | None) -> dict[str, Any]:
        return {} if data is None or data.fit_rows is None else {"featurizer_fit_rows": rows_digest(data.fit_rows)}

    def reference_train(self, source: DataSource, data: TaskData | None, config: TrainConfig, device: torch.device) -> Split:
        if data is None or data.fit_rows is None:
            return super().reference_train(source, data, config, device)
        _, y_train, _, _ = _cached_arrays(self, source)
        pool = self.pool_rows(y_train, config)
        if np.array_equal(np.sort(pool), np.sort(data.fit_rows)):  # fraction 1: the cell's train split is the pool
            return data.train
        arrays = self.features(source, data.fit_rows, {"pool": ("train", pool)}, with_views=False)
        return Split(torch.from_numpy(arrays["pool"]).to(device), torch.from_numpy(y_train[pool].astype(np.int64)).to(device))

    def features(self, source: DataSource, fit_rows: np.ndarray, targets: dict[str, tuple[str, np.ndarray]],
                 with_views: bool) -> dict[str, np.ndarray]:
        """Features of each target (split, rows), with the featurizer fitted on train rows `fit_rows`.

        Read from memory or the disk cache when this exact featurization was built before; else built
        now and written atomically (a failure leaves no cache file behind).
        """
        identity = {
            "task": self.name, "version": self.FEATURIZER_VERSION, "params": self.params_dict(),
            "data_variant": source.variant, "data_checksum": source.checksum, "fit_rows": rows_digest(fit_rows),
            "targets": {name: [split, rows_digest(rows)] for name, (split, rows) in targets.items()},
            "views": with_views,
        }
        key = hashlib.sha256(canonical_json(identity).encode()).hexdigest()[:24]
        if key in self._memo:
            self._memo.move_to_end(key)
            return self._memo[key]
        path = cache_root() / "features" / f"{self.name}-{key}.pt"
        payload = load_verified(path)
        if isinstance(payload, dict) and payload.get("key") == key:
            arrays = {name: t.numpy() for name, t in payload["arrays"].items()}
        else:
            arrays = self._build(source, fit_rows, targets, with_views)
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

