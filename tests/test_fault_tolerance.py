"""A sweep killed with SIGKILL at random points and rerun ends exactly where an uninterrupted one does."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

from augbench.results.record import record_fields
from conftest import REPO

# Fields that depend only on the cell and the code (CPU runs are bit-reproducible), not on timing.
RESULT_FIELDS = ("run_id", "task", "method", "seed", "fraction", "profile", "method_params", "task_params", "train_config",
                 "eval_config", "data_variant", "data_checksum", "status", "n_train", "n_test", "clean_acc", "fgsm_acc",
                 "pgd_acc", "corruption_acc", "corruption_json", "fid", "cas", "val_acc", "val_curve", "converged",
                 "stopped_epoch", "guard_json", "near_chance", "generator_data", "gen_filter_kept")
# Empty in an ok row where they do not apply: no error, no generator (fid, cas, gen_cache_hit), 1-epoch smoke
# runs (converged), no guard (stopped_epoch, guard_json).
OPTIONAL = {"error", "fid", "cas", "gen_cache_hit", "converged", "stopped_epoch", "guard_json", "generator_data",
            "gen_filter_kept", "aa_acc", "robust_acc", "aa_json",  # AutoAttack: off by default
            "word_acc", "word_json", "wave_acc", "wave_json"}  # the text and audio tasks' real-input attacks


def sweep(store) -> list[str]:
    return [sys.executable, "-m", "bench", "run", "--profile", "smoke", "--tasks", "mnist", "--methods", "none,classic",
            "--seeds", "2", "--device", "cpu", "--store", str(store), "--no-progress"]


def env(tmp_path) -> dict[str, str]:
    # One thread: the same numerics in every run, and no OpenMP spin-waiting when other jobs share the
    # cores (on the 2-core development machine under load, 2 threads made this sweep 8x slower).
    return dict(os.environ, AUGBENCH_CACHE=str(tmp_path / "cache"), OMP_NUM_THREADS="1")


def stored_rows(store) -> list[dict]:
    if not store.exists():
        return []
    with sqlite3.connect(store) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        cursor = conn.execute("SELECT * FROM runs ORDER BY run_id")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]


def assert_only_whole_rows(rows: list[dict]) -> None:
    for row in rows:
        assert row["status"] == "ok", row
        for f in record_fields():
            if f.name not in OPTIONAL:
                assert row[f.name] is not None, f"partial row {row['run_id']}: {f.name} is empty"


def test_sigkill_at_random_points_then_resume_gives_the_uninterrupted_result(tmp_path):
    reference, store = tmp_path / "reference.sqlite", tmp_path / "killed.sqlite"
    start = time.perf_counter()
    done = subprocess.run(sweep(reference), cwd=REPO, env=env(tmp_path), capture_output=True, text=True)
    uninterrupted_s = time.perf_counter() - start
    assert done.returncode == 0, done.stderr

    rng = random.Random(20260107)
    rows_after_kill = []
    for _ in range(4):
        process = subprocess.Popen(sweep(store), cwd=REPO, env=env(tmp_path), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        # Anywhere from interpreter start-up to the last cell's commit (reruns skip stored cells, so
        # later kills may also come after the process has finished: then there is nothing to kill).
        time.sleep(rng.uniform(0.2, 1.0) * uninterrupted_s)
        process.send_signal(signal.SIGKILL)
        process.wait()
        rows = stored_rows(store)
        assert_only_whole_rows(rows)
        assert len({r["run_id"] for r in rows}) == len(rows)
        rows_after_kill.append(len(rows))
    print("rows after each kill:", rows_after_kill)

    resumed = subprocess.run(sweep(store), cwd=REPO, env=env(tmp_path), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    final, expected = stored_rows(store), stored_rows(reference)
    assert len(expected) == 4
    assert_only_whole_rows(final)
    assert len(final) == 4, f"rows after each kill: {rows_after_kill}"
    assert [{k: r[k] for k in RESULT_FIELDS} for r in final] == [{k: r[k] for k in RESULT_FIELDS} for r in expected]
