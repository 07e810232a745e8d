"""Plan a sweep (validate everything, hash every cell) and execute it through an executor.

Planning does all checks that can fail on bad input before any cell runs, so a typo costs nothing and
touches nothing. Executing a cell never raises for a failure of the cell itself: it returns a row
with status `failed`, and the sweep goes on. Cells run where the executor puts them (this process by
default, see augbench/runner/executors.py) and come back as records; the driver is the only writer to the store.
"""

from __future__ import annotations

import collections
import concurrent.futures as futures
import dataclasses
import json
import math
import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from tqdm.auto import tqdm

from augbench.core.cache import cache_root, lock_wait_s
from augbench.config.cell import Cell, canonical_json
from augbench.core.device import peak_memory_mb, place_model, reset_peak_memory
from augbench.core.errors import DataError, UsageError
from augbench.core.policy import ExecutionPolicy, describe_policy, pin_threads, run_policy
from augbench.evaluation.accuracy import accuracy
from augbench.evaluation.generative_metrics import store_reference
from augbench.runner.executors import ExecutorConfig, InProcessExecutor, make_executor
from augbench.config.params import apply_overrides
from augbench.config.profiles import TrainConfig, get_profile
from augbench.core.provenance import REPO_ROOT, provenance, utc_now
from augbench.results.record import RunRecord
from augbench.evaluation.robustness import PROFILE_CONFIGS, RobustnessConfig, evaluate_robustness
from augbench.core.seeding import forked_rng, seed_everything
from augbench.results.store import Store
from augbench.runner.timing import measure_throughput
from augbench.training.trainer import train
from augbench.methods import METHODS
from augbench.methods.base import FitContext, Method
from augbench.methods.compose import is_composition, method_class, parts_of
from augbench.tasks import TASKS
from augbench.tasks.base import DataSource, Task
from augbench.tasks.verify import resolve_data_root

# torch.compile of the training forward, per device type, when --compile is auto. Measured on the 2-core
# CPU (torch 2.11, quick configs): compiling costs 14 s (MNIST) and 45 s (CIFAR-10) before the first step,
# plus a recompile for the last, smaller batch, while the whole quick training takes 9 s and 35 s:
# eager wins. On CUDA nothing has been measured in this repository yet, so eager stays the default
# until `augbench perf` (which times both on the device) shows compile paying over a full-profile run.
COMPILE_DEFAULT = {"cpu": False, "cuda": False}
COMPILE_CHOICES = ("auto", "on", "off")

TRAIN_OWNER = "train"  # --param train.KEY=VALUE overrides the training hyperparameters of every task
ROBUST_OWNER = "robust"  # --param robust.KEY=VALUE overrides how robustness is measured
WORD_ATTACK_KEYS = {"word_attack", "word_share"}  # robust.* keys that only the text tasks' cells read
WAVE_ATTACK_KEYS = {"wave_attack", "wave_db"}  # ... and only the audio task's
IDENTITY_FIELDS = {"run_id", "task", "method", "seed", "fraction", "profile", "method_params", "task_params",
                   "train_config", "eval_config", "data_variant", "data_checksum", "status", "error", "schema_version"}  # set by the driver, never by a metric


class RobustnessCheckFailed(RuntimeError):
    """A sanity check of the robustness evaluation failed: the cell's numbers cannot be trusted."""


@dataclass
class SweepSpec:
    """What the user asked for, as parsed by the CLI (names already expanded)."""

    tasks: list[str]
    methods: list[str]
    seeds: list[int]
    fractions: list[float]
    profile: str
    device: torch.device
    data_dir: str | None = None
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    download: bool = False
    compile: str = "auto"  # torch.compile the training forward: auto | on | off; a run option, not in the config hash


@dataclass
class PlannedCell:
    cell: Cell
    task: Task
    method_cls: type
    method_params: Any
    train_config: TrainConfig
    eval_config: RobustnessConfig
    source: DataSource
    compile: bool = False  # torch.compile the training forward (how the cell runs, not what it is)

    # A composition's class is made at run time (augbench/methods/compose.py) and cannot be pickled by reference: a cell sent
    # to a worker process carries its name instead, and the worker makes the same class again.
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if is_composition(getattr(state["method_cls"], "name", "") or ""):
            state["method_cls"] = ("composition", state["method_cls"].name)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if isinstance(state["method_cls"], tuple):
            state = {**state, "method_cls": method_class(state["method_cls"][1])}
        self.__dict__.update(state)


def parse_fractions(text: str) -> list[float]:
    """Comma-separated fractions, each in (0, 1]."""
    fractions = []
    for item in text.split(","):
        try:
            value = float(item)
        except ValueError:
            raise UsageError(f"bad fraction {item.strip()!r}: fractions are numbers in (0, 1], e.g. 0.1,1") from None
        if not 0 < value <= 1:
            raise UsageError(f"fraction {item.strip()} is outside (0, 1]; valid: numbers in (0, 1], e.g. 0.1,1")
        if value not in fractions:
            fractions.append(value)
    return fractions


def parse_seeds(text: str) -> list[int]:
    """`N` means seeds 0..N-1 (N >= 1); `a,b,c` lists seeds explicitly (each >= 0), and a trailing comma
    makes a list of one (`3,` is seed 3 alone)."""
    items = [s.strip() for s in text.split(",")]
    is_list = len(items) > 1
    if len(items) == 2 and items[1] == "":
        items = items[:1]
    try:
        values = [int(s) for s in items]
    except ValueError:
        raise UsageError(f"bad --seeds {text!r}: give a count N >= 1, or a list of seeds like 0,1,7 (one seed: 3,)") from None
    if not is_list:
        if values[0] < 1:
            raise UsageError(f"--seeds {values[0]} is invalid: the number of seeds must be >= 1 (seed {values[0]} alone: --seeds {values[0]},)")
        return list(range(values[0]))
    if any(v < 0 for v in values):
        raise UsageError(f"bad --seeds {text!r}: seeds must be >= 0")
    return list(dict.fromkeys(values))


def check_override_owners(overrides: dict[str, dict[str, str]]) -> None:
    valid = [TRAIN_OWNER, ROBUST_OWNER, *TASKS.list(), *METHODS.list()]
    for owner in overrides:
        if owner not in valid:
            raise UsageError(f"unknown --param owner {owner!r}; valid owners: {', '.join(valid)}")


def check_owners_in_run(spec: SweepSpec) -> None:
    """Refuse an override of a method or task that no planned cell uses: it would change nothing, and a
    user who wrote it believes it did (a typo in --methods, or a forgotten --tasks)."""
    parts = [part for name in spec.methods for part in parts_of(name)]  # a composition's parts take their own --param
    in_run = [TRAIN_OWNER, ROBUST_OWNER, *spec.tasks, *dict.fromkeys(parts)]
    for owner, keys in spec.overrides.items():
        if owner not in in_run:
            kind = "method" if owner in METHODS else "task"
            raise UsageError(f"--param {owner}.{next(iter(keys), '')} is for {kind} {owner!r}, which is in no planned "
                             f"cell; owners in this run: {', '.join(in_run)}")


def param_owners() -> dict[str, type]:
    """{owner: its parameter dataclass} for every `--param` owner, in the order errors list them."""
    owners: dict[str, type] = {TRAIN_OWNER: TrainConfig, ROBUST_OWNER: RobustnessConfig}
    owners.update({name: TASKS.get(name).Params for name in TASKS.list()})
    # a folder's task takes `--param KIND:STEM.key=...`; listed once per kind
    owners.update({f"{scheme.prefix}:STEM": TASKS.get(f"{scheme.prefix}:any").Params for scheme in TASKS.schemes()})
    owners.update({name: METHODS.get(name).Params for name in METHODS.list()})
    return owners


def resolve_compile(choice: str, device: torch.device) -> bool:
    """Whether to torch.compile the training forward: `auto` takes the measured default of the device type."""
    if choice not in COMPILE_CHOICES:
        raise UsageError(f"unknown --compile {choice!r}; valid: {', '.join(COMPILE_CHOICES)}")
    return COMPILE_DEFAULT.get(device.type, False) if choice == "auto" else choice == "on"


def skipped_pairs(spec: SweepSpec) -> list[str]:
    """The (method x task) pairs of the spec that `plan` leaves out because the method has no meaning on
    the task's modality, as "method x task (modality)"."""
    pairs = []
    for method_name in spec.methods:
        method_cls = method_class(method_name)
        for task_name in spec.tasks:
            task_cls = TASKS.get(task_name)
            if not method_cls.applies_to(task_cls):
                pairs.append(f"{method_name} x {task_name} ({task_cls.modality})")
    return pairs


def method_params(method_name: str, profile: str, task: Task, overrides: dict[str, dict[str, str]]) -> Any:
    """The parameters a cell of `method_name` runs with: the profile's defaults, the `--param` overrides, then what
    follows from them (`Method.complete_params`); a composition's are {part: that part's parameters}."""
    def one(name: str) -> Any:
        cls = METHODS.get(name)
        raw = overrides.get(name, {})
        params = apply_overrides(cls.Params, raw, name, cls.default_params(profile, task))
        return cls.complete_params(params, profile, set(raw), task)

    if is_composition(method_name):
        return {part: one(part) for part in method_class(method_name).parts}
    return one(method_name)


def robustness_config(profile: str, task: Task, overrides: dict[str, str]) -> RobustnessConfig:
    """How a cell of `task` is attacked and corrupted: the profile's settings, then the task's own for the profile
    (`Task.robust_defaults`: AutoAttack and the corruption benchmark on images), then the `--param robust.*`
    overrides, so one flag turns either back."""
    defaults = apply_overrides(RobustnessConfig, dict(task.robust_defaults.get(profile, {})), ROBUST_OWNER,
                               PROFILE_CONFIGS[profile])
    return apply_overrides(RobustnessConfig, overrides, ROBUST_OWNER, defaults)


def plan(spec: SweepSpec) -> list[PlannedCell]:
    """Every cell of the sweep, validated and hashed; raises UsageError before anything runs."""
    get_profile(spec.profile)
    compile_model = resolve_compile(spec.compile, spec.device)
    check_override_owners(spec.overrides)
    check_owners_in_run(spec)
    root = resolve_data_root(spec.data_dir)
    robust_overrides = spec.overrides.get(ROBUST_OWNER, {})
    apply_overrides(RobustnessConfig, robust_overrides, ROBUST_OWNER, PROFILE_CONFIGS[spec.profile])  # bad keys fail first
    planned: list[PlannedCell] = []
    applicable = {m: [t for t in spec.tasks if method_class(m).applies_to(TASKS.get(t))] for m in spec.methods}
    for name in spec.methods:  # a composition is written out by hand: one whose part cannot apply is a mistake
        missed = [t for t in spec.tasks if t not in applicable[name]] if is_composition(name) else []
        if missed:
            part = next(p for p in parts_of(name) if not METHODS.get(p).applies_to(TASKS.get(missed[0])))
            raise UsageError(f"composition {name} cannot run on task {missed[0]}: its part {part} applies to "
                             f"{METHODS.get(part).scope()}")
    if spec.methods and spec.tasks and not any(applicable.values()):  # `--methods all` skips the pairs, never errs
        needs = "; ".join(f"{m}: {method_class(m).scope()}" for m in spec.methods)
        raise UsageError(f"no method of {', '.join(spec.methods)} applies to the tasks {', '.join(spec.tasks)} "
                         f"(where each applies: {needs})")
    word_keys = sorted(set(spec.overrides.get(ROBUST_OWNER, {})) & WORD_ATTACK_KEYS)
    text_tasks = [t for t in TASKS.list() if getattr(TASKS.get(t), "raw_kind", None) == "text"]
    if word_keys and not any(t in text_tasks for t in spec.tasks):  # it would change nothing in this run
        raise UsageError(f"--param robust.{word_keys[0]} applies to the text tasks ({', '.join(text_tasks)}), and this "
                         f"run has none (tasks: {', '.join(spec.tasks)})")
    wave_keys = sorted(set(spec.overrides.get(ROBUST_OWNER, {})) & WAVE_ATTACK_KEYS)
    audio_tasks = [t for t in TASKS.list() if getattr(TASKS.get(t), "raw_kind", None) == "waveform"]
    if wave_keys and not any(t in audio_tasks for t in spec.tasks):
        raise UsageError(f"--param robust.{wave_keys[0]} applies to the audio tasks ({', '.join(audio_tasks)}), and this "
                         f"run has none (tasks: {', '.join(spec.tasks)})")
    for task_name in spec.tasks:
        task_cls = TASKS.get(task_name)
        task = task_cls(apply_overrides(task_cls.Params, spec.overrides.get(task_name, {}), task_name))
        eval_config = robustness_config(spec.profile, task, robust_overrides)
        if eval_config.eps is not None and task.input_range is not None and eval_config.eps > task.input_range[1] - task.input_range[0]:
            low, high = task.input_range
            raise UsageError(f"robust.eps={eval_config.eps} is invalid for task {task_name}: its inputs lie in [{low:g}, {high:g}], "
                             f"so eps must be at most {high - low:g} (its standard radius is {task.attack_eps:.3g})")
        if spec.download:
            task.fetch(root)
        source = task.source(root)
        config = apply_overrides(TrainConfig, spec.overrides.get(TRAIN_OWNER, {}), TRAIN_OWNER, task.train_config(spec.profile))
        if config.extra_real > 0:  # too few real examples left is a planning error, not a failed cell
            for fraction in spec.fractions:
                task.train_size(source, fraction, config)
        for method_name in spec.methods:
            if task_name not in applicable[method_name]:
                continue  # e.g. CutMix on feature vectors: listed by `skipped_pairs`
            method_cls = method_class(method_name)
            params = method_params(method_name, spec.profile, task, spec.overrides)
            try:
                method = method_cls(params, task, 0)
                resolved = method.resolved_params()
            except ValueError as exc:
                raise UsageError(f"method {method_name} on task {task_name}: {exc}") from None
            for fraction in spec.fractions:
                if method_cls.size_dependent:  # e.g. EDA's settings per training-set size: the row shows them
                    resolved = method.resolved_params_for(task.train_size(source, fraction, config))
                for seed in spec.seeds:
                    cell = Cell(
                        task=task_name, method=method_name, seed=seed, fraction=fraction, profile=spec.profile,
                        method_params=resolved, task_params=task.params_dict(), train_config=config.identity(),
                        eval_config=eval_config.identity_for(task),
                        data_variant=source.variant, data_checksum=source.checksum,
                    )
                    planned.append(PlannedCell(cell, task, method_cls, params, config, eval_config, source, compile_model))
    return planned


def with_plugins(library_versions: str | None, method: str, task: str) -> str | None:
    """The row's `library_versions` JSON plus the plugins its method (each part of a composition) and task came
    from, so a number made by code from outside the project names that code and its version."""
    from augbench.runner.plugins import plugin_versions
    from augbench.methods import METHODS
    from augbench.tasks import TASKS

    found = plugin_versions((METHODS, method), (TASKS, task))
    if not found:
        return library_versions
    merged = json.loads(library_versions) if library_versions else {}
    merged.update(found)
    return json.dumps(merged, sort_keys=True)


def run_cell(planned: PlannedCell, device: torch.device, progress: bool | None = None) -> RunRecord:
    """Run one cell end to end and return its row; a failure becomes a row with status `failed`."""
    cell = planned.cell
    record = RunRecord(
        run_id=cell.run_id, task=cell.task, method=cell.method, seed=cell.seed, fraction=cell.fraction,
        profile=cell.profile, method_params=canonical_json(cell.method_params),
        task_params=canonical_json(cell.task_params), train_config=canonical_json(cell.train_config),
        eval_config=canonical_json(cell.eval_config),
        data_variant=cell.data_variant, data_checksum=cell.data_checksum, status="failed",
        started_at=utc_now(), **provenance(device),
    )
    if planned.compile:  # the schema has no field for it; the device name carries it into every report
        record.device_name = f"{record.device_name} (torch.compile)"
    record.library_versions = with_plugins(record.library_versions, cell.method, cell.task)
    start, waited = time.perf_counter(), lock_wait_s()
    try:
        _execute(planned, record, device, progress)
        record.status = "ok"
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # the cell failed; its row says why and the sweep goes on
        frames = traceback.extract_tb(exc.__traceback__)
        where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
        record.error = f"{type(exc).__name__}: {exc}{where}"
    # Time spent waiting for another cell to fit a shared generator or reference is that cell's cost, not this one's.
    record.total_s = time.perf_counter() - start - (lock_wait_s() - waited)
    record.finished_at = utc_now()
    return record


def _execute(planned: PlannedCell, record: RunRecord, device: torch.device, progress: bool | None) -> None:
    cell, task, config = planned.cell, planned.task, planned.train_config
    reset_peak_memory(device)
    data = task.load(planned.source, cell.fraction, cell.seed, config, device)
    record.n_train, record.n_test = len(data.train), len(data.test)

    seed_everything(cell.seed)
    model = place_model(task.classifier(config), device, image_input=len(task.input_shape) == 3)
    method: Method = planned.method_cls(planned.method_params, task, cell.seed)
    views = method.train_views(len(data.train))
    if views is not None:  # train.x becomes [N, 1 + K, ...]: augmented copies of the raw training items
        with forked_rng(device):  # building them must not move the stream that training draws from
            data = task.with_train_views(planned.source, data, views, cell.seed, device)

    front_end = None
    if method.raw_train:  # train.x becomes the raw items; the method gets the featurizer that maps them to inputs
        data, front_end = task.with_raw_train(planned.source, data, device)
    context = FitContext(cell=cell.identity(), profile=cell.profile, device=device, cache_dir=cache_root(),
                         progress=progress, val=data.val, input_space=task.reference_identity(data),
                         pool=lambda: task.generator_pool(planned.source, data, device), front_end=front_end)
    fit_start = time.perf_counter()
    # Whatever fitting draws from the global RNG (a generator's dropout, absent on a cache hit) must not
    # move the cell's stream: else a resumed sweep's cells differ from an uninterrupted sweep's.
    with forked_rng(device):
        method.fit(data.train, context)
    record.gen_fit_s = time.perf_counter() - fit_start
    if data.train_views_s is not None:  # the views are what such a method makes before training: reported as a
        # generator's fit is, with the time stored beside them, so a row does not depend on what ran before
        record.gen_fit_s, record.gen_cache_hit = data.train_views_s, data.train_views_cache_hit
    fitted = method.generator_fit()
    if fitted is not None:  # the generator's own fit time, so a cache hit reports the cost of what it reuses
        record.gen_fit_s, record.gen_cache_hit = fitted.fit_s, fitted.cache_hit

    curve: list[float | None] = []

    def after_epoch(epoch: int) -> bool:
        stop = method.end_epoch(model, epoch)  # a guard may have rolled the weights back: judge what is kept
        measured = stop or validation_epoch(epoch, config.epochs)
        curve.append(accuracy(model, task, data.val, config.eval_batch_size, config.amp) if measured else None)
        return stop

    stats = train(model, task, data.train, method, config, cell.seed, progress, compile_model=planned.compile,
                  on_epoch_end=after_epoch if data.val is not None and len(data.val) else None)
    record.train_s, record.train_throughput = stats.train_s, stats.train_throughput
    # The `none` cell of seed 0 on the whole pool trains the very network FID(task) judges with: keep it.
    store_reference(model, task, cell, config, data, planned.compile, context.cache_dir)
    record.timing_warmup_steps = stats.warmup_steps
    if curve:
        record.val_acc, record.val_curve, record.converged = curve[-1], json.dumps(curve), converged(curve)

    eval_start, waited = time.perf_counter(), lock_wait_s()
    record.clean_acc = accuracy(model, task, data.test, config.eval_batch_size, config.amp)
    raw = task.raw_test_inputs(planned.source, data) if planned.eval_config.raw_attack_applies(task) else None
    if planned.eval_config.raw_attack_applies(task) and raw is None:  # a row must not quietly lack its robust_acc
        raise RuntimeError(f"task {task.name}: its attacks on real inputs need the raw test items and the featurizer")
    robustness = evaluate_robustness(model, task, data.test, planned.eval_config, raw)
    set_metrics(record, robustness.metrics, source="robustness evaluation")
    with forked_rng(device):
        set_metrics(record, method.evaluate(model, data, context), source=cell.method)
    record.eval_s = time.perf_counter() - eval_start - (lock_wait_s() - waited)  # another cell's reference fit

    # Timed after training, on a real batch, so the measurement cannot change what the model learned.
    batch = min(config.batch_size, len(data.train))
    x, y = task.prepare(data.train.x[:batch]), data.train.y[:batch]
    timing = measure_throughput(method.timed_call(x, y, model), batch, device)
    record.aug_throughput, record.aug_timing_iters = timing.samples_per_s, timing.timed_calls
    record.peak_mem_mb = peak_memory_mb(device)
    if robustness.problems:  # the metrics stay in the row, for diagnosis
        raise RobustnessCheckFailed("; ".join(robustness.problems))


# Validation accuracy is measured after every epoch of the last quarter of training (what `converged` judges)
# and after every VAL_STRIDE-th epoch before it (and the first), which is enough to draw a learning curve.
# Every epoch cost a quarter of a CIFAR-10 cell's training time (a ResNet-9 pass over 500 images after each
# of 40 epochs: 7.0 s of 25.3 s for the two quick sizes, measured); this schedule halves that.
VAL_STRIDE = 4
CONVERGENCE_WINDOW = 0.25  # share of the epochs, at the end, over which `converged` judges the curve


def convergence_window(epochs: int, window_share: float = CONVERGENCE_WINDOW) -> int:
    """How many final epochs `converged` judges: a `window_share` of them, at least 2."""
    return max(2, math.ceil(window_share * epochs))


def validation_epoch(epoch: int, epochs: int) -> bool:
    """Whether validation accuracy is measured after `epoch` (1-based) of `epochs`: the first epoch, every
    VAL_STRIDE-th, and each of the convergence window at the end (the rest of the curve is null)."""
    return epoch == 1 or epoch % VAL_STRIDE == 0 or epoch > epochs - convergence_window(epochs)


def converged(curve: list[float | None], window_share: float = CONVERGENCE_WINDOW, tolerance: float = 0.01) -> bool | None:
    """True when the validation accuracy over the last quarter of the epochs (at least 2 of them) moves
    less than 1 point; None when fewer than 2 of those epochs were measured. Unmeasured epochs (None,
    see `validation_epoch`; a run stopped early by a guard can end in its stride) are left out of the fit.

    "Moves" is the trend, not the jitter: the least-squares line through the window's accuracies must
    rise or fall by less than `tolerance` from the window's first epoch to its last. A range (max - min)
    would judge the noise of the validation set instead of the training: on CIFAR-10's 500 validation
    images one image is 0.2 points, and a curve flat to the eye (50.2-51.4% over its last 11 epochs)
    spans 1.2 points. A late collapse or a climb still tilts the line and fails.
    """
    if len(curve) < 2:
        return None
    size = convergence_window(len(curve), window_share)
    window = np.asarray([np.nan if v is None else v for v in curve[-size:]], dtype=np.float64)
    epochs = np.arange(size, dtype=np.float64)
    measured = ~np.isnan(window)
    if measured.sum() < 2:
        return None
    slope = np.polyfit(epochs[measured], window[measured], 1)[0]
    return bool(abs(slope) * (size - 1) < tolerance - 1e-9)


def failure_record(planned: PlannedCell, device: torch.device, error: str) -> RunRecord:
    """The `failed` row of a cell that never returned its own (its worker or job died); the driver writes it.

    Provenance is the driver's, without touching the device (a cluster's login node may have no GPU).
    """
    cell = planned.cell
    fields = provenance(torch.device("cpu"))
    fields.update(device=device.type, device_name=None if device.type != "cpu" else fields["device_name"])
    return RunRecord(
        run_id=cell.run_id, task=cell.task, method=cell.method, seed=cell.seed, fraction=cell.fraction,
        profile=cell.profile, method_params=canonical_json(cell.method_params),
        task_params=canonical_json(cell.task_params), train_config=canonical_json(cell.train_config),
        eval_config=canonical_json(cell.eval_config), data_variant=cell.data_variant,
        data_checksum=cell.data_checksum, status="failed", error=error, started_at=utc_now(),
        finished_at=utc_now(), **fields,
    )


@dataclass
class CellJob:
    """What a worker needs to run some cells: everything is plain data, picklable to another machine."""

    cells: list[PlannedCell]
    device: torch.device
    progress: bool | None = None
    remote: bool = False  # in another process: re-verify the data there and use the driver's cache folder
    cache_dir: str | None = None  # the driver's cache root, absolute (generators fitted once, shared)
    threads: int | None = None  # CPU threads for torch in the worker (None: torch's default)


def run_job(job: CellJob) -> list[RunRecord]:
    """Run the job's cells one after another and return their rows (the worker side of every executor)."""
    if job.remote and job.cache_dir:
        os.environ["AUGBENCH_CACHE"] = job.cache_dir
    if job.threads:
        pin_threads(job.threads)
    records = []
    for planned in job.cells:
        if job.remote:
            problem = _check_worker_data(planned)
            if problem:
                records.append(failure_record(planned, job.device, problem))
                continue
            planned.task.preload(planned.source)  # a worker's first cell of a task decodes it: not in the cell's times
        records.append(run_cell(planned, job.device, job.progress))
    return records


def _check_worker_data(planned: PlannedCell) -> str | None:
    """A worker on another machine reads its own copy of the data: it must be the one the driver verified."""
    root = planned.source.files.root
    try:
        source = planned.task.source(root)
    except DataError as exc:
        return f"DataError on the worker: {exc}"
    if source.checksum != planned.source.checksum:
        return (f"DataError on the worker: the data under {root} has checksum {source.checksum[:12]}, "
                f"the driver planned with {planned.source.checksum[:12]}")
    return None


def set_metrics(record: RunRecord, metrics: dict[str, Any], source: str) -> None:
    """Copy metrics into the record; a name that is not a record field is a bug in `source`."""
    for name, value in metrics.items():
        if not hasattr(record, name) or name in IDENTITY_FIELDS:
            raise RuntimeError(f"{source} returned {name!r}, which is not a metric field of the run record")
        setattr(record, name, value)


@dataclass
class SweepResult:
    planned: int
    skipped: int  # already stored when the sweep started, or stored by another sweep while it ran
    ran: int
    failed: list[RunRecord]
    wall_s: float = 0.0  # wall-clock seconds of the whole sweep, planning included


def run_sweep(
    spec: SweepSpec,
    store: Store,
    force: bool = False,
    progress: bool | None = None,
    echo: Callable[[str], None] = tqdm.write,
    executor: ExecutorConfig | None = None,
    planned: list[PlannedCell] | None = None,
    started: float | None = None,
    policy: ExecutionPolicy | None = None,
) -> SweepResult:
    """Plan, print the plan, then run each cell not already in the store (all of them with `force`)
    through `executor` (default: in this process, one cell after another), storing each row as it returns.

    A caller that must validate before it opens the store (the CLI: bad input creates no store file)
    passes its `planned = plan(spec)` and the `started = time.perf_counter()` it took before planning,
    so the sweep is not planned twice and `wall_s` still includes the planning.

    `policy` (augbench/core/policy.py; the CLI's `run_policy`) gives every cell its torch thread count and is
    stored in each row; without one the cells keep this process's thread count, and the rows say so.
    """
    start = time.perf_counter() if started is None else started
    config = executor or ExecutorConfig()
    cells = plan(spec) if planned is None else planned
    store.check_writable()
    done = set() if force else store.done_ids()
    todo = [p for p in cells if p.cell.run_id not in done]
    variants = sorted({f"{p.cell.task}: {p.source.variant} ({p.source.checksum[:12]})" for p in cells})
    echo(f"plan: {len(cells)} cells ({spec.profile} profile, device {spec.device.type}), "
         f"{len(cells) - len(todo)} already in {store.path}, {len(todo)} to run")
    echo("data: " + "; ".join(variants))
    skipped = skipped_pairs(spec)
    if skipped:
        echo(f"not applicable, skipped: {', '.join(skipped)}")
    if policy is None:
        policy = run_policy(spec.profile, spec.device.type, threads=torch.get_num_threads(), workers=1)
    if config.name == "local" and len(todo) < 2:  # one cell: no worker process to start (the digits do not change)
        config = dataclasses.replace(config, workers=1)
    threads = policy.threads if spec.device.type == "cpu" else None
    pool = make_executor(config, spec.device, REPO_ROOT, threads) if todo else InProcessExecutor()
    if todo and (config.name != "local" or not isinstance(pool, InProcessExecutor)):
        echo(f"executor: {_describe(config, pool)}")
    at_once = (pool.window // 2 if isinstance(pool.window, int) and not isinstance(pool, InProcessExecutor)
               else 1) if config.name == "local" else policy.cells_at_once
    policy = dataclasses.replace(policy, cells_at_once=at_once, threads=getattr(pool, "threads", None) or policy.threads)
    if todo:
        echo(describe_policy(policy))
    policy_json = policy.to_json()
    if isinstance(pool, InProcessExecutor):
        for planned in {id(p.task): p for p in todo}.values():
            planned.task.preload(planned.source)
    failed: list[RunRecord] = []
    ran = 0
    bar = tqdm(total=len(todo), desc="cells", unit="cell", disable=None if progress is None else not progress)
    interrupted = True
    try:
        for planned, record in _execute_cells(todo, pool, spec, store, force, progress):
            record.exec_policy = policy_json
            store.put(record)
            ran += 1
            bar.update()
            if record.status == "ok":
                val = f"val_acc={record.val_acc:.4f} " if record.val_acc is not None else ""
                echo(f"  ok      {planned.cell.label()}: {val}clean_acc={record.clean_acc:.4f} "
                     f"train {record.train_s:.1f}s total {record.total_s:.1f}s")
            else:
                failed.append(record)
                echo(f"  FAILED  {planned.cell.label()}: {record.error}")
        interrupted = False
    finally:
        bar.close()
        pool.shutdown(wait=not interrupted, cancel_futures=interrupted)
    return SweepResult(len(cells), len(cells) - ran, ran, failed, time.perf_counter() - start)


def _describe(config: ExecutorConfig, pool: futures.Executor) -> str:
    if config.name == "submitit":
        where = "Slurm job array" if pool.cluster == "slurm" else f"local subprocesses, {pool.window} at a time (no Slurm found)"
        return f"submitit ({where}), {pool.cells_per_job} cell(s) per job"
    if config.name == "ray":
        return f"ray, {pool.cells_per_job} cell(s) per task"
    return f"local, {pool.window // 2} worker processes"


def _execute_cells(todo: list[PlannedCell], pool: futures.Executor, spec: SweepSpec, store: Store, force: bool,
                   progress: bool | None):
    """Yield (planned cell, record) as the executor returns them.

    With a window, at most `pool.window` jobs are in flight and each cell is checked against the store
    just before it is submitted, so a cell another sweep has stored meanwhile is not run twice.
    Without one, every job is submitted at once (a cluster's job array). A job that dies without
    returning its records (a killed worker, a cluster failure) yields `failed` rows for its cells.
    """
    remote = not isinstance(pool, InProcessExecutor)
    cache_dir = str(cache_root().resolve())

    threads = getattr(pool, "threads", None)

    def job(cells: list[PlannedCell]) -> CellJob:
        return CellJob(cells, spec.device, None if remote else progress, remote, cache_dir if remote else None, threads)

    size = max(1, pool.cells_per_job)
    queue = collections.deque(todo[i:i + size] for i in range(0, len(todo), size))
    pending: dict[futures.Future, list[PlannedCell]] = {}
    if pool.window is None and queue:
        chunks = list(queue)
        queue.clear()
        pending.update(zip(pool.submit_batch(run_job, [job(c) for c in chunks]), chunks))
    while queue or pending:
        while queue and len(pending) < (pool.window or 1):
            chunk = queue.popleft()
            if not force:
                chunk = [p for p in chunk if not store.is_done(p.cell.run_id)]
            if chunk:
                pending[pool.submit(run_job, job(chunk))] = chunk
        if not pending:
            break
        finished, _ = futures.wait(pending, return_when=futures.FIRST_COMPLETED)
        for future in finished:
            chunk = pending.pop(future)
            try:
                records = future.result()
            except Exception as exc:  # the job died: its cells get failed rows and are retried by the next run
                error = f"{type(exc).__name__}: {' '.join(str(exc).split())[:2000]}"
                records = [failure_record(p, spec.device, f"job failed: {error}") for p in chunk]
            yield from zip(chunk, records)
