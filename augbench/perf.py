"""`augbench perf`: how fast augbench is, measured side by side with the usual PyTorch pipeline.

On one device and in one run: the classic augmentation's throughput through (a) augbench's on-device,
batched per-sample path, (b) the DataLoader pipeline a PyTorch user would write (torchvision v2
per-sample transforms on uint8 tensors in worker processes) and (c) Kornia's batched augmentation when
it is installed; the same for the per-sample policies (mixup, CutMix, cutout, TrivialAugment, RandAugment) against
their torchvision v2 equivalents; the trainer with and without torch.compile; and, on a GPU,
time-to-accuracy.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import torch
from tabulate import tabulate
from torch.utils.data import DataLoader, Dataset

from augbench.core.cache import cache_root
from augbench.core.device import device_name, place_model, synchronize
from augbench.core.errors import UsageError
from augbench.evaluation.accuracy import accuracy
from augbench.config.profiles import TrainConfig
from augbench.core.seeding import make_generator, seed_everything
from augbench.training.trainer import train
from augbench.methods import METHODS
from augbench.methods.base import FitContext, Method
from augbench.tasks import TASKS
from augbench.tasks.base import Split, Task
from augbench.tasks.verify import resolve_data_root

# Peak DRAM bandwidth by GPU name (first match wins; vendor datasheets, GB/s = 1e9 bytes/s).
PEAK_BANDWIDTH_GBPS = [
    ("GH200", 4000.0), ("H200", 4800.0), ("H100 NVL", 3900.0), ("H100 PCIe", 2000.0), ("H100", 3350.0),
    ("A100-SXM4-80GB", 2039.0), ("A100 80GB PCIe", 1935.0), ("A100", 1555.0), ("L40S", 864.0), ("L4", 300.0),
    ("A10G", 600.0), ("A10", 600.0), ("V100", 900.0), ("RTX 4090", 1008.0), ("RTX 3090", 936.0),
]

# Time-to-accuracy targets (top-1 on the full official test split) of the `classic` method.
TTA_TARGETS = {"mnist": (0.99,), "cifar10": (0.93, 0.94)}
TTA_METHOD = "classic"


@dataclass(frozen=True)
class PerfConfig:
    """What `augbench perf` measures and how; every default is the fair, documented setting."""

    tasks: list[str]
    device: torch.device
    data_dir: str | None = None
    batch_size: int | None = None  # images per batch for every pipeline (None: the profile's training batch)
    images: int | None = None  # images timed per pipeline and task (None: one pass over the training split)
    repeats: int = 3  # timed segments per pipeline; the median segment's rate is reported
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)  # DataLoader worker processes of (b)
    kornia: bool = True  # add Kornia's pipeline when kornia is installed
    # Per-sample policies measured beside classic, each against its torchvision v2 DataLoader equivalent.
    policies: tuple[str, ...] = ("mixup", "cutmix", "cutout", "trivialaugment", "randaugment")
    train: bool = True  # trainer throughput with and without torch.compile
    train_steps: int = 30  # timed training steps per setting (after the trainer's 5 warm-up steps)
    tta: bool = True  # time-to-accuracy (CUDA only)
    peak_bandwidth_gbps: float | None = None  # override the assumed peak (None: from the GPU's name)
    threads: int | None = None  # torch CPU threads of this process (None: torch's default, one per core)

    @property
    def profile(self) -> str:
        """The profile whose batch sizes and training settings perf uses: the GPU's or the CPU's."""
        return "full" if self.device.type == "cuda" else "quick"


@dataclass
class PipelineResult:
    task: str
    pipeline: str
    images_per_s: float
    images: int  # images timed in all
    note: str = ""
    method: str = "classic"  # the augmentation measured: classic, or a policy of PerfConfig.policies


@dataclass
class PerfReport:
    header: list[str]
    augmentation: list[PipelineResult]
    bandwidth: tuple[float, str] | None  # (assumed peak GB/s, where it comes from); None on CPU
    bytes_per_image: dict[str, int]
    train_rows: list[list[str]]
    train_note: str
    tta_rows: list[list[str]]
    tta_note: str
    notes: list[str]


def image_tasks() -> list[str]:
    """Tasks whose classic augmentation perf can compare: images whose classic recipe is crop and flip."""
    return [name for name in TASKS.list() if TASKS.get(name).modality == "image"
            and hasattr(TASKS.get(name).classic, "padding") and hasattr(TASKS.get(name).classic, "flip")]


def check_config(config: PerfConfig) -> None:
    valid = image_tasks()
    for name in config.tasks:
        if name not in valid:
            raise UsageError(f"perf measures image tasks with a classic policy; {name!r} is not one (valid: {', '.join(valid)})")
    for name in ("batch_size", "images", "repeats", "train_steps", "threads"):
        value = getattr(config, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name.replace('_', '-')} {value} is invalid: it must be >= 1")
    if config.workers < 0:
        raise UsageError(f"--workers {config.workers} is invalid: it must be >= 0")
    if config.peak_bandwidth_gbps is not None and not config.peak_bandwidth_gbps > 0:
        raise UsageError(f"--peak-bandwidth {config.peak_bandwidth_gbps} is invalid: it must be > 0 (GB/s)")


def assumed_peak_bandwidth(device: torch.device, override: float | None) -> tuple[float, str] | None:
    """(GB/s, source) of the device's DRAM bandwidth limit; None on CPU or for an unknown GPU without override."""
    if device.type != "cuda":
        return None
    if override is not None:
        return override, "--peak-bandwidth"
    name = torch.cuda.get_device_name(device)
    for key, gbps in PEAK_BANDWIDTH_GBPS:
        if key in name:
            return gbps, f"datasheet peak of {key} ({name})"
    return None


# --- (a) augbench: data resident on the device, one batched per-sample call -----------------------


def classic_method(task: Task, profile: str) -> Method:
    """`classic` as the sweep builds it (through the registry), with the task's policy."""
    cls = METHODS.get("classic")
    return cls(cls.default_params(profile, task), task, 0)


def _timed_segments(step: Callable[[], int], images: int, repeats: int, warmup: int, device: torch.device) -> list[float]:
    """Images/s of `repeats` consecutive segments of about images/repeats images each, after `warmup` steps."""
    for _ in range(warmup):
        step()
    per_segment = max(1, math.ceil(images / repeats))
    rates = []
    for _ in range(repeats):
        synchronize(device)
        start, done = time.perf_counter(), 0
        while done < per_segment:
            done += step()
        synchronize(device)
        rates.append(done / (time.perf_counter() - start))
    return rates


def measure_augbench(task: Task, split: Split, method: Method, batch: int, images: int, repeats: int,
                     device: torch.device) -> float:
    """(a): gather a shuffled batch from the device-resident uint8 split, make it float, augment it."""
    n = len(split)
    order = make_generator(0, "perf:order", device)
    state = {"perm": torch.randperm(n, generator=order, device=device), "at": 0}

    def step() -> int:
        if state["at"] + batch > n:
            state["perm"], state["at"] = torch.randperm(n, generator=order, device=device), 0
        index = state["perm"][state["at"]:state["at"] + batch]
        state["at"] += batch
        method.augment(task.prepare(split.x[index]), split.y[index], None)
        return batch

    return statistics.median(_timed_segments(step, images, repeats, warmup=3, device=device))


# --- (b) the usual PyTorch pipeline: per-sample torchvision v2 transforms in DataLoader workers -------


class PerSampleImages(Dataset):
    """uint8 CHW images with a per-sample transform, as a PyTorch user's Dataset returns them."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, transform: Callable[[torch.Tensor], torch.Tensor]) -> None:
        self.x, self.y, self.transform = x, y, transform

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.transform(self.x[i]), self.y[i]


def torchvision_transform(task: Task, padding: int, flip: bool) -> Callable[[torch.Tensor], torch.Tensor]:
    """torchvision v2 RandomCrop with zero padding (+ RandomHorizontalFlip where the task allows it)."""
    from torchvision.transforms import v2

    steps = [v2.RandomCrop(task.input_shape[-2:], padding=padding, fill=0, padding_mode="constant")]
    if flip:
        steps.append(v2.RandomHorizontalFlip(p=0.5))
    return v2.Compose(steps)


BatchTransform = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def policy_batch_transform(name: str, method: Method) -> BatchTransform | None:
    """The batch-level torchvision v2 transform a user applies to each loaded batch in the training loop
    (torchvision's own recipe for MixUp and CutMix), or None for per-sample policies.

    v2.MixUp and v2.CutMix draw one mixing weight (and one box) per batch and pair each image with its
    neighbour in the batch; the methods here draw per sample. Same kind of work, a different distribution.
    """
    from torchvision.transforms import v2

    if name not in ("mixup", "cutmix"):
        return None
    params = method.resolved_params()
    kind = v2.MixUp if name == "mixup" else v2.CutMix
    return kind(alpha=params["alpha"], num_classes=method.task.num_classes)


def policy_transform(name: str, method: Method) -> Callable[[torch.Tensor], torch.Tensor]:
    """What a torchvision user would write for a policy, on uint8 CHW tensors, with the method's settings.

    cutout: RandomErasing(p=1) of one square of the method's side filled with its (rounded) training mean;
    RandomErasing keeps the square inside the image where Cutout clips it at the border, a different
    distribution at the same cost. trivialaugment: TrivialAugmentWide(); randaugment: RandAugment(N, M).
    Both draw their op per call, i.e. per sample here; neither can leave out MNIST's excluded ops, so
    they draw from all 14 (the same kind of work).
    """
    from torchvision.transforms import v2

    params = method.resolved_params()
    if name in ("mixup", "cutmix"):  # batch-level: nothing per sample (policy_batch_transform)
        return v2.Identity()
    if name == "cutout":
        height, width = method.task.input_shape[-2:]
        share = params["size"] ** 2 / (height * width)
        fill = method.fill_value.flatten().mul(255).round().tolist()
        return v2.RandomErasing(p=1.0, scale=(share, share), ratio=(1.0, 1.0), value=fill)
    if name == "trivialaugment":
        return v2.TrivialAugmentWide(num_magnitude_bins=params["bins"])
    if name == "randaugment":
        return v2.RandAugment(num_ops=params["num_ops"], magnitude=params["magnitude"])
    raise ValueError(f"no torchvision equivalent is known for method {name!r}")


def measure_torchvision(task: Task, split: Split, transform: Callable[[torch.Tensor], torch.Tensor], batch: int,
                        images: int, repeats: int, workers: int, device: torch.device,
                        batch_transform: BatchTransform | None = None) -> float:
    """(b): DataLoader(num_workers=workers, persistent_workers, pin_memory on CUDA, same batch size), each
    batch copied to the device and made float there, as the trainer would receive it, then `batch_transform`
    (MixUp, CutMix) on it there; steady state."""
    x, y = split.x.cpu(), split.y.cpu()
    loader = DataLoader(
        PerSampleImages(x, y, transform), batch_size=batch, shuffle=True,
        num_workers=workers, persistent_workers=workers > 0, pin_memory=device.type == "cuda", drop_last=True,
        generator=torch.Generator().manual_seed(0),
    )

    def batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        while True:  # persistent workers: a new epoch reuses them
            yield from loader

    stream = batches()

    def step() -> int:
        xb, yb = next(stream)
        xb, yb = task.prepare(xb.to(device, non_blocking=True)), yb.to(device, non_blocking=True)
        if batch_transform is not None:
            xb, yb = batch_transform(xb, yb)
        return len(yb)

    # Warm-up: start the workers and drain the batches they prefetched while starting.
    warmup = max(5, 2 * 2 * max(workers, 1))
    try:
        return statistics.median(_timed_segments(step, images, repeats, warmup=warmup, device=device))
    finally:
        del stream
        if loader._iterator is not None:  # end the persistent workers now rather than at exit
            loader._iterator._shutdown_workers()


def policy_method(name: str, task: Task, split: Split, profile: str, device: torch.device) -> Method:
    """A policy as the sweep builds it (registry, profile defaults), fitted on the training split."""
    cls = METHODS.get(name)
    method = cls(cls.default_params(profile, task), task, 0)
    method.fit(split, FitContext(cell={}, profile=profile, device=device, cache_dir=cache_root(), progress=False))
    return method


def measure_policy(name: str, task: Task, split: Split, config: PerfConfig, batch: int, images: int,
                   device: torch.device, echo: Callable[[str], None]) -> list[PipelineResult]:
    """(a) and (b) of one per-sample policy on one task; none when the policy does not apply to the task."""
    if not METHODS.get(name).applies_to(task):
        return []
    method = policy_method(name, task, split, config.profile, device)
    rate_a = measure_augbench(task, split, method, batch, images, config.repeats, device)
    echo(f"  {name} (a) augbench: {rate_a:,.0f} images/s")
    rate_b = measure_torchvision(task, split, policy_transform(name, method), batch, images, config.repeats, config.workers,
                                 device, policy_batch_transform(name, method))
    echo(f"  {name} (b) torchvision DataLoader: {rate_b:,.0f} images/s")
    return [PipelineResult(task.name, "(a) augbench on-device batched", rate_a, images, method=name),
            PipelineResult(task.name, f"(b) torchvision v2 per-sample, DataLoader x{config.workers}", rate_b, images,
                           method=name)]


# --- (c) Kornia: batched augmentation on the device ---------------------------------------------------


def kornia_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("kornia") is not None


def measure_kornia(task: Task, split: Split, padding: int, flip: bool, batch: int, images: int, repeats: int,
                   device: torch.device) -> float:
    """(c): kornia.augmentation RandomCrop(padding) (+ RandomHorizontalFlip) with per-sample parameters."""
    import kornia.augmentation as K

    steps = [K.RandomCrop(tuple(task.input_shape[-2:]), padding=padding, fill=0, padding_mode="constant")]
    if flip:
        steps.append(K.RandomHorizontalFlip(p=0.5))
    augment = K.AugmentationSequential(*steps).to(device)
    n = len(split)
    order = make_generator(0, "perf:order", device)

    def step() -> int:
        index = torch.randint(0, n, (batch,), generator=order, device=device)
        augment(task.prepare(split.x[index]))
        return batch

    return statistics.median(_timed_segments(step, images, repeats, warmup=3, device=device))


# --- the trainer with and without torch.compile ------------------------------------------------------


def measure_training(task: Task, split: Split, config: TrainConfig, steps: int, compile_model: bool,
                     device: torch.device) -> tuple[float, float]:
    """(wall seconds of warm-up + timed steps, steady samples/s) of the shared trainer with classic.

    The split is cut to a whole number of batches, so a compiled forward compiles once.
    """
    from augbench.training.trainer import WARMUP_STEPS

    n = min(len(split), (steps + WARMUP_STEPS) * config.batch_size)
    n -= n % config.batch_size
    subset = Split(split.x[:n], split.y[:n])
    seed_everything(0)
    model = place_model(task.classifier(config), device, image_input=True)
    stats = train(model, task, subset, classic_method(task, "full" if device.type == "cuda" else "quick"),
                  config.replace(epochs=1), seed=0, progress=False, compile_model=compile_model)
    return stats.train_s, stats.train_throughput


# --- time to accuracy (CUDA) -------------------------------------------------------------------------


def time_to_accuracy(task: Task, root: Path, device: torch.device, compile_model: bool) -> list[list[str]]:
    """Seconds of training (evaluation excluded, data already on the device) until `classic` first reaches
    each target on the full test split, with the full profile's schedule, seed 0, all training data."""
    config = task.train_config("full")
    data = task.load(task.source(root), 1.0, 0, config, device)
    seed_everything(0)
    model = place_model(task.classifier(config), device, image_input=True)
    targets = TTA_TARGETS[task.name]
    reached: dict[float, tuple[float, int]] = {}
    clock = {"paused": 0.0, "best": 0.0}

    def on_epoch_end(epoch: int) -> bool:
        now = time.perf_counter()
        elapsed = now - start - clock["paused"]
        acc = accuracy(model, task, data.test, config.eval_batch_size, config.amp)
        clock["best"] = max(clock["best"], acc)
        for target in targets:
            if acc >= target and target not in reached:
                reached[target] = (elapsed, epoch)
        clock["paused"] += time.perf_counter() - now
        return len(reached) == len(targets)

    start = time.perf_counter()
    train(model, task, data.train, classic_method(task, "full"), config, seed=0, progress=False,
          compile_model=compile_model, on_epoch_end=on_epoch_end)
    rows = []
    for target in targets:
        if target in reached:
            seconds, epoch = reached[target]
            rows.append([task.name, f"{100 * target:g}%", f"{seconds:.1f}", f"{epoch} of {config.epochs}", ""])
        else:
            rows.append([task.name, f"{100 * target:g}%", "not reached", f"{config.epochs} of {config.epochs}",
                         f"best {100 * clock['best']:.2f}%"])
    return rows


# --- the whole run -----------------------------------------------------------------------------------


def run_perf(config: PerfConfig, echo: Callable[[str], None] = print) -> PerfReport:
    """Measure everything `config` asks for, printing progress through `echo`; returns the report."""
    check_config(config)
    threads = torch.get_num_threads()
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    try:
        return _run_perf(config, echo)
    finally:
        torch.set_num_threads(threads)


def _run_perf(config: PerfConfig, echo: Callable[[str], None]) -> PerfReport:
    root = resolve_data_root(config.data_dir)
    device = config.device
    from augbench.runner.sweep import resolve_compile

    compile_default = resolve_compile("auto", device)
    header = [
        f"device: {device.type} ({device_name(device)}), {os.cpu_count()} CPU cores, torch {torch.__version__}, "
        f"torchvision {_version('torchvision')}, kornia {_version('kornia') or 'not installed'}, python {platform.python_version()}",
        f"settings: profile {config.profile} (batch sizes, training), median of {config.repeats} timed segments, "
        f"DataLoader workers {config.workers}, torch threads in this process {torch.get_num_threads()}",
        "load average at start (1, 5, 15 min): " + ", ".join(f"{v:.2f}" for v in os.getloadavg()),
    ]
    results: list[PipelineResult] = []
    bytes_per_image: dict[str, int] = {}
    train_rows: list[list[str]] = []
    for name in config.tasks:
        task = TASKS.get(name)()
        train_config = task.train_config(config.profile)
        batch = config.batch_size or train_config.batch_size
        data = task.load(task.source(root), 1.0, 0, TrainConfig(), device)  # the whole training split, on the device
        images = config.images or len(data.train)
        method = classic_method(task, config.profile)
        recipe = method.resolved_params()  # the crop/flip settings the sweep would run with
        padding, flip = int(recipe["padding"]), bool(recipe["flip"])
        bytes_per_image[name] = 5 * math.prod(task.input_shape)  # uint8 read + float32 written
        echo(f"{name}: {len(data.train)} training images, batch {batch}, {images} images timed per pipeline; "
             f"classic padding {padding}, flip {flip}")
        rate = measure_augbench(task, data.train, method, batch, images, config.repeats, device)
        results.append(PipelineResult(name, "(a) augbench on-device batched", rate, images))
        echo(f"  (a) augbench: {rate:,.0f} images/s")
        rate = measure_torchvision(task, data.train, torchvision_transform(task, padding, flip), batch, images,
                                   config.repeats, config.workers, device)
        results.append(PipelineResult(name, f"(b) torchvision v2 per-sample, DataLoader x{config.workers}", rate, images))
        echo(f"  (b) torchvision DataLoader: {rate:,.0f} images/s")
        if config.kornia and kornia_available():
            rate = measure_kornia(task, data.train, padding, flip, batch, images, config.repeats, device)
            results.append(PipelineResult(name, "(c) kornia batched", rate, images))
            echo(f"  (c) kornia: {rate:,.0f} images/s")
        for policy in config.policies:
            results += measure_policy(policy, task, data.train, config, batch, images, device, echo)
        if config.train:
            cells = []
            for compile_model in (False, True):
                wall, rate = measure_training(task, data.train, train_config, config.train_steps, compile_model, device)
                cells.append((wall, rate))
                echo(f"  trainer {'compile' if compile_model else 'eager'}: {rate:,.0f} samples/s, {wall:.1f} s "
                     f"for {config.train_steps + 5} steps")
            train_rows.append(_train_row(name, train_config, len(data.train), cells, config.train_steps))
        del data
    if config.train:
        train_note = (f"trainer: {config.profile} profile settings per task, classic, steady samples/s after 5 warm-up "
                      f"steps; 'first + warm-up s' is the wall time of the 5 warm-up steps and {config.train_steps} timed "
                      f"steps, compilation included. Break-even: training steps after which compiling has paid "
                      f"for itself. Default here (--compile auto): {'compile' if compile_default else 'eager'}.")
    else:
        train_note = "trainer: skipped (--no-train)"
    tta_rows: list[list[str]] = []
    if not config.tta:
        tta_note = "time-to-accuracy: skipped (--no-tta)"
    elif device.type != "cuda":
        tta_note = ("time-to-accuracy: skipped: it needs a CUDA device (it trains the full profile's schedules, "
                    "MNIST 12 epochs and CIFAR-10 24 epochs of a width-64 ResNet-9, hours on a CPU); "
                    "run `augbench perf` on a GPU")
    else:
        tta_note = (f"time-to-accuracy: `{TTA_METHOD}`, full profile schedule, seed 0, all training data already on the "
                    f"device; seconds of training until the epoch-end test accuracy first reaches the target, "
                    f"evaluation excluded, {'compiled' if compile_default else 'eager'} (--compile auto)")
        for name in config.tasks:
            if name in TTA_TARGETS:
                echo(f"{name}: time to accuracy ...")
                tta_rows += time_to_accuracy(TASKS.get(name)(), root, device, compile_default)
    notes = []
    if config.kornia and not kornia_available():
        notes.append("(c) kornia: not installed (pip install 'augbench[kornia]'), row left out")
    return PerfReport(header, results, assumed_peak_bandwidth(device, config.peak_bandwidth_gbps), bytes_per_image,
                      train_rows, train_note, tta_rows, tta_note, notes)


def _train_row(name: str, config: TrainConfig, n_train: int, cells: list[tuple[float, float]], steps: int) -> list[str]:
    (wall_e, rate_e), (wall_c, rate_c) = cells
    per_step_e, per_step_c = config.batch_size / rate_e, config.batch_size / rate_c
    extra = (wall_c - per_step_c * steps) - (wall_e - per_step_e * steps)  # compile's one-off cost
    saving = per_step_e - per_step_c
    total_steps = math.ceil(n_train / config.batch_size) * config.epochs
    if saving <= 0:
        break_even, verdict = "never", "eager"
    else:
        break_even = f"{max(0.0, extra) / saving:,.0f}"
        verdict = "compile" if max(0.0, extra) / saving < total_steps else "eager"
    return [name, f"{rate_e:,.0f}", f"{rate_c:,.0f}", f"{rate_c / rate_e:.2f}x", f"{wall_e:.1f}", f"{wall_c:.1f}",
            break_even, f"{total_steps:,}", verdict]


def render(report: PerfReport) -> str:
    """The report as markdown: header, augmentation table, trainer table, time-to-accuracy."""
    lines = ["# augbench perf", ""] + [f"- {h}" for h in report.header] + [""]
    lines += ["## Classic augmentation throughput", ""]
    classic = [r for r in report.augmentation if r.method == "classic"]
    policies = [r for r in report.augmentation if r.method != "classic"]
    lines += [_throughput_table(report, classic, with_method=False), ""]
    lines.append("Each pipeline turns stored uint8 images into a shuffled, augmented float batch on the device: "
                 "(a) gathers from the device-resident split and calls `classic` through the method registry; "
                 "(b) is torchvision v2 RandomCrop(padding) (+ RandomHorizontalFlip where the task flips) on each "
                 "uint8 CHW tensor in DataLoader workers (persistent, pin_memory on CUDA, same batch size), "
                 "then copied to the device and made float there; (c) Kornia's AugmentationSequential on the "
                 "device-resident float batch.")
    if report.bandwidth is not None:
        gbps, source = report.bandwidth
        lines.append(f"Bandwidth share: images/s x bytes per image / {gbps:,.0f} GB/s ({source}); bytes per image "
                     f"count the uint8 image read once and the float32 result written once "
                     f"({', '.join(f'{t}: {b} B' for t, b in report.bytes_per_image.items())}), the least any "
                     "pipeline must move; what a kernel rereads is not counted.")
    elif any(r for r in report.augmentation):
        lines.append("No bandwidth column: the device is a CPU (or a GPU of unknown peak: pass --peak-bandwidth).")
    lines += [f"- {n}" for n in report.notes]
    if policies:
        lines += ["", "## Per-sample policies: on-device vs torchvision v2 DataLoader", "",
                  _throughput_table(report, policies, with_method=True), "",
                  "(a) as above, through the method built with the profile's defaults (every sample draws its own "
                  "mixing weight, box, square, op and magnitude); (b) the same DataLoader with the torchvision v2 "
                  "transform a user would write: MixUp(alpha) or CutMix(alpha) on each loaded batch in the training "
                  "loop (one weight per batch, torchvision's recipe), RandomErasing(p=1, one square of the method's "
                  "side, value the training mean) for cutout, TrivialAugmentWide(), RandAugment(num_ops=N, "
                  "magnitude=M) with the method's N and M."]
    lines += ["", "## Trainer: eager vs torch.compile", ""]
    if report.train_rows:
        lines += [tabulate(report.train_rows, headers=["task", "eager samples/s", "compile samples/s", "speed-up",
                                                       "eager first + warm-up s", "compile first + warm-up s",
                                                       "break-even steps", "steps per cell", "faster per cell"],
                           tablefmt="github", disable_numparse=True), ""]
    lines += [report.train_note, "", "## Time to accuracy", ""]
    if report.tta_rows:
        lines += [tabulate(report.tta_rows, headers=["task", "target", "seconds", "epochs", "note"], tablefmt="github",
                           disable_numparse=True), ""]
    lines.append(report.tta_note)
    return "\n".join(lines) + "\n"


def _throughput_table(report: PerfReport, results: list[PipelineResult], with_method: bool) -> str:
    """Images/s per pipeline with the ratio to the (b) row of the same task and method (and the bandwidth share)."""
    headers = ["task", *(["method"] if with_method else []), "pipeline", "images/s", "vs (b)"]
    if report.bandwidth is not None:
        headers.append("share of peak bandwidth")
    baseline = {(r.task, r.method): r.images_per_s for r in results if r.pipeline.startswith("(b)")}
    body = []
    for r in results:
        row = [r.task, *([r.method] if with_method else []), r.pipeline, f"{r.images_per_s:,.0f}",
               f"{r.images_per_s / baseline[(r.task, r.method)]:.1f}x"]
        if report.bandwidth is not None:
            row.append(f"{100 * r.images_per_s * report.bytes_per_image[r.task] / (report.bandwidth[0] * 1e9):.2f}%")
        body.append(row)
    return tabulate(body, headers=headers, tablefmt="github", disable_numparse=True)


def _version(module: str) -> str | None:
    try:
        return __import__(module).__version__
    except ImportError:
        return None
