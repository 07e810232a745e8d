"""The one training loop every method shares: each batch passes through `method.augment(x, y, model)`."""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass
from typing import Callable, Protocol

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from augbench.core.device import autocast, synchronize
from augbench.config.profiles import TrainConfig
from augbench.core.seeding import make_generator
from augbench.tasks.base import Split, Task

# Steps excluded from train_throughput: the first steps pay for lazy initialisation and allocation.
WARMUP_STEPS = 5


class Augmenter(Protocol):
    """What the loop needs of a method: `augbench.methods.base.Method` provides it. Declared here, below the
    methods, so that evaluation (FID's reference classifier, CAS) can train a classifier without
    importing a method. `augment` gets int64 labels [N] and may return them or probability targets [N, C]
    (`augbench.methods.base.Method.augment`); the loop treats both alike."""

    def augment(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]: ...


class PassThrough:
    """No augmentation: the batch as it is (the same tensors), as the `none` method does."""

    def augment(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        return x, y


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the cell is recorded as failed with this message."""


@dataclass(frozen=True)
class TrainStats:
    train_s: float  # wall seconds of the whole loop, warm-up included
    train_throughput: float  # samples/s after the warm-up steps, device-synchronised
    steps: int
    warmup_steps: int  # steps excluded from the throughput
    final_loss: float  # mean training loss of the last epoch


def lr_at(step: int, total: int, config: TrainConfig) -> float:
    """Learning-rate multiplier: linear warm-up over `config.warmup` of the steps, then linear decay to 0;
    with `schedule=flat`, 1 throughout."""
    if config.schedule == "flat":
        return 1.0
    warm = max(1, int(config.warmup * total))
    if step < warm:
        return (step + 1) / warm
    return max(0.0, (total - step) / max(1, total - warm))


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """SGD with Nesterov momentum, or Adam; no weight decay on norms and biases (they only rescale)."""
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if config.optimizer == "adam":
        return torch.optim.Adam(groups, lr=config.lr)
    return torch.optim.SGD(groups, lr=config.lr, momentum=config.momentum, nesterov=config.momentum > 0)


def train(
    model: nn.Module,
    task: Task,
    train_split: Split,
    method: Augmenter,
    config: TrainConfig,
    seed: int,
    progress: bool | None = None,
    compile_model: bool = False,
    on_epoch_end: Callable[[int], bool] | None = None,
) -> TrainStats:
    """Train `model` in place on `train_split`, each batch augmented by `method`.

    The step loop never waits for the device: data is already there, the loss is summed on the device
    and read once per epoch, so CUDA runs ahead of Python.

    Args:
        progress: show a tqdm bar (None: only on a terminal).
        compile_model: run the training forward (and so backward) through `torch.compile`; the
            parameters are shared, so `model` is trained all the same. Methods and evaluation see
            the eager `model`. See `augbench.runner.sweep.COMPILE_DEFAULT` for when it pays.
        on_epoch_end: called with the number of finished epochs after each epoch, once the device is
            synchronised (time-to-accuracy evaluates there); returning True ends training early.

    Raises:
        TrainingDiverged: the loss became NaN or infinite.
    """
    device = train_split.y.device
    n = len(train_split)
    steps_per_epoch = math.ceil(n / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    optimizer = make_optimizer(model, config)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_at(step, total_steps, config))
    order = make_generator(seed, "order")  # on the CPU: index draws are tiny and identical on every device
    warmup = min(WARMUP_STEPS, total_steps - 1) if total_steps > 1 else 0
    forward = torch.compile(model) if compile_model else model
    # Enter autocast only where it does something: a disabled autocast context around a compiled
    # forward made CPU training steps 8x slower (measured, torch 2.11: 287 vs 2,233 samples/s on MNIST).
    use_amp = config.amp and device.type == "cuda"
    model.train()

    start = time.perf_counter()
    timed_start, timed_samples, step = start, 0, 0
    final_loss = float("nan")
    bar = tqdm(total=total_steps, desc=f"train {task.name}", unit="step", leave=False, disable=None if progress is None else not progress)
    for epoch in range(config.epochs):
        permutation = torch.randperm(n, generator=order).to(device)
        loss_sum = torch.zeros((), device=device)
        for i in range(0, n, config.batch_size):
            if step == warmup:
                synchronize(device)
                timed_start, timed_samples = time.perf_counter(), 0
            index = permutation[i:i + config.batch_size]
            x, y = method.augment(task.prepare(train_split.x[index]), train_split.y[index], model)
            with autocast(device, config.amp) if use_amp else contextlib.nullcontext():
                # y is int64 labels [N] or probability targets [N, C] (mixup, CutMix): cross_entropy takes
                # both, smooths both alike, and autocast computes it in float32 either way.
                loss = F.cross_entropy(forward(x), y, label_smoothing=config.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_sum += loss.detach()
            timed_samples += len(y)
            step += 1
            bar.update()
        # One host-device sync per epoch, not per step, to catch divergence.
        final_loss = (loss_sum / steps_per_epoch).item()
        if not math.isfinite(final_loss):
            bar.close()
            raise TrainingDiverged(f"training loss became {final_loss} in epoch {epoch + 1}")
        bar.set_postfix(epoch=epoch + 1, loss=f"{final_loss:.3f}")
        if on_epoch_end is not None:
            synchronize(device)
            if on_epoch_end(epoch + 1):
                break
    synchronize(device)
    end = time.perf_counter()
    bar.close()
    return TrainStats(
        train_s=end - start,
        train_throughput=timed_samples / max(end - timed_start, 1e-9),
        steps=step,
        warmup_steps=warmup,
        final_loss=final_loss,
    )
