"""FID(task) and CAS: how close a generator's samples are to the real data, judged in the task's own terms.

- The reference classifier of a task is the task's classifier trained with the task's profile
  hyperparameters on the profile's whole real training pool (fraction 1, seed 0, no augmentation),
  cached on disk like the generators (augbench/core/cache.py). It is trained exactly as the `none` cell of
  seed 0 at fraction 1 trains its classifier (same initialisation stream, data order and batches), so
  that cell stores its model as the reference when it runs first (`store_reference`) and the grid
  does not train the same network twice; either way the cached weights are the same.
- Features are its penultimate activations: the input of its last nn.Linear layer, read with a forward
  pre-hook, so task files need no feature API (MNIST CNN: 128-d; CIFAR-10 ResNet-9: 8 x width).
- FID(task) is the Frechet distance between Gaussians fitted to real-test and synthetic features.
- CAS (Ravuri and Vinyals 2019) is the real-test accuracy of a fresh task classifier trained only on
  synthetic samples, with the task's profile hyperparameters.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from augbench.core.cache import atomic_save, cache_lock, load_verified
from augbench.config.cell import Cell, canonical_json
from augbench.config.profiles import TrainConfig
from augbench.core.device import compute_identity, place_model
from augbench.evaluation.accuracy import accuracy
from augbench.core.seeding import derive_seed, forked_rng
from augbench.training.trainer import PassThrough, train
from augbench.tasks.base import DataSource, Split, Task, TaskData

# Bump when the reference classifier's training changes, so old cached references are not reused.
# 2: trained on its own seeded RNG stream (dropout masks no longer depend on what ran before);
# 3: trained as the `none` cell of seed 0 at fraction 1 is (its initialisation stream), which may store it.
REFERENCE_VERSION = 3
# The reference's own seed: one reference per (task, profile, data), shared by every cell and seed.
REFERENCE_SEED = 0


def _reference_entry(task: Task, source: DataSource, profile: str, config: TrainConfig,
                     data: TaskData | None, cache_dir: Path) -> tuple[Path, str, dict[str, Any]]:
    """Cache path, key and identity of the reference classifier for these data and hyperparameters."""
    identity = {"version": REFERENCE_VERSION, "task": task.name, "task_params": task.params_dict(),
                "data_variant": source.variant, "data_checksum": source.checksum, "profile": profile,
                "train_config": config.identity(), "seed": REFERENCE_SEED, "compute": compute_identity(),
                **task.reference_identity(data)}
    key = hashlib.sha256(canonical_json(identity).encode()).hexdigest()[:24]
    return cache_dir / "reference" / f"{task.name}-{profile}-{key}.pt", key, identity


def _save_reference(model: nn.Module, path: Path, key: str, identity: dict[str, Any]) -> None:
    atomic_save({"key": key, "identity": canonical_json(identity),
                 "state": {k: v.detach().cpu() for k, v in model.state_dict().items()}}, path)


def reference_classifier(task: Task, source: DataSource, profile: str, device: torch.device, cache_dir: Path,
                         progress: bool | None = None, data: TaskData | None = None) -> nn.Module:
    """The task's reference classifier (eval mode), loaded from the cache or trained and cached now.

    `data` is the cell's loaded data: a feature task's input space depends on the rows its featurizer
    was fitted on, so the reference is trained (and cached) in that space.
    """
    config = task.train_config(profile)
    path, key, identity = _reference_entry(task, source, profile, config, data, cache_dir)
    with cache_lock(path):  # two cells at once train it once
        return _load_or_train_reference(task, source, config, device, progress, data, path, key, identity)


def _load_or_train_reference(task: Task, source: DataSource, config: TrainConfig, device: torch.device,
                             progress: bool | None, data: TaskData | None, path: Path, key: str,
                             identity: dict[str, Any]) -> nn.Module:
    payload = load_verified(path)
    pool = None if isinstance(payload, dict) and payload.get("key") == key else task.reference_train(source, data, config, device)
    # The stream seed_everything(REFERENCE_SEED) gives a cell's classifier (augbench/runner/sweep.py), so the
    # weights equal those of the `none` cell of that seed on the pool.
    with forked_rng(device, derive_seed(REFERENCE_SEED, "torch")):
        model = place_model(task.classifier(config), device, image_input=len(task.input_shape) == 3)
        if pool is None:
            model.load_state_dict(payload["state"])
            return model.eval()
        train(model, task, pool, PassThrough(), config, REFERENCE_SEED, progress)
    _save_reference(model, path, key, identity)
    return model.eval()


def store_reference(model: nn.Module, task: Task, cell: Cell, config: TrainConfig, data: TaskData, compiled: bool,
                    cache_dir: Path) -> bool:
    """Cache a cell's trained classifier as the task's reference when it is the very network
    `reference_classifier` would train: the `none` cell of REFERENCE_SEED on the whole pool (fraction 1),
    with the profile's hyperparameters, eager. Returns whether it was stored (or already was)."""
    if (cell.method != "none" or cell.seed != REFERENCE_SEED or cell.fraction != 1.0 or compiled
            or config != task.train_config(cell.profile)):
        return False
    path, key, identity = _reference_entry(task, data.source, cell.profile, config, data, cache_dir)
    payload = load_verified(path)
    if not (isinstance(payload, dict) and payload.get("key") == key):
        _save_reference(model, path, key, identity)
    return True


@torch.inference_mode()
def penultimate_features(model: nn.Module, task: Task, x: torch.Tensor, batch_size: int = 1000) -> np.ndarray:
    """Inputs of the model's last nn.Linear layer, float64 [N, D], for inputs x [N, *input_shape].

    `x` may be stored data (uint8 images) or samples (float in the input range): both go through
    `task.prepare`, as in training. The model is run in eval mode and its mode is restored.
    """
    last = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not last:
        raise ValueError(f"the {task.name} classifier has no nn.Linear layer to take penultimate features from")
    captured: list[torch.Tensor] = []
    hook = last[-1].register_forward_pre_hook(lambda module, inputs: captured.append(inputs[0].detach().float().cpu()))
    was_training = model.training
    model.eval()
    try:
        for i in range(0, x.shape[0], batch_size):
            model(task.prepare(x[i:i + batch_size]))
    finally:
        hook.remove()
        model.train(was_training)
    if not captured:
        return np.zeros((0, last[-1].in_features))
    return torch.cat(captured).flatten(1).double().numpy()


def frechet_distance(real: np.ndarray, fake: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two feature sets [N, D] and [M, D].

    d^2 = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2)). The last trace is computed without
    scipy's sqrtm of the non-symmetric S1 S2 (whose round-off gives complex parts): with R = S1^(1/2)
    (symmetric eigendecomposition, negative round-off eigenvalues clipped to 0), S1 S2 is similar to
    the symmetric PSD matrix R S2 R, so tr((S1 S2)^(1/2)) = sum of sqrt(eigenvalues of R S2 R).
    Everything runs in float64.
    """
    if real.shape[0] < 2 or fake.shape[0] < 2:
        raise ValueError(f"FID needs at least 2 samples per set, got {real.shape[0]} and {fake.shape[0]}")
    mu1, mu2 = real.mean(axis=0), fake.mean(axis=0)
    s1, s2 = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    w, v = np.linalg.eigh(s1)
    root1 = (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T
    middle = root1 @ s2 @ root1
    eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2)
    trace_sqrt = np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()
    diff = mu1 - mu2
    return float(max(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * trace_sqrt, 0.0))


def fid_task(reference: nn.Module, task: Task, real_x: torch.Tensor, fake_x: torch.Tensor) -> float:
    """FID(task) of samples `fake_x` against real examples `real_x` (both [N, *input_shape])."""
    return frechet_distance(penultimate_features(reference, task, real_x), penultimate_features(reference, task, fake_x))


def classification_accuracy_score(task: Task, synthetic: Split, test: Split, profile: str, seed: int,
                                  device: torch.device, progress: bool | None = None) -> float:
    """CAS: train a fresh task classifier on `synthetic` only (task's profile hyperparameters), accuracy on `test`."""
    config = task.train_config(profile)
    with forked_rng(device, derive_seed(seed, "cas:init")):
        model = place_model(task.classifier(config), device, image_input=len(task.input_shape) == 3)
        train(model, task, synthetic, PassThrough(), config, derive_seed(seed, "cas:order"), progress)
    return accuracy(model, task, test, config.eval_batch_size, config.amp)


