"""The run's device: choosing it, synchronising it before a clock is read, and its peak memory."""

from __future__ import annotations

import platform
import resource
import sys

import torch

from bench.errors import UsageError

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(choice: str) -> torch.device:
    """`auto` picks CUDA when available; asking for CUDA without one is a UsageError."""
    if choice not in DEVICE_CHOICES:
        raise UsageError(f"unknown device {choice!r}; valid devices: {', '.join(DEVICE_CHOICES)}")
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        raise UsageError("device 'cuda' requested but no CUDA device is available; valid here: auto, cpu")
    return torch.device(choice)


def synchronize(device: torch.device) -> None:
    """Wait for queued device work, so a clock read after it measures the work itself."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reset_peak_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_memory_mb(device: torch.device) -> float:
    """CUDA: peak bytes torch allocated since the last reset. CPU: the process's peak RSS (a lifetime high-water mark)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def device_name(device: torch.device) -> str:
    """The GPU's name, or the CPU model from /proc/cpuinfo (falling back to platform)."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return f"{line.split(':', 1)[1].strip()} x{torch.get_num_threads()} threads"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} x{torch.get_num_threads()} threads"
