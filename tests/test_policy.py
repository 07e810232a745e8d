"""Issue 33: the execution policy. Kernels pinned before numpy and torch load, one thread per cell, rows that
record the policy, digits that do not depend on how many cells run at once, and pool generators seeded by
`gen_seed` alone (the same rows whichever classifier seed fits the generator)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from augbench.cli import main
from augbench.core.errors import UsageError
from augbench.core.policy import (KERNEL_PINS, ExecutionPolicy, apply_kernel_policy, policy_digits_key, policy_lines,
                               run_policy)
from augbench.results.metrics import NUMBER_METRICS
from augbench.results.store import Store

REPO = Path(__file__).resolve().parent.parent
HAS_AVX2 = "avx2" in Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else False


def stored(path: Path) -> list[dict]:
    with Store(path) as store:
        return store.records()


def numbers(row: dict) -> dict:
    """What the policy promises to keep: every number metric, the per-corruption accuracies, the curve."""
    return {name: row[name] for name in (*NUMBER_METRICS, "corruption_json", "val_curve", "converged", "n_train")}


# --- the kernels -----------------------------------------------------------------------------------------


def test_the_pins_override_the_callers_environment_and_native_leaves_it_alone():
    env = {"ATEN_CPU_CAPABILITY": "avx512", "OPENBLAS_CORETYPE": "SkylakeX"}
    assert apply_kernel_policy(env) == "avx2"
    assert {k: env[k] for k in KERNEL_PINS} == KERNEL_PINS
    native = {"ATEN_CPU_CAPABILITY": "avx512", "AUGBENCH_KERNELS": "native"}
    assert apply_kernel_policy(native) == "native"
    assert native == {"ATEN_CPU_CAPABILITY": "avx512", "AUGBENCH_KERNELS": "native"}
    bogus = {"AUGBENCH_KERNELS": "avx9000"}
    assert apply_kernel_policy(bogus) is None and set(bogus) == {"AUGBENCH_KERNELS"}  # the CLI reports it


def _kernels_of_a_fresh_process(**env: str) -> str:
    """What torch and oneDNN run in a new interpreter that imports augbench first, then torch."""
    code = "import augbench, torch, os; print(torch.backends.cpu.get_cpu_capability(), os.environ.get('ONEDNN_MAX_CPU_ISA'))"
    clean = {k: v for k, v in os.environ.items() if k not in (*KERNEL_PINS, "AUGBENCH_KERNELS")}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env={**clean, **env}, capture_output=True, text=True,
                          check=True)
    return done.stdout.strip()


@pytest.mark.skipif(not HAS_AVX2, reason="the pin is to AVX2; this CPU has none")
def test_importing_augbench_pins_torch_and_onednn_to_avx2_before_torch_loads():
    assert _kernels_of_a_fresh_process() == "AVX2 AVX2"
    assert _kernels_of_a_fresh_process(ATEN_CPU_CAPABILITY="default") == "AVX2 AVX2"  # the caller's value loses
    native = _kernels_of_a_fresh_process(AUGBENCH_KERNELS="native", ATEN_CPU_CAPABILITY="default")
    assert native == "DEFAULT None"  # native: what the environment says, here the plain kernels


def test_an_unknown_kernel_mode_is_one_line_exit_2_and_creates_no_store(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AUGBENCH_KERNELS", "fastest")
    store = tmp_path / "runs.sqlite"
    assert main(["run", "--profile", "smoke", "--tasks", "trec", "--methods", "none", "--store", str(store)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "'fastest'" in err and "avx2, native" in err
    assert not store.exists()


# --- threads and cells at once -------------------------------------------------------------------------


def test_the_policy_per_profile_and_device():
    assert run_policy("quick", "cpu", cores=2) == ExecutionPolicy("cpu", 1, 2, "avx2")
    assert run_policy("full", "cpu", cores=16) == ExecutionPolicy("cpu", 1, 16, "avx2")
    assert run_policy("smoke", "cpu", cores=2) == ExecutionPolicy("cpu", 1, 1, "avx2")  # tests: in-process
    assert run_policy("quick", "cpu", threads=2, cores=2) == ExecutionPolicy("cpu", 2, 1, "avx2")
    assert run_policy("quick", "cpu", workers=1, cores=2).cells_at_once == 1
    with pytest.raises(UsageError, match="--threads 0 is invalid"):
        run_policy("quick", "cpu", threads=0)


def test_bad_threads_is_one_line_exit_2(tmp_path, capsys):
    store = tmp_path / "runs.sqlite"
    assert main(["run", "--profile", "smoke", "--tasks", "trec", "--methods", "none", "--threads", "0",
                 "--store", str(store)]) == 2
    assert "--threads 0 is invalid" in capsys.readouterr().err
    assert not store.exists()


def test_rows_record_the_policy_and_the_kernels(tmp_path, monkeypatch):
    monkeypatch.setenv("AUGBENCH_CACHE", str(tmp_path / "cache"))
    store = tmp_path / "runs.sqlite"
    assert main(["run", "--profile", "smoke", "--tasks", "trec", "--methods", "none", "--store", str(store),
                 "--no-progress"]) == 0
    (row,) = stored(store)
    assert json.loads(row["exec_policy"]) == {"device": "cpu", "threads": 1, "cells_at_once": 1, "kernels": "avx2"}
    assert " x1 threads (" in row["device_name"] and "oneDNN AVX2, MKL AVX2" in row["device_name"]
    assert policy_digits_key(row["exec_policy"]) == "cpu, 1 thread, kernels avx2"


def test_the_digits_do_not_depend_on_how_many_cells_run_at_once(tmp_path, monkeypatch):
    """The same cells in this process one after another and in two worker processes at once: equal numbers.
    (Worker processes get the pinned kernels and the one thread through the environment they inherit.)"""
    rows = {}
    for workers in ("1", "2"):
        monkeypatch.setenv("AUGBENCH_CACHE", str(tmp_path / f"cache{workers}"))
        store = tmp_path / f"runs{workers}.sqlite"
        assert main(["run", "--profile", "smoke", "--tasks", "mnist,trec", "--methods", "none,vae", "--workers", workers,
                     "--store", str(store), "--no-progress"]) == 0
        rows[workers] = {r["run_id"]: r for r in stored(store)}
    assert set(rows["1"]) == set(rows["2"]) and len(rows["1"]) == 4
    for run_id, row in rows["1"].items():
        assert numbers(row) == numbers(rows["2"][run_id]), row["method"]
    assert {json.loads(r["exec_policy"])["cells_at_once"] for r in rows["2"].values()} == {2}


def test_policy_lines_warn_when_rows_ran_under_several_policies():
    one = ExecutionPolicy("cpu", 1, 2, "avx2").to_json()
    assert policy_lines({"exec_policy": [one, one]}) == ["execution policies: cpu, 1 thread, kernels avx2 (2 rows)"]
    mixed = policy_lines({"exec_policy": [one, None, ExecutionPolicy("cpu", 2, 1, "avx2").to_json()]})
    assert mixed[0] == ("execution policies: cpu, 1 thread, kernels avx2 (1 row); cpu, 2 threads, kernels avx2 (1 row); "
                        "unrecorded (1 row)")
    assert mixed[1].startswith("MIXED POLICIES")


# --- a pool generator's seed ---------------------------------------------------------------------------


def test_a_pool_generator_is_seeded_by_gen_seed_whichever_cell_fits_it(tmp_path, monkeypatch):
    """Two classifier seeds in both orders, each from an empty cache: the first cell fits the pool generator,
    the second loads it. Seeded by the fitting cell's seed (before issue 33), the two orders stored different
    numbers under the same run_ids."""
    rows = {}
    for order in ("0,1", "1,0"):
        monkeypatch.setenv("AUGBENCH_CACHE", str(tmp_path / f"cache-{order}"))
        store = tmp_path / f"runs-{order}.sqlite"
        assert main(["run", "--profile", "smoke", "--tasks", "mnist", "--methods", "vae", "--param", "vae.data=pool",
                     "--seeds", order, "--store", str(store), "--no-progress"]) == 0
        found = stored(store)
        fitted_by = {r["seed"]: bool(r["gen_cache_hit"]) for r in found}
        assert fitted_by == {int(order[0]): False, int(order[-1]): True}  # the first cell fitted, the second loaded
        rows[order] = {r["run_id"]: r for r in found}
    assert set(rows["0,1"]) == set(rows["1,0"]) and len(rows["0,1"]) == 2
    for run_id, row in rows["0,1"].items():
        assert numbers(row) == numbers(rows["1,0"][run_id]), row["seed"]


def test_a_generator_fitted_under_another_thread_count_is_refitted_not_loaded(tmp_path, monkeypatch):
    """The cache key carries the thread count and kernels: a generator cached by a two-thread run (an older cache, or
    `--threads 2`) would give a one-thread run other digits than a fresh clone's, so it is fitted again."""
    monkeypatch.setenv("AUGBENCH_CACHE", str(tmp_path / "cache"))
    hits = []
    for threads in ("2", "1", "1"):
        store = tmp_path / f"runs-{threads}-{len(hits)}.sqlite"
        assert main(["run", "--profile", "smoke", "--tasks", "mnist", "--methods", "vae", "--threads", threads,
                     "--store", str(store), "--no-progress"]) == 0
        hits.append(bool(stored(store)[0]["gen_cache_hit"]))
    assert hits == [False, False, True]
    assert len(list((tmp_path / "cache" / "generators").glob("mnist-vae-*.pt"))) == 2
