"""The leaderboard is a pure function of the stored rows."""

from __future__ import annotations

import pandas as pd

from bench.cli import main
from bench.record import RunRecord
from bench.report import leaderboard_markdown
from bench.store import Store


def record(method: str, seed: int, acc: float, status: str = "ok", params: str = "{}", **extra) -> RunRecord:
    return RunRecord(
        run_id=f"{method}{seed}{params}{status}", task="mnist", method=method, seed=seed, fraction=1.0, profile="quick",
        method_params=params, task_params="{}", train_config="{}", eval_config="{}", data_variant="mnist-idx", data_checksum="c" * 64,
        status=status, clean_acc=acc if status == "ok" else None, aug_throughput=1500.0, train_s=10.0, total_s=12.0,
        n_train=60000, device_name="test cpu", torch_version="2.11.0", torchvision_version="0.26.0",
        python_version="3.11", git_commit="abcdef1234567", git_dirty=False, finished_at="2026-11-20T00:00:00+00:00",
        error=None if status == "ok" else "RuntimeError: boom", **extra,
    )


def frame(records) -> pd.DataFrame:
    return pd.DataFrame([r.as_dict() for r in records])


def test_mean_and_std_over_seeds_ranked_best_first():
    text = leaderboard_markdown(frame([record("none", 0, 0.98), record("none", 1, 0.99), record("classic", 0, 0.995)]))
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    assert lines[1].startswith("| classic") and "99.50 " in lines[1]
    assert lines[2].startswith("| none") and "98.50 ± 0.71" in lines[2] and "| 2 " in lines[2]
    assert "## mnist (mnist-idx), fraction 1 (60000 train examples), profile quick" in text
    assert "1.5k" in text and "abcdef1234" in text


def test_failed_cells_are_listed_not_averaged():
    text = leaderboard_markdown(frame([record("none", 0, 0.98), record("classic", 0, 0.0, status="failed")]))
    table = text.split("## Failed cells")[0]
    assert "classic" not in table
    assert "RuntimeError: boom" in text.split("## Failed cells")[1]


def test_several_settings_of_one_method_get_their_own_lines():
    text = leaderboard_markdown(frame([record("classic", 0, 0.99, params='{"padding": 2}'), record("classic", 0, 0.98, params='{"padding": 4}')]))
    assert "classic(padding=2)" in text and "classic(padding=4)" in text


def test_report_command_writes_the_leaderboard(tmp_path, capsys):
    store_path = tmp_path / "runs.sqlite"
    with Store(store_path) as store:
        store.put(record("none", 0, 0.98))
    out = tmp_path / "lb.md"
    assert main(["report", "--store", str(store_path), "--output", str(out)]) == 0
    assert "| none" in out.read_text()


def test_an_empty_store_gives_a_helpful_leaderboard():
    assert "No runs in the store yet" in leaderboard_markdown(pd.DataFrame())


def test_robustness_columns_appear_where_rows_have_them():
    plain = leaderboard_markdown(frame([record("none", 0, 0.98)]))
    assert "PGD %" not in plain
    robust = leaderboard_markdown(frame([record("none", 0, 0.98, fgsm_acc=0.4, pgd_acc=0.1, corruption_acc=0.9)]))
    header = next(line for line in robust.splitlines() if line.startswith("| method"))
    assert "FGSM %" in header and "PGD %" in header and "corrupt %" in header
    assert "| 10.00 " in robust and "| 90.00 " in robust
