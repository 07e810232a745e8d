"""Smoke-profile sweeps end to end: complete rows, skipping, --force, failed cells, interruption."""

from __future__ import annotations

import json
import sqlite3

import pytest

from augbench.cli import main
from augbench.results.record import record_fields
from augbench.results.store import Store

# Every ok row fills every field but the error and the generative metrics (FID and CAS: generators only).
# Empty in an ok row where they do not apply: no error, no generator (fid, cas, gen_cache_hit), a 1-epoch
# smoke run (converged needs 2+ epochs), no early-stop guard (stopped_epoch, guard_json).
LATER_FIELDS = {"error", "fid", "cas", "gen_cache_hit", "converged", "stopped_epoch", "guard_json", "generator_data",
                "gen_filter_kept", "aa_acc", "robust_acc", "aa_json",  # AutoAttack: robust.autoattack, off by default
                "word_acc", "word_json", "wave_acc", "wave_json"}  # the text and audio tasks' real-input attacks


def rows(store_path) -> list[dict]:
    with Store(store_path) as store:
        return store.records()


def run(store_path, *extra: str) -> int:
    return main(["run", "--profile", "smoke", "--store", str(store_path), "--no-progress", *extra])


@pytest.fixture(scope="module")
def smoke_store(tmp_path_factory):
    """One smoke sweep over both backbone tasks and methods, shared by the tests that only read it."""
    path = tmp_path_factory.mktemp("store") / "runs.sqlite"
    assert run(path, "--tasks", "mnist,cifar10", "--methods", "none,classic") == 0
    return path


def test_a_smoke_run_stores_complete_rows(smoke_store):
    stored = rows(smoke_store)
    assert {(r["task"], r["method"]) for r in stored} == {(t, m) for t in ("mnist", "cifar10") for m in ("none", "classic")}
    for row in stored:
        assert row["status"] == "ok"
        for f in record_fields():
            if f.name not in LATER_FIELDS:
                assert row[f.name] is not None, f"{row['task']}/{row['method']}: {f.name} is empty"
        assert 0.0 <= row["clean_acc"] <= 1.0
        assert row["aug_throughput"] > 0 and row["train_throughput"] > 0
        assert row["train_s"] > 0 and row["eval_s"] > 0 and row["total_s"] >= row["train_s"]
        assert row["n_train"] == 1000 and row["n_test"] == 1000
        assert row["device"] == "cpu" and row["torch_version"].startswith("2.11")
        assert len(row["data_checksum"]) == 64
        json.loads(row["method_params"]), json.loads(row["train_config"])
    by_task = {r["task"]: r for r in stored if r["method"] == "none"}
    assert by_task["mnist"]["clean_acc"] > 0.5  # 1000 examples, one epoch: clearly learning
    assert by_task["cifar10"]["data_variant"] == "cifar10-jpeg"
    classic = next(r for r in stored if r["task"] == "mnist" and r["method"] == "classic")
    assert json.loads(classic["method_params"]) == {"padding": 2, "flip": False}


def test_a_second_run_skips_and_force_reruns(tmp_path, capsys):
    path = tmp_path / "runs.sqlite"
    assert run(path, "--tasks", "mnist", "--methods", "none") == 0
    first = rows(path)
    capsys.readouterr()
    assert run(path, "--tasks", "mnist", "--methods", "none") == 0
    assert "1 already in" in capsys.readouterr().out
    assert rows(path) == first
    assert run(path, "--tasks", "mnist", "--methods", "none", "--force") == 0
    again = rows(path)
    assert len(again) == 1 and again[0]["run_id"] == first[0]["run_id"]
    assert again[0]["started_at"] >= first[0]["started_at"] and again[0]["total_s"] != first[0]["total_s"]
    # Same seed, same data, same code: the CPU result is reproduced exactly.
    assert again[0]["clean_acc"] == first[0]["clean_acc"]


def test_params_change_the_cell(tmp_path):
    path = tmp_path / "runs.sqlite"
    assert run(path, "--tasks", "mnist", "--methods", "classic") == 0
    assert run(path, "--tasks", "mnist", "--methods", "classic", "--param", "classic.padding=1") == 0
    stored = rows(path)
    assert sorted(json.loads(r["method_params"])["padding"] for r in stored) == [1, 2]
    assert len({r["run_id"] for r in stored}) == 2


def test_seeds_and_fractions_make_separate_cells(tmp_path):
    path = tmp_path / "runs.sqlite"
    assert run(path, "--tasks", "mnist", "--methods", "none", "--seeds", "2", "--fractions", "0.5,1") == 0
    stored = rows(path)
    assert sorted((r["seed"], r["fraction"], r["n_train"]) for r in stored) == [(0, 0.5, 500), (0, 1.0, 1000), (1, 0.5, 500), (1, 1.0, 1000)]


def test_a_failing_cell_is_stored_as_failed_and_the_sweep_goes_on(tmp_path, monkeypatch, capsys):
    from augbench.methods.classic import Classic

    def explode(self, x, y, model):
        raise RuntimeError("augment exploded")

    monkeypatch.setattr(Classic, "augment", explode)
    path = tmp_path / "runs.sqlite"
    assert run(path, "--tasks", "mnist", "--methods", "classic,none") == 1
    stored = {r["method"]: r for r in rows(path)}
    assert stored["classic"]["status"] == "failed"
    assert "RuntimeError: augment exploded" in stored["classic"]["error"]
    assert stored["classic"]["clean_acc"] is None
    assert stored["none"]["status"] == "ok"
    assert "1 failed" in capsys.readouterr().out
    monkeypatch.undo()
    assert run(path, "--tasks", "mnist", "--methods", "classic,none") == 0  # failed cells are retried
    assert {r["status"] for r in rows(path)} == {"ok"}


def test_a_diverging_loss_fails_the_cell(tmp_path):
    path = tmp_path / "runs.sqlite"
    assert run(path, "--tasks", "mnist", "--methods", "none", "--param", "train.lr=1e30") == 1
    (row,) = rows(path)
    assert row["status"] == "failed" and "TrainingDiverged" in row["error"]


def test_an_interrupted_sweep_leaves_no_partial_row_and_resumes_without_duplicates(tmp_path, monkeypatch):
    import augbench.runner.sweep as sweep

    real = sweep.run_cell
    calls = {"n": 0}

    def interrupt_second(planned, device, progress=None):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(planned, device, progress)

    monkeypatch.setattr(sweep, "run_cell", interrupt_second)
    path = tmp_path / "runs.sqlite"
    assert run(path, "--tasks", "mnist", "--methods", "none,classic") == 130
    assert len(rows(path)) == 1
    monkeypatch.setattr(sweep, "run_cell", real)
    assert run(path, "--tasks", "mnist", "--methods", "none,classic") == 0
    stored = rows(path)
    assert len(stored) == 2 and len({r["run_id"] for r in stored}) == 2
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2


def test_a_method_without_meaning_on_a_task_is_skipped_and_said(tmp_path, monkeypatch, capsys):
    """A method that declares its modalities is planned only on tasks of those; a run naming no such
    task is refused (exit 2, one line, no store file)."""
    from augbench.runner.sweep import SweepSpec, plan, skipped_pairs
    from augbench.methods import METHODS
    import torch

    monkeypatch.setattr(METHODS.get("classic"), "modalities", ("image",))
    spec = SweepSpec(tasks=["mnist", "trec"], methods=["none", "classic"], seeds=[0], fractions=[0.1],
                     profile="smoke", device=torch.device("cpu"))
    planned = sorted((p.cell.method, p.cell.task) for p in plan(spec))
    assert planned == [("classic", "mnist"), ("none", "mnist"), ("none", "trec")]
    assert skipped_pairs(spec) == ["classic x trec (features)"]
    path = tmp_path / "runs.sqlite"
    assert run(path, "--tasks", "trec", "--methods", "classic") == 2
    err = capsys.readouterr().err
    assert "no method of classic applies to the tasks trec" in err and "image" in err and "Traceback" not in err
    assert not path.exists()
