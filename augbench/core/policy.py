"""The execution policy: which CPU kernels compute a cell, how many threads one cell uses, and how many cells
run at once. The first two decide a result's last digits; the third only how long the sweep takes.

Why pin kernels: torch, oneDNN, MKL and OpenBLAS each pick their kernels by the instruction set of the CPU they
find, and different kernels sum in different orders. A cell run on a 2-core EPYC with AVX-512 and the same cell
on one without differed in every one of 64 cells (issue 33). Measured on the AVX-512 kind against rows made on
the AVX2 kind (../shared/evidence/avx2-epyc-2026-12-07), one cell changed at a time (docs/compare.md,
"Execution policy"):

- ATEN_CPU_CAPABILITY (torch's own vectorised kernels) and ONEDNN_MAX_CPU_ISA (oneDNN's convolutions) each change
  the MNIST CNN's digits; with both at AVX2, all five MNIST CI cells (vae's FID and CAS included) and the TREC
  cell equal the AVX2 machine's rows to the last digit;
- OPENBLAS_CORETYPE (numpy's and scipy's BLAS) and MKL_CBWR (torch's MKL BLAS) changed nothing in those cells;
  they are pinned all the same, so an Intel CPU (where MKL picks AVX-512 kernels) or a numpy-heavy featurizer
  cannot bring the digits back to the machine.

AVX2 is the newest instruction set every machine the project has met supports; a machine with AVX-512 runs
slower under the pin (the reference network: 1,079 against 1,479 images/s, two cells at once on the
AVX-512 kind), the machine kind the budget is held on (AVX2) not at all.

One thread per cell on CPU: the thread count changes a result's digits (a reduction split over two threads
sums in another order), so a fixed count makes the digits independent of how many cores a machine has, and
two one-thread cells at once train faster than one two-thread cell (1.6x on the AVX2 kind, 1.2x on the
AVX-512 kind, with the pinned kernels), since two threads of one cell spend a quarter of their time in the
kernel synchronising.

The pins are environment variables read when the libraries load (OpenBLAS) or first compute (ATen, oneDNN),
so `apply_kernel_policy` runs from `augbench/__init__.py`, before anything in augbench imports numpy or torch;
`AUGBENCH_KERNELS=native` leaves the caller's environment as it is (each library's own choice). This module
imports neither numpy nor torch at its top.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from typing import Any, MutableMapping

from augbench.core.errors import UsageError

KERNELS_ENV = "AUGBENCH_KERNELS"
KERNEL_MODES = {
    "avx2": "pinned to AVX2 kernels in torch (ATen), oneDNN, MKL and OpenBLAS: the same digits on every x86-64 "
            "machine with AVX2 (default)",
    "native": "each library picks kernels for this CPU (faster where AVX-512 is, other digits)",
}
DEFAULT_KERNELS = "avx2"
# The variables that pin each library's kernels, and the value each takes under `avx2`.
KERNEL_PINS = {
    "ATEN_CPU_CAPABILITY": "avx2",  # torch's vectorised CPU kernels (read at the first dispatch)
    "ONEDNN_MAX_CPU_ISA": "AVX2",  # oneDNN: convolutions, some matmuls (read at the first primitive)
    "MKL_CBWR": "AVX2",  # MKL's conditional numerical reproducibility: torch's BLAS on x86
    "OPENBLAS_CORETYPE": "Haswell",  # numpy's and scipy's OpenBLAS (read when the library loads)
}
# Threads of the libraries that start their own pools (torch's is also set by torch.set_num_threads).
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
CPU_THREADS_PER_CELL = 1


@dataclass(frozen=True)
class ExecutionPolicy:
    """How the cells of a run execute. `threads` and `kernels` decide digits; `cells_at_once` only timings."""

    device: str  # cpu | cuda
    threads: int  # torch CPU threads per cell
    cells_at_once: int  # cells running at the same time on this machine (worker processes)
    kernels: str  # avx2 | native (KERNEL_MODES)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def digits_key(self) -> str:
        """What must be equal for two rows' digits to be comparable to the last digit (the device's name aside)."""
        return f"{self.device}, {self.threads} thread{'s' if self.threads != 1 else ''}, kernels {self.kernels}"


def kernel_mode(environ: MutableMapping[str, str] | None = None) -> str:
    """The kernel mode AUGBENCH_KERNELS asks for (default avx2); an unknown value is a UsageError."""
    env = os.environ if environ is None else environ
    mode = (env.get(KERNELS_ENV) or DEFAULT_KERNELS).strip().lower()
    if mode not in KERNEL_MODES:
        raise UsageError(f"unknown {KERNELS_ENV}={env.get(KERNELS_ENV)!r}; valid: {', '.join(KERNEL_MODES)}")
    return mode


def apply_kernel_policy(environ: MutableMapping[str, str] | None = None) -> str | None:
    """Set the kernel pins in `environ` (default: this process's, inherited by the workers it starts) and
    return the mode; under `native`, or with an unknown mode (the CLI reports it), nothing is set.

    The pins override what the caller's environment says: a stray ATEN_CPU_CAPABILITY in a shell profile must
    not change the numbers. Thread counts are not set here: the run sets them per profile (`run_policy`).
    """
    env = os.environ if environ is None else environ
    try:
        mode = kernel_mode(env)
    except UsageError:
        return None
    if mode == "avx2":
        env.update(KERNEL_PINS)
    return mode


def pin_threads(threads: int, environ: MutableMapping[str, str] | None = None) -> None:
    """Give this process (and the processes it starts) `threads` threads in torch, OpenMP, MKL and OpenBLAS."""
    env = os.environ if environ is None else environ
    for name in THREAD_VARS:
        env[name] = str(threads)
    import torch

    torch.set_num_threads(threads)
    try:  # numpy's OpenBLAS read its thread count when it loaded: tell it again
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
    except Exception:  # threadpoolctl missing: numpy keeps the count it started with
        pass


# Cells at once on CPU, per profile: `None` is as many as the cores allow at the policy's threads per cell. A smoke
# cell takes a second or two, less than a worker process takes to start and import torch, so tests run in-process.
CPU_CELLS_AT_ONCE = {"smoke": 1, "quick": None, "full": None}


def run_policy(profile: str, device_type: str, threads: int | None = None, workers: int | None = None,
               cores: int | None = None) -> ExecutionPolicy:
    """The policy of a run of `profile` on `device_type`: on CPU one thread per cell (or `threads`) and, but for
    the smoke profile, as many cells at once as the cores allow (or `workers`); on CUDA the device's own kernels,
    one cell per GPU (the executor's choice) and torch's thread default. Raises UsageError for a count below 1."""
    for flag, value in (("--threads", threads), ("--workers", workers)):
        if value is not None and value < 1:
            raise UsageError(f"{flag} {value} is invalid: it must be >= 1")
    cores = cores or os.cpu_count() or 1
    mode = kernel_mode()
    if device_type != "cpu":
        return ExecutionPolicy(device_type, threads or max(1, cores // (workers or 1)), workers or 1, mode)
    per_cell = threads or CPU_THREADS_PER_CELL
    at_once = workers or CPU_CELLS_AT_ONCE.get(profile) or max(1, cores // per_cell)
    return ExecutionPolicy("cpu", per_cell, at_once, mode)


def describe_policy(policy: ExecutionPolicy) -> str:
    """One line for the start of a run."""
    cells = f"{policy.cells_at_once} cell{'s' if policy.cells_at_once != 1 else ''} at once"
    return (f"policy: {policy.threads} thread{'s' if policy.threads != 1 else ''} per cell, {cells}, "
            f"kernels {policy.kernels} ({KERNELS_ENV}; docs/compare.md#execution-policy)")


def parse_policy(text: Any) -> dict[str, Any] | None:
    """A row's exec_policy JSON as a dict; None for a row stored before policies were recorded."""
    if text in (None, ""):
        return None
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def policy_digits_key(text: Any) -> str:
    """What a row's digits were computed under, for pairing: "cpu, 1 thread, kernels avx2", or "unrecorded"."""
    policy = parse_policy(text)
    if policy is None:
        return "unrecorded"
    try:
        return ExecutionPolicy(**{k: policy[k] for k in ("device", "threads", "cells_at_once", "kernels")}).digits_key()
    except (KeyError, TypeError):
        return "unrecorded"


def row_policy_keys(rows: Any) -> list[str]:
    """The digits key of each row of a table (a DataFrame, or any mapping with an `exec_policy` column); a table
    without the column (an export from before schema 7) is all "unrecorded"."""
    values = rows.get("exec_policy")
    return [policy_digits_key(v) for v in (values if values is not None else [None] * len(rows))]


def row_pairing_keys(rows: Any) -> list[str]:
    """What each row's digits were computed under, for pairing: its policy's digits key, or, for a row from before
    policies were recorded, its device name (which names its thread count and kernels)."""
    names = rows.get("device_name")
    names = list(names) if names is not None else [None] * len(rows)
    return [key if key != "unrecorded" else f"unrecorded ({name})" for key, name in zip(row_policy_keys(rows), names)]


def policy_lines(rows: Any) -> list[str]:
    """Lines for a report over `rows`: the row count under each policy's digits key and, when there are several,
    a warning that pairs may compare rows computed under different policies (the thread count alone moved clean
    accuracy by up to 0.59 points on one CI cell)."""
    counts: dict[str, int] = {}
    for key in row_policy_keys(rows):
        counts[key] = counts.get(key, 0) + 1
    if not counts:
        return []
    line = "execution policies: " + "; ".join(f"{key} ({n} row{'s' * (n != 1)})" for key, n in sorted(counts.items()))
    if len(counts) == 1:
        return [line]
    return [line, "MIXED POLICIES: some pairs compare rows computed under different thread counts or kernels, whose "
                  "last digits differ for that reason alone (docs/compare.md#execution-policy)"]
