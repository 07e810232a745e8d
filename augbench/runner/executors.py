"""Where cells run: executors with the `concurrent.futures` interface (`submit` -> Future, `shutdown`).

`local` runs cells in this process, or in one worker process per visible GPU; `submitit` runs them as a
Slurm job array (as local subprocesses where there is no Slurm); `ray` on a Ray cluster. Workers only
compute and return run records: the driver is the only writer of the store. The optional backends are
imported lazily, so `python -m bench` works without them.
"""

from __future__ import annotations

import concurrent.futures as futures
import difflib
import importlib.util
import multiprocessing
import os
import re
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import torch

from augbench.core.errors import UsageError
from augbench.core.policy import pin_threads

EXECUTORS = {
    "local": "this machine: in-process, or --workers processes (default: one per visible GPU when there are several)",
    "submitit": "a Slurm job array through submitit (local subprocesses where there is no Slurm); extra augbench[slurm]",
    "ray": "tasks on a Ray cluster (--ray-address; a local one when not given); extra augbench[ray]",
}
EXTRAS = {"submitit": ("submitit", "slurm"), "ray": ("ray", "ray")}  # executor -> (module, pip extra)
DEFAULT_FOLDER = Path("results/executor")  # submitit's job scripts, pickles and logs (git-ignored)
# Jobs per Slurm array: Slurm's default MaxArraySize is 1001 (indices 0-1000); a bigger grid goes in several arrays.
SLURM_MAX_ARRAY = 1000

# Slurm partition names: letters, digits, '_', '-', '.'; several partitions are comma-separated.
_PARTITION = re.compile(r"[A-Za-z0-9_.\-]+(,[A-Za-z0-9_.\-]+)*")


@dataclass(frozen=True)
class ExecutorConfig:
    """How a sweep's cells are spread; from `augbench run --executor ...`. Not part of any config hash."""

    name: str = "local"  # local | submitit | ray
    workers: int | None = None  # local: worker processes (None: one per visible GPU when several, else in-process); submitit without Slurm: subprocesses at a time
    cells_per_job: int = 1  # cells run one after another in one job (amortises a job's start on a cluster)
    folder: str | None = None  # submitit: folder for job scripts, pickles and logs (None: results/executor)
    slurm_partition: str | None = None  # Slurm partition(s), comma-separated
    slurm_time_min: int = 120  # wall-clock limit of one job, minutes (also the local subprocesses' timeout)
    slurm_gpus: int | None = None  # GPUs per job (None: 1 when the device is cuda, else 0)
    slurm_cpus: int | None = None  # CPU cores per job (None: submitit's default)
    slurm_mem_gb: int | None = None  # memory per job, GB (None: the partition's default)
    slurm_array_parallelism: int | None = None  # array tasks running at once (None: submitit's default, 256)
    ray_address: str | None = None  # Ray cluster address (None: start a local Ray)

    @property
    def remote(self) -> bool:
        """Cells run in other processes that may be on other machines (the driver may have no GPU)."""
        return self.name != "local"


def check_executor(config: ExecutorConfig) -> None:
    """Raise UsageError for a bad executor choice or option, before the store or any cell is touched."""
    if config.name not in EXECUTORS:
        close = difflib.get_close_matches(config.name, list(EXECUTORS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(f"unknown executor {config.name!r}; valid executors: {', '.join(EXECUTORS)}{hint}")
    for name in ("workers", "cells_per_job", "slurm_time_min", "slurm_cpus", "slurm_mem_gb", "slurm_array_parallelism"):
        value = getattr(config, name)
        if value is not None and value < 1:
            flag = "--" + name.replace("_", "-").replace("slurm-time-min", "slurm-time")
            raise UsageError(f"{flag} {value} is invalid: it must be >= 1")
    if config.slurm_gpus is not None and config.slurm_gpus < 0:
        raise UsageError(f"--slurm-gpus {config.slurm_gpus} is invalid: it must be >= 0")
    slurm_flags = [f for f, given in (("--slurm-partition", config.slurm_partition is not None),
                                      ("--slurm-gpus", config.slurm_gpus is not None),
                                      ("--slurm-cpus", config.slurm_cpus is not None),
                                      ("--slurm-mem-gb", config.slurm_mem_gb is not None),
                                      ("--slurm-array-parallelism", config.slurm_array_parallelism is not None),
                                      ("--executor-folder", config.folder is not None)) if given]
    if slurm_flags and config.name != "submitit":
        raise UsageError(f"{slurm_flags[0]} needs --executor submitit (the executor is {config.name!r})")
    if config.ray_address is not None and config.name != "ray":
        raise UsageError(f"--ray-address needs --executor ray (the executor is {config.name!r})")
    if config.slurm_partition is not None and not _PARTITION.fullmatch(config.slurm_partition):
        raise UsageError(f"bad --slurm-partition {config.slurm_partition!r}: partition names are letters, digits, "
                         "'_', '-' and '.', several separated by commas (e.g. gpu or gpu,gpu-long)")
    if config.name in EXTRAS:
        module, extra = EXTRAS[config.name]
        if importlib.util.find_spec(module) is None:
            raise UsageError(f"executor {config.name!r} needs the {module} package, which is not installed: "
                             f"pip install 'augbench[{extra}]' (or pip install {module})")


class InProcessExecutor(futures.Executor):
    """Runs each call at `submit`, in this process: an exception lands in the future, while Ctrl-C
    (KeyboardInterrupt) and SystemExit stop the sweep at once, leaving no row for the cell they hit."""

    window = 1  # calls in flight at once
    cells_per_job = 1
    threads = None  # the process's own setting

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> futures.Future:
        future: futures.Future = futures.Future()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)
        return future


def _die_with_driver(driver: int) -> None:
    """Linux: have the kernel send this worker SIGTERM when the driver dies. Without it a driver killed
    mid-sweep (SIGKILL, or SIGTERM to it alone) left its workers running queued cells for minutes, taking
    the cores from whatever ran next; their rows had no writer anyway. A driver that died while this
    worker was still starting (before the request could be made) is caught by the parent check."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return  # best effort: a libc without prctl keeps the old behaviour
    if os.getppid() != driver:
        os.kill(os.getpid(), signal.SIGTERM)


def _init_pool_worker(gpus: Any, threads: int, driver: int) -> None:
    """Pin a fresh worker process to one GPU (taken from the queue of slots) and size its CPU threads;
    the worker ends with the driver (process id `driver`)."""
    _die_with_driver(driver)
    gpu = gpus.get() if gpus is not None else None
    if gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(gpu)  # before the worker's first CUDA call initialises CUDA
    pin_threads(threads)
    from augbench.runner.plugins import load_plugins

    load_plugins()  # the driver's plugins (entry points, AUGBENCH_INCLUDE), before any cell is unpickled


class PoolExecutor(futures.Executor):
    """`workers` spawned processes on this machine; on CUDA each is pinned to a visible GPU, round robin
    (one per GPU by default; more workers than GPUs share them)."""

    def __init__(self, workers: int, device: torch.device, threads: int | None = None) -> None:
        context = multiprocessing.get_context("spawn")  # CUDA cannot be used in forked children
        gpus = None
        if device.type == "cuda":
            visible = _visible_gpus()
            gpus = context.Queue()
            for slot in range(workers):
                gpus.put(visible[slot % len(visible)])
        threads = threads or max(1, (os.cpu_count() or 1) // workers)
        self._pool = futures.ProcessPoolExecutor(workers, mp_context=context, initializer=_init_pool_worker,
                                                 initargs=(gpus, threads, os.getpid()))
        self.window = 2 * workers  # keeps every worker busy while the driver stores a result
        self.cells_per_job = 1
        self.threads = threads  # set once per worker by the initializer, and again by each job

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> futures.Future:
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:  # interrupted: end the running cells too (their results would have no writer)
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.terminate()
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def _visible_gpus() -> list[int]:
    """Physical ids of the GPUs this process may use, as CUDA_VISIBLE_DEVICES orders them."""
    count = torch.cuda.device_count()
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible:
        ids = [v.strip() for v in visible.split(",") if v.strip()]
        if all(v.isdigit() for v in ids):
            return [int(v) for v in ids[:count]] or [0]
    return list(range(count)) or [0]


class _Poller:
    """A daemon thread that completes `concurrent.futures` Futures from handles polled with `done()`."""

    def __init__(self, interval_s: float) -> None:
        self._pending: list[tuple[Any, futures.Future, Callable[[Any], Any]]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._interval = interval_s
        self._thread = threading.Thread(target=self._run, name="augbench-poller", daemon=True)
        self._thread.start()

    def watch(self, handle: Any, result: Callable[[Any], Any]) -> futures.Future:
        future: futures.Future = futures.Future()
        future.set_running_or_notify_cancel()
        with self._lock:
            self._pending.append((handle, future, result))
        return future

    def pending(self) -> list[Any]:
        with self._lock:
            return [handle for handle, _, _ in self._pending]

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            with self._lock:
                items = list(self._pending)
            for item in items:
                handle, future, result = item
                try:
                    finished = handle.done()
                except Exception:  # a scheduler hiccup (sacct unavailable): ask again next round
                    continue
                if not finished:
                    continue
                try:
                    future.set_result(result(handle))
                except Exception as exc:
                    future.set_exception(exc)
                with self._lock:
                    self._pending.remove(item)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class SubmititExecutor(futures.Executor):
    """Cells as Slurm jobs through submitit's AutoExecutor; all of a sweep's jobs go in one job array.

    Where no Slurm is found, submitit runs each job as a local subprocess: then `workers` (default 1) run
    at a time, since submitit's local backend would start every job of an array at once.
    """

    def __init__(self, config: ExecutorConfig, device: torch.device, repo_root: Path) -> None:
        import submitit  # an optional extra: augbench[slurm]

        folder = Path(config.folder) if config.folder else DEFAULT_FOLDER
        self._executor = submitit.AutoExecutor(folder=folder / "%j")
        gpus = config.slurm_gpus if config.slurm_gpus is not None else int(device.type == "cuda")
        # Workers import this checkout's code, whatever their working directory.
        setup = [f"export PYTHONPATH={repo_root}${{PYTHONPATH:+:$PYTHONPATH}}"]
        parameters: dict[str, Any] = {"name": "augbench", "timeout_min": config.slurm_time_min, "gpus_per_node": gpus,
                                      "slurm_setup": setup, "local_setup": setup}
        if config.slurm_partition is not None:
            parameters["slurm_partition"] = config.slurm_partition
        if config.slurm_cpus is not None:
            parameters["cpus_per_task"] = config.slurm_cpus
        if config.slurm_mem_gb is not None:
            parameters["mem_gb"] = config.slurm_mem_gb
        if config.slurm_array_parallelism is not None:
            parameters["slurm_array_parallelism"] = config.slurm_array_parallelism
        self._executor.update_parameters(**parameters)
        self.cluster = self._executor.cluster  # "slurm", or "local" where no Slurm is
        self.window = None if self.cluster == "slurm" else (config.workers or 1)
        # Local subprocesses share this machine's cores: without a share each, their OpenMP threads
        # oversubscribe the cores (measured on 2 cores: a 0.5 s smoke cell took 37 s, two at a time).
        self.threads = config.slurm_cpus if self.cluster == "slurm" else max(1, (os.cpu_count() or 1) // self.window)
        self.cells_per_job = config.cells_per_job
        self._poller = _Poller(interval_s=0.5 if self.cluster != "slurm" else 15.0)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> futures.Future:
        job = self._executor.submit(fn, *args, **kwargs)
        return self._poller.watch(job, lambda j: j.result())

    def submit_batch(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[futures.Future]:
        """A job array of `fn(item)` for every item (Slurm's `--array`), split at SLURM_MAX_ARRAY jobs."""
        items = list(items)
        jobs = []
        for start in range(0, len(items), SLURM_MAX_ARRAY):
            with self._executor.batch():
                jobs += [self._executor.submit(fn, item) for item in items[start:start + SLURM_MAX_ARRAY]]
        return [self._poller.watch(job, lambda j: j.result()) for job in jobs]

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:  # interrupted: jobs left running would have nobody to store their rows
            for job in self._poller.pending():
                try:
                    job.cancel(check=False)
                except Exception:
                    pass
        self._poller.stop()


def _ray_call(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


class RayExecutor(futures.Executor):
    """Cells as Ray tasks, one GPU each on CUDA (one CPU each otherwise); `ObjectRef.future()` gives the Futures."""

    def __init__(self, config: ExecutorConfig, device: torch.device, repo_root: Path) -> None:
        import ray  # an optional extra: augbench[ray]

        path = os.pathsep.join(p for p in (str(repo_root), os.environ.get("PYTHONPATH")) if p)
        env = {"PYTHONPATH": path, **{k: v for k, v in os.environ.items() if k.startswith("AUGBENCH_")}}
        ray.init(address=config.ray_address, ignore_reinit_error=True, log_to_driver=False,
                 runtime_env={"env_vars": env})
        resources = {"num_gpus": 1} if device.type == "cuda" else {"num_cpus": 1}
        self._remote = ray.remote(**resources)(_ray_call)
        self._ray = ray
        self.window = None
        self.cells_per_job = config.cells_per_job
        self.threads = None if device.type == "cuda" else 1  # one CPU per task, as requested from Ray

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> futures.Future:
        if kwargs:
            raise TypeError("the ray executor passes positional arguments only")
        return self._remote.remote(fn, *args).future()

    def submit_batch(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[futures.Future]:
        return [self.submit(fn, item) for item in items]

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._ray.shutdown()


def make_executor(config: ExecutorConfig, device: torch.device, repo_root: Path,
                  threads: int | None = None) -> futures.Executor:
    """The executor `config` names, ready to take cells (`check_executor` has validated it); a local one gives
    each cell `threads` torch CPU threads (the execution policy's; None: the cores shared among the workers).

    Every executor has `window` (calls kept in flight; None: submit everything at once through
    `submit_batch`), `cells_per_job` and `threads` (torch CPU threads per worker; None: leave as is).
    """
    if config.name == "submitit":
        return SubmititExecutor(config, device, repo_root)
    if config.name == "ray":
        return RayExecutor(config, device, repo_root)
    workers = config.workers
    if workers is None:
        gpus = torch.cuda.device_count() if device.type == "cuda" else 0
        workers = gpus if gpus > 1 else 1
    if workers == 1:
        executor = InProcessExecutor()
        executor.threads = threads
        return executor
    return PoolExecutor(workers, device, threads)
