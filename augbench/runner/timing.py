"""Throughput of one named phase: warm up first, synchronise the device, then read the clock."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import torch

from augbench.core.device import synchronize


@dataclass(frozen=True)
class Throughput:
    samples_per_s: float
    warmup_calls: int  # calls made before the clock started (lazy init, allocator, caches)
    timed_calls: int  # calls inside the timed window


def measure_throughput(
    fn: Callable[[], object],
    samples_per_call: int,
    device: torch.device,
    warmup_calls: int = 3,
    min_calls: int = 5,
    min_seconds: float = 0.25,
    max_calls: int = 1000,
) -> Throughput:
    """Samples per second of `fn` in steady state on `device`.

    Calls `fn` `warmup_calls` times untimed, then at least `min_calls` times and until `min_seconds`
    have passed (or `max_calls`), synchronising before each clock read.
    """
    for _ in range(warmup_calls):
        fn()
    synchronize(device)
    start = time.perf_counter()
    calls = 0
    while calls < min_calls or (time.perf_counter() - start < min_seconds and calls < max_calls):
        fn()
        calls += 1
        if calls >= min_calls:
            synchronize(device)
    synchronize(device)
    elapsed = time.perf_counter() - start
    return Throughput(samples_per_call * calls / elapsed, warmup_calls, calls)
