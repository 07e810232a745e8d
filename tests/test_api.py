"""The Python API: the same grid, checks and pages as the CLI, with DataFrames in and out and exceptions for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

import augbench


def test_run_returns_the_grids_rows_and_reuses_stored_cells(tmp_path):
    store = tmp_path / "runs.sqlite"
    rows = augbench.run(tasks="mnist", methods=["none", "classic"], profile="smoke", seeds=[0, 1], store=store)
    assert sorted(zip(rows["method"], rows["seed"])) == [("classic", 0), ("classic", 1), ("none", 0), ("none", 1)]
    assert (rows["status"] == "ok").all() and rows["clean_acc"].between(0, 1).all()
    again = augbench.run(tasks="mnist", methods="none", profile="smoke", seeds=2, store=store)  # stored: not rerun
    assert list(again.sort_values("seed")["finished_at"]) == list(rows[rows["method"] == "none"].sort_values("seed")["finished_at"])
    assert len(augbench.load(store)) == 4


def test_bad_input_raises_the_clis_error_and_stores_nothing(tmp_path):
    store = tmp_path / "runs.sqlite"
    with pytest.raises(augbench.UsageError, match="unknown method 'mixupp'.*did you mean 'mixup'"):
        augbench.run(tasks="mnist", methods="mixupp", store=store)
    with pytest.raises(augbench.UsageError, match="unknown profile"):
        augbench.run(tasks="mnist", methods="none", profile="fast", store=store)
    assert not store.exists()
    with pytest.raises(augbench.UsageError, match="no such file"):
        augbench.load(tmp_path / "absent.json")


def test_report_writes_the_leaderboard_of_rows(tmp_path):
    rows = augbench.load(Path(__file__).resolve().parent.parent / "results" / "baselines" / "quick-cpu.json")
    page = augbench.report(rows[rows["task"] == "mnist"], tmp_path / "board.md", html=tmp_path / "board.html")
    text = page.read_text()
    assert text.startswith("# augbench leaderboard") and "mnist" in text and "cifar10 (" not in text
    assert (tmp_path / "board.html").read_text().startswith("<!DOCTYPE html>")
