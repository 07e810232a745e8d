"""The run's device: choosing it, synchronising it before a clock is read, and its peak memory."""

from __future__ import annotations

import os
import platform
import resource
import sys

import torch

from augbench.core.errors import UsageError

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


def autocast(device: torch.device, enabled: bool) -> torch.autocast:
    """bf16 autocast on CUDA when `enabled`; a no-op context on CPU, where bf16 support varies by processor."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled and device.type == "cuda")


def place_model(model: torch.nn.Module, device: torch.device, image_input: bool) -> torch.nn.Module:
    """Move a fresh classifier to `device`; conv nets go channels-last.

    Measured on 2 CPU cores: channels-last trains the CIFAR-10 ResNet 25-35% and the MNIST CNN 40%
    faster, and evaluates both about twice as fast; the inputs need no conversion.
    """
    model = model.to(device)
    return model.to(memory_format=torch.channels_last) if image_input else model


def synchronize(device: torch.device) -> None:
    """Wait for queued device work, so a clock read after it measures the work itself."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reset_peak_memory(device: torch.device) -> None:
    """Start a new peak-memory window: torch's CUDA counters, or Linux's peak RSS (VmHWM) on CPU."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        return
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")  # 5 resets the process's peak RSS (Linux >= 4.0)
    except OSError:
        pass  # elsewhere the CPU peak stays a lifetime high-water mark


def peak_memory_mb(device: torch.device) -> float:
    """CUDA: peak MiB torch allocated since the reset. CPU: the process's peak RSS since the reset (Linux),
    else over its lifetime."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**10
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def device_name(device: torch.device) -> str:
    """The GPU's name; on CPU the model from /proc/cpuinfo (falling back to platform), the thread count and the
    kernels picked for it: all three decide the last digits of a result (the CI reference check demands
    identical numbers only where this string is the same)."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), model)
    except OSError:
        pass
    return f"{model} x{compute_identity()}"


def compute_identity() -> str:
    """What decides a CPU computation's last digits besides its inputs: torch's thread count and the kernels, e.g.
    "1 threads (torch AVX2, oneDNN AVX2, MKL AVX2, OpenBLAS Haswell)". Cache keys of fitted networks carry it, so a
    generator or reference classifier fitted under another thread count or kernels (an older cache, another
    policy) is refitted rather than loaded into a run whose rows would then differ from a fresh clone's."""
    return f"{torch.get_num_threads()} threads ({cpu_kernels()})"


def cpu_kernels() -> str:
    """The instruction sets the CPU kernels were chosen for, e.g. "torch AVX2, oneDNN AVX2, MKL AVX2, OpenBLAS
    Haswell" under the pinned policy (augbench/core/policy.py) or "torch AVX512, oneDNN native, MKL native, OpenBLAS
    SkylakeX" without it. torch and OpenBLAS report what they picked; oneDNN and MKL have no such call, so their
    part is the cap the environment set ("native": none, the library's own choice)."""
    parts = [f"torch {torch.backends.cpu.get_cpu_capability()}",
             f"oneDNN {os.environ.get('ONEDNN_MAX_CPU_ISA') or os.environ.get('DNNL_MAX_CPU_ISA') or 'native'}",
             f"MKL {os.environ.get('MKL_CBWR') or 'native'}"]
    try:
        from threadpoolctl import threadpool_info

        blas = sorted({i["architecture"] for i in threadpool_info() if i.get("internal_api") == "openblas" and i.get("architecture")})
        parts += [f"OpenBLAS {'/'.join(blas)}"] if blas else []
    except Exception:  # threadpoolctl missing or unable to read a library: the torch part still tells a lot
        pass
    return ", ".join(parts)
