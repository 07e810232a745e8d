"""`augbench.reporting.history`: moves between committed versions of an export in a throwaway git repository,
the markdown and plot made from them, one-line errors, and a run over this checkout's own baseline."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from augbench.core.errors import UsageError
from augbench.reporting.history import history, plot_history, render_history
from augbench.results.metrics import COST_METRICS as TIMINGS, NUMBER_METRICS

EXPORT = "results/ci/reference.json"
CHECKOUT = Path(__file__).resolve().parents[1]


def _row(run_id: str, method: str, clean_acc: float, total_s: float, fid: float | None = None,
         params: dict | None = None) -> dict:
    # No `cas` key in any row: a column an old export lacks must read as all-null, never as a move.
    return {"run_id": run_id, "task": "mnist", "method": method, "fraction": 0.5, "seed": 0, "profile": "quick",
            "status": "ok", "method_params": params or {}, "clean_acc": clean_acc, "fid": fid, "total_s": total_s}


def _commit(repo: Path, rows: list[dict], subject: str) -> None:
    path = repo / EXPORT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, indent=1))
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
    subprocess.run(git + ["add", EXPORT], check=True)
    subprocess.run(git + ["commit", "-q", "-m", subject], check=True)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three versions: v2 moves one clean_acc and every total_s; v3 adds a cell and removes one."""
    root = tmp_path_factory.mktemp("repo")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    v1 = [_row("a1", "none", 0.9, 10.0), _row("b1", "classic", 0.8, 11.0, params={"p": 1}),
          _row("b2", "classic", 0.7, 12.0, params={"p": 2}), _row("g1", "vae", 0.6, 13.0, fid=40.5)]
    _commit(root, v1, "v1: first reference")
    v2 = [dict(r, total_s=r["total_s"] + 1.5) for r in v1]
    v2[0]["clean_acc"] = 0.9123
    _commit(root, v2, "v2: none retrained")
    _commit(root, v2[1:] + [_row("c1", "cutout", 0.85, 9.0)], "v3: cutout in, none out")
    return root


def test_revisions_oldest_first_with_moves_of_numbers_only(repo: Path):
    revisions = history(repo, EXPORT)
    assert [r.subject for r in revisions] == ["v1: first reference", "v2: none retrained", "v3: cutout in, none out"]
    first, second, third = revisions
    assert len(first.added) == 4 and not first.removed and not first.moves
    assert len(first.commit) == 10
    assert not second.added and not second.removed
    [move] = second.moves
    assert (move.cell, move.run_id, move.metric) == ("mnist/none/fraction=0.5/seed=0", "a1", "clean_acc")
    assert (move.old, move.new) == (0.9, 0.9123)
    assert move.change == pytest.approx(1.23)
    assert third.added == ("mnist/cutout/fraction=0.5/seed=0",)
    assert third.removed == ("mnist/none/fraction=0.5/seed=0",)
    assert not third.moves
    assert "total_s" in TIMINGS and "total_s" not in NUMBER_METRICS and "clean_acc" in NUMBER_METRICS


def test_labels_tell_settings_apart_and_values_are_kept(repo: Path):
    first = history(repo, EXPORT, metrics=["clean_acc", "fid"])[0]
    labels = sorted(first.values["label"])
    classic = [label for label in labels if "/classic/" in label]
    assert len(classic) == 2 and classic[0] != classic[1]
    assert all(label.startswith("mnist/classic/fraction=0.5/seed=0 [") for label in classic)
    assert "mnist/vae/fraction=0.5/seed=0" in labels
    assert list(first.values.columns) == ["clean_acc", "fid", "label"]
    assert first.values.loc["g1", "fid"] == 40.5


def test_render_shows_counts_moves_in_percent_and_subjects(repo: Path):
    text = render_history(history(repo, EXPORT), EXPORT, top=10)
    assert text.startswith(f"## History of {EXPORT}")
    assert text.index("v3: cutout in, none out") < text.index("v2: none retrained") < text.index("v1: first reference")
    assert "1 cells added, 1 removed, 0 re-configured, 0 cells moved (0 metric values)" in text
    assert "| mnist/none/fraction=0.5/seed=0 | clean_acc | 90.00% | 91.23% | +1.23 pts |" in text
    assert "4 cells added, 0 removed" in text
    assert "total_s" not in text


def test_render_cuts_the_table_at_top(repo: Path):
    revisions = history(repo, EXPORT)
    assert "and 1 more" not in render_history(revisions, EXPORT, top=1)  # one move: nothing cut
    many = dataclasses.replace(revisions[1], moves=revisions[1].moves * 3)
    assert "and 2 more" in render_history([many], EXPORT, top=1)


def test_plot_writes_a_png(repo: Path, tmp_path: Path):
    revisions = history(repo, EXPORT)
    output = plot_history(revisions, "clean_acc", tmp_path / "plots" / "history.png")
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and output.stat().st_size > 5000
    chosen = plot_history(revisions, "clean_acc", tmp_path / "one.png", cells=["mnist/none/fraction=0.5/seed=0"])
    assert chosen.stat().st_size > 0


@pytest.mark.parametrize("call, words", [
    (lambda repo, tmp: history(repo, EXPORT, metrics=["accuracy"]), ["'accuracy'", "clean_acc", "fid"]),
    (lambda repo, tmp: history(repo, EXPORT, metrics=["total_s"]), ["'total_s'", "clean_acc"]),
    (lambda repo, tmp: history(repo, "results/nowhere.json"), ["no commit in", "results/nowhere.json"]),
    (lambda repo, tmp: history(tmp, EXPORT), ["is not a git repository"]),
    (lambda repo, tmp: plot_history(history(repo, EXPORT, ["fid"]), "clean_acc", tmp / "x.png"), ["'clean_acc'", "fid"]),
    (lambda repo, tmp: plot_history(history(repo, EXPORT), "clean_acc", tmp / "x.png", cells=["mnist/x"]),
     ["'mnist/x'"]),
])
def test_bad_input_is_one_line_naming_value_and_choices(repo: Path, tmp_path: Path, call, words):
    with pytest.raises(UsageError) as error:
        call(repo, tmp_path)
    message = str(error.value)
    assert "\n" not in message
    assert all(word in message for word in words), message


def test_this_checkout_baseline_history():
    path = "results/baselines/quick-cpu.json"
    if not (CHECKOUT / ".git").exists():
        pytest.skip("not a git checkout")
    log = subprocess.run(["git", "-C", str(CHECKOUT), "log", "--format=%H", "--", path], capture_output=True, text=True)
    if log.returncode != 0 or len(log.stdout.split()) < 2:
        pytest.skip(f"{path} has fewer than 2 revisions here (shallow clone?)")
    revisions = history(CHECKOUT, path)
    assert len(revisions) >= 2
    assert all(move.metric in NUMBER_METRICS for r in revisions for move in r.moves)
    assert [r.date for r in revisions] == sorted(r.date for r in revisions)


def test_a_cell_under_a_new_configuration_is_paired_with_its_old_row():
    from augbench.reporting.history import _reconfigured

    def rows(*cells):
        return pd.DataFrame([{"run_id": r, "task": "mnist", "method": m, "fraction": 0.5, "seed": 0,
                              "method_params": p} for r, m, p in cells]).set_index("run_id")

    removed = rows(("old", "waveaug", '{"noise": true}'), ("gone", "none", "{}"))
    added = rows(("new", "waveaug", '{"noise": false}'), ("pool", "vae", '{"data": "pool"}'))
    assert _reconfigured(removed, added) == [("old", "new")]  # not none -> vae (pool): another cell


def test_the_history_command_prints_each_commit_and_draws_the_metric(tmp_path, capsys):
    from augbench.cli import main

    path = "results/baselines/quick-cpu.json"
    if not (CHECKOUT / ".git").exists():
        pytest.skip("not a git checkout")
    output = tmp_path / "history.md"
    assert main(["history", "--path", path, "--metric", "pgd_acc", "--top", "2", "--plot-dir", str(tmp_path),
                 "--output", str(output)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"## History of {path}") and out == output.read_text()
    assert (tmp_path / "history-quick-cpu-pgd_acc.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["history", "--metric", "total_s"]) == 2  # a timing has no history here
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'total_s'" in err and "clean_acc" in err
