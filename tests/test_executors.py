"""Executors: cells run elsewhere (worker processes, submitit jobs, Ray tasks) and the driver stores their rows."""

from __future__ import annotations

import concurrent.futures as futures
import hashlib
import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from augbench.cli import main
from conftest import REPO
from augbench.runner.executors import ExecutorConfig, InProcessExecutor, check_executor
from augbench.core.errors import UsageError
from augbench.results.store import Store

SMOKE = ["run", "--profile", "smoke", "--no-progress", "--tasks", "mnist", "--methods", "none,classic"]


def rows(path) -> list[dict]:
    with Store(path) as store:
        return store.records()


BAD_EXECUTOR_RUNS = {
    "unknown executor": (["--executor", "slurmit"], ["unknown executor 'slurmit'", "local, submitit, ray", "did you mean 'submitit'?"]),
    "partition without submitit": (["--slurm-partition", "gpu"], ["--slurm-partition needs --executor submitit"]),
    "bad partition": (["--executor", "submitit", "--slurm-partition", "gpu;rm -rf"], ["bad --slurm-partition 'gpu;rm -rf'", "letters, digits"]),
    "empty partition": (["--executor", "submitit", "--slurm-partition", ""], ["bad --slurm-partition ''"]),
    "zero workers": (["--workers", "0"], ["--workers 0 is invalid", ">= 1"]),
    "zero time": (["--executor", "submitit", "--slurm-time", "0"], ["--slurm-time 0 is invalid"]),
    "negative gpus": (["--executor", "submitit", "--slurm-gpus", "-1"], ["--slurm-gpus -1 is invalid"]),
    "time not a number": (["--executor", "submitit", "--slurm-time", "1h"], ["--slurm-time", "invalid int value: '1h'"]),
    "ray address without ray": (["--ray-address", "auto"], ["--ray-address needs --executor ray"]),
}


@pytest.mark.parametrize("case", list(BAD_EXECUTOR_RUNS))
def test_bad_executor_input_is_one_line_exit_2_and_leaves_the_store_alone(case, existing_store, capsys):
    args, expected = BAD_EXECUTOR_RUNS[case]
    before = hashlib.sha256(existing_store.read_bytes()).hexdigest()
    status = main([*SMOKE, "--store", str(existing_store), *args])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("augbench: error: "), err
    for text in expected:
        assert text in err, err
    assert hashlib.sha256(existing_store.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("name,extra", [("submitit", "slurm"), ("ray", "ray")])
def test_a_missing_optional_backend_names_its_extra(name, extra, monkeypatch, tmp_path, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda module, *a: None if module == name else real(module, *a))
    store = tmp_path / "runs.sqlite"
    assert main([*SMOKE, "--store", str(store), "--executor", name]) == 2
    err = capsys.readouterr().err
    assert f"executor '{name}' needs the {name} package" in err and f"augbench[{extra}]" in err
    assert not store.exists()


def test_check_executor_accepts_good_configs():
    check_executor(ExecutorConfig())
    check_executor(ExecutorConfig(workers=4))
    with pytest.raises(UsageError, match="--cells-per-job 0 is invalid"):
        check_executor(ExecutorConfig(cells_per_job=0))


def test_two_local_worker_processes_return_rows_the_driver_stores(tmp_path, capsys):
    store = tmp_path / "runs.sqlite"
    assert main([*SMOKE, "--store", str(store), "--workers", "2"]) == 0
    assert "local, 2 worker processes" in capsys.readouterr().out
    stored = rows(store)
    assert sorted(r["method"] for r in stored) == ["classic", "none"]
    assert {r["status"] for r in stored} == {"ok"} and all(r["clean_acc"] > 0.5 for r in stored)


def test_submitit_runs_two_smoke_cells_and_the_store_gets_both_rows(tmp_path, capsys):
    pytest.importorskip("submitit", reason="submitit is not installed: pip install 'augbench[slurm]' (make test installs it)")
    store = tmp_path / "runs.sqlite"
    folder = tmp_path / "jobs"
    assert main([*SMOKE, "--store", str(store), "--executor", "submitit", "--executor-folder", str(folder),
                 "--workers", "2", "--slurm-time", "10"]) == 0
    out = capsys.readouterr().out
    assert "submitit (local subprocesses, 2 at a time (no Slurm found))" in out and "2 ran" in out
    stored = rows(store)
    assert sorted(r["method"] for r in stored) == ["classic", "none"]
    assert {r["status"] for r in stored} == {"ok"} and all(r["clean_acc"] > 0.5 for r in stored)
    assert any(folder.rglob("*_log.err"))  # the jobs ran in submitit's own processes, logging there
    # A rerun finds both cells stored and submits nothing.
    assert main([*SMOKE, "--store", str(store), "--executor", "submitit", "--executor-folder", str(folder)]) == 0
    assert "0 ran, 2 skipped" in capsys.readouterr().out


def test_ray_runs_two_smoke_cells(tmp_path, capsys):
    pytest.importorskip("ray", reason="ray is not installed: pip install 'augbench[ray]'")
    store = tmp_path / "runs.sqlite"
    assert main([*SMOKE, "--store", str(store), "--executor", "ray"]) == 0
    stored = rows(store)
    assert sorted(r["method"] for r in stored) == ["classic", "none"] and {r["status"] for r in stored} == {"ok"}


class DyingExecutor(InProcessExecutor):
    """Every job dies before returning its rows, as when a worker is killed or a cluster job fails."""

    def submit(self, fn, /, *args, **kwargs):
        future = futures.Future()
        future.set_exception(RuntimeError("worker killed by signal 9"))
        return future


def test_a_job_that_dies_becomes_failed_rows_that_the_next_run_retries(tmp_path, monkeypatch, capsys):
    import augbench.runner.sweep as sweep

    monkeypatch.setattr(sweep, "make_executor", lambda *args: DyingExecutor())
    store = tmp_path / "runs.sqlite"
    assert main([*SMOKE, "--store", str(store)]) == 1
    stored = rows(store)
    assert len(stored) == 2 and {r["status"] for r in stored} == {"failed"}
    assert all(r["error"] == "job failed: RuntimeError: worker killed by signal 9" for r in stored)
    assert all(r["clean_acc"] is None and r["device"] == "cpu" for r in stored)
    monkeypatch.undo()
    assert main([*SMOKE, "--store", str(store)]) == 0
    assert {r["status"] for r in rows(store)} == {"ok"} and len(rows(store)) == 2


def test_a_cell_another_sweep_stored_meanwhile_is_not_run_again(tmp_path, monkeypatch, capsys):
    """Two sweeps over overlapping grids: each checks the store just before it submits a cell."""
    import augbench.runner.sweep as sweep

    real_plan, real_run = sweep.plan, sweep.run_cell
    planned_cells, ran = [], []
    store = tmp_path / "runs.sqlite"

    def capture_plan(spec):
        planned_cells[:] = real_plan(spec)
        return planned_cells

    def run_while_another_sweep_stores_the_other_cell(planned, device, progress=None):
        ran.append(planned.cell.method)
        if len(ran) == 1:
            other = next(p for p in planned_cells if p is not planned)
            with Store(store) as another:
                another.put(real_run(other, device, progress))
        return real_run(planned, device, progress)

    monkeypatch.setattr(sweep, "plan", capture_plan)
    monkeypatch.setattr(sweep, "run_cell", run_while_another_sweep_stores_the_other_cell)
    assert main([*SMOKE, "--store", str(store)]) == 0
    assert ran == ["none"]
    assert "1 ran, 1 skipped" in capsys.readouterr().out
    assert {r["status"] for r in rows(store)} == {"ok"} and len(rows(store)) == 2


def test_a_big_grid_goes_in_several_job_arrays(tmp_path, monkeypatch):
    pytest.importorskip("submitit", reason="submitit is not installed: pip install 'augbench[slurm]' (make test installs it)")
    import torch

    import augbench.runner.executors as executors

    monkeypatch.setattr(executors, "SLURM_MAX_ARRAY", 2)
    batches = []
    pool = executors.SubmititExecutor(ExecutorConfig(name="submitit", folder=str(tmp_path), slurm_time_min=5),
                                      torch.device("cpu"), executors.Path.cwd())
    real_batch = pool._executor.batch

    def counting_batch(*args, **kwargs):
        batches.append(1)
        return real_batch(*args, **kwargs)

    monkeypatch.setattr(pool._executor, "batch", counting_batch)
    try:
        results = [f.result(timeout=120) for f in pool.submit_batch(abs, [-1, -2, -3])]
    finally:
        pool.shutdown()
    assert results == [1, 2, 3] and len(batches) == 2


def _worker_pids(driver: int) -> set[int]:
    """The driver's spawned pool workers (not its resource tracker), from /proc."""
    pids = set()
    for children in Path(f"/proc/{driver}/task").glob("*/children"):
        for pid in children.read_text().split():
            try:
                if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                    pids.add(int(pid))
            except OSError:
                pass
    return pids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_killing_the_driver_ends_its_worker_processes(tmp_path):
    """A SIGKILLed driver used to leave its workers running the queued cells, taking the cores from what ran next."""
    env = dict(os.environ, AUGBENCH_CACHE=str(tmp_path / "cache"), OMP_NUM_THREADS="1")
    driver = subprocess.Popen([sys.executable, "-m", "bench", "run", "--profile", "smoke", "--tasks", "cifar10,mnist",
                               "--methods", "none,classic,adversarial", "--seeds", "2", "--workers", "2",
                               "--store", str(tmp_path / "runs.sqlite"), "--no-progress"],
                              cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, workers = time.monotonic() + 120, set()
        while len(workers) < 2 and time.monotonic() < deadline:
            workers = _worker_pids(driver.pid)
            time.sleep(0.2)
        assert len(workers) == 2, "the pool never started its two workers"
        time.sleep(2)  # the workers are starting or inside their first cells, more queued behind them
        driver.kill()
        driver.wait()
        deadline = time.monotonic() + 60  # at once, or once a still-starting worker runs its initializer; orphans ran on for minutes
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(p) for p in workers), "workers outlived their driver"
    finally:
        driver.kill()
        for pid in _worker_pids(driver.pid):
            os.kill(pid, signal.SIGKILL)


def test_a_compositions_cell_travels_to_a_worker_process(tmp_path):
    """Its class is made at run time: the cell carries the composition's name and the worker makes the class again
    (the quick profile runs two cells at once in worker processes, so adversarial+vae failed to pickle there)."""
    import pickle

    from augbench.runner.sweep import PlannedCell
    from augbench.methods.compose import method_class

    cls = method_class("adversarial+vae")
    cell = PlannedCell(cell=None, task=None, method_cls=cls, method_params={}, train_config=None, eval_config=None,
                       source=None)
    back = pickle.loads(pickle.dumps(cell))
    assert back.method_cls is cls and back.method_cls.parts == cls.parts
    plain = PlannedCell(cell=None, task=None, method_cls=method_class("none"), method_params={}, train_config=None,
                        eval_config=None, source=None)
    assert pickle.loads(pickle.dumps(plain)).method_cls is method_class("none")
