"""Device choice, peak memory windows, and the CUDA path (skipped cleanly without a GPU)."""

from __future__ import annotations

import os

import pytest
import torch

from augbench.cli import main
from augbench.core.device import peak_memory_mb, resolve_device, reset_peak_memory
from augbench.core.errors import UsageError

requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def test_auto_picks_what_is_there():
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_is_a_usage_error():
    with pytest.raises(UsageError, match="no CUDA device is available"):
        resolve_device("cuda")


@pytest.mark.skipif(not os.access("/proc/self/clear_refs", os.W_OK), reason="peak RSS cannot be reset here")
def test_cpu_peak_memory_is_per_window():
    cpu = torch.device("cpu")
    reset_peak_memory(cpu)
    before = peak_memory_mb(cpu)
    block = torch.ones(300 * 2**20, dtype=torch.uint8)
    assert peak_memory_mb(cpu) >= before + 250
    del block
    reset_peak_memory(cpu)
    assert peak_memory_mb(cpu) < before + 150


@pytest.mark.gpu
@requires_cuda
def test_smoke_sweep_on_cuda(tmp_path):
    path = tmp_path / "runs.sqlite"
    assert main(["run", "--profile", "smoke", "--device", "cuda", "--store", str(path), "--no-progress"]) == 0
    from augbench.results.store import Store

    with Store(path) as store:
        rows = store.records()
    assert {r["device"] for r in rows} == {"cuda"} and all(r["status"] == "ok" for r in rows)
    assert all(r["peak_mem_mb"] > 0 for r in rows)


@pytest.mark.gpu
@requires_cuda
def test_classic_runs_on_the_inputs_device(small_batches):
    from augbench.methods.classic import Classic, ClassicParams
    from augbench.tasks import TASKS

    x, y = small_batches["cifar10"]
    out, out_y = Classic(ClassicParams(), TASKS.get("cifar10")(), 0).augment(x.cuda(), y.cuda(), None)
    assert out.device.type == "cuda" and out.shape == x.shape and torch.equal(out_y.cpu(), y)
