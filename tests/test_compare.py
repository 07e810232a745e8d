"""`augbench compare`: golden summaries and reports and exit statuses on fixture exports, cells lost in CUR,
metrics that do not apply, and one-line errors on bad input.

Fixtures and expected outputs live in tests/golden/compare (make_fixtures.py writes the fixtures): <cur>.txt is
the terminal summary, <cur>.md the full report of --output. Set AUGBENCH_REGEN_GOLDEN=1 to rewrite them after
an intended change, then review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from augbench.cli import main
from augbench.reporting.compare import compare, summary
from augbench.results.export import read_rows, write_export
from augbench.results.metrics import METRICS
from augbench.results.record import RunRecord
from augbench.results.store import Store
from fixture_records import frame, make_record

GOLDEN = Path(__file__).resolve().parent / "golden" / "compare"


@pytest.fixture(autouse=True)
def _in_golden_dir(monkeypatch):
    # The table names BASE and CUR as given on the command line: relative names keep it path-independent.
    monkeypatch.chdir(GOLDEN)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["compare", *argv])
    out = capsys.readouterr()
    return status, out.out, out.err


def report(capsys, tmp_path: Path, *argv: str) -> tuple[int, str, str]:
    """Exit status, terminal output and the full report of `compare ... --output FILE`."""
    target = tmp_path / "compare.md"
    code, out, _ = run(capsys, *argv, "--output", str(target))
    return code, out, target.read_text()


def _golden(name: str, text: str) -> str:
    expected = GOLDEN / name
    if os.environ.get("AUGBENCH_REGEN_GOLDEN"):
        expected.write_text(text)
    return expected.read_text()


@pytest.mark.parametrize("cur, extra, status", [
    ("cur_noise.json", [], 0),
    ("cur_regressed.json", [], 1),
    ("cur_missing.json", [], 1),
    ("cur_regressed.json", ["--tolerance", "clean_acc=5", "--tolerance", "total_s=1", "--alpha", "0.01"], 0),
])
def test_golden_summaries_reports_and_exit_status(capsys, tmp_path, cur, extra, status):
    stem = f"{Path(cur).stem}{'-overrides' if extra else ''}"
    code, out, err = run(capsys, "base.json", cur, *extra)
    assert (code, err) == (status, "")
    assert out == _golden(f"{stem}.txt", out)
    code, _, full = report(capsys, tmp_path, "base.json", cur, *extra)
    assert code == status and full == _golden(f"{stem}.md", full)


def _table_rows(text: str, status: str) -> list[list[str]]:
    """The cells of the summary table's rows of one status ("regressed", "missing", ...)."""
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in text.splitlines()
            if line.startswith("|")]
    return [row for row in rows if row[0] == status]


def test_the_crafted_regression_is_named(capsys, tmp_path):
    _, out, full = report(capsys, tmp_path, "base.json", "cur_regressed.json")
    regressed = full.split("## Regressed")[1].split("## Improved")[0]
    assert "| mnist   | mnist-idx    | classic  | 1          | clean_acc |" in regressed
    assert "cifar10" in regressed and "total_s" in regressed
    # The one-seed spike is beyond tolerance but not significant: `~`, not a failure.
    assert "| classic  | 1          | total_s  |" in full.split("(~)")[1]
    assert any(row[1:4] == ["mnist", "mnist-idx", "classic"] and row[5] == "clean_acc"
               for row in _table_rows(out, "regressed"))


def test_the_terminal_gets_a_short_markdown_summary_and_output_the_full_report(capsys, tmp_path):
    code, out, full = report(capsys, tmp_path, "base.json", "cur_regressed.json")
    assert code == 1
    # The counts a CI job page shows first: cells compared, identical, changed, missing, failed.
    header, _, counts = [line for line in out.splitlines() if line.startswith("|")][:3]
    assert [c.strip() for c in header.strip("|").split("|")] == ["cells compared", "identical", "changed", "missing",
                                                                  "failed", "result"]
    assert [c.strip() for c in counts.strip("|").split("|")] == ["3", "0", "3", "0", "0", "**FAIL**: 3 metrics regressed"]
    assert "Metrics: 3 regressed, 1 improved, 16 unchanged, 1 ~" in out
    # One row per regressed or improved metric, nothing for the unchanged or `~` ones; the full report has them.
    assert len(_table_rows(out, "regressed")) == 3 and len(_table_rows(out, "improved")) == 1
    assert "<details>" not in out and "<details><summary>16 unchanged</summary>" in full
    assert full.startswith(out.rsplit("\n\n", 1)[0]) and "compare.md" in out.splitlines()[-1]
    _, without, _ = run(capsys, "base.json", "cur_regressed.json")
    assert without.splitlines()[:-1] == out.splitlines()[:-1] and "--output FILE" in without.splitlines()[-1]


def test_an_unchanged_rerun_counts_every_cell_identical(capsys):
    code, out, _ = run(capsys, "base.json", "base.json")
    counts = [line for line in out.splitlines() if line.startswith("|")][2]
    assert code == 0 and [c.strip() for c in counts.strip("|").split("|")][:3] == ["3", "3", "0"]


def _failed(rows: pd.DataFrame, which: pd.Series) -> pd.DataFrame:
    """`rows` with the rows `which` selects turned into failed runs: no metrics, an error."""
    rows = rows.copy()
    metrics = [name for name in METRICS if name in rows]
    rows[metrics] = rows[metrics].astype(float)
    rows.loc[which, metrics] = float("nan")
    rows.loc[which, ["status", "error"]] = ["failed", "RuntimeError: boom"]
    return rows


def _export(tmp_path: Path, rows: pd.DataFrame, name: str) -> str:
    path = tmp_path / f"{name}.json"
    write_export(rows, path, "json")
    return str(path)


def _lost_cur(tmp_path: Path, how: str) -> str:
    """CUR: the base fixture with cifar10's cell failed, or not run at all."""
    rows = read_rows(GOLDEN / "base.json")
    cifar = rows["task"] == "cifar10"
    return _export(tmp_path, _failed(rows, cifar) if how == "failed" else rows[~cifar], f"cur_{how}")


@pytest.mark.parametrize("how, why", [("failed", "failed in CUR"), ("missing", "only in BASE")])
@pytest.mark.parametrize("allow", [False, True])
def test_a_cell_ok_in_base_lost_in_cur_fails_unless_allowed(capsys, tmp_path, how, why, allow):
    code, out, full = report(capsys, tmp_path, "base.json", _lost_cur(tmp_path, how), *(["--allow-missing"] * allow))
    assert code == (0 if allow else 1)
    assert "cells: 1 ok in BASE but failed or missing in CUR" in out
    (row,) = _table_rows(out, "missing")
    assert row[1:5] == ["cifar10", "cifar10-jpeg", "none", "1"] and why in row[5]
    assert ("(allowed)" in row[5]) == allow
    assert f"| {why} | {'no (--allow-missing)' if allow else 'yes'}" in full


def test_a_seed_ok_in_base_that_failed_in_cur_is_lost(capsys, tmp_path):
    rows = read_rows(GOLDEN / "base.json")
    path = _export(tmp_path, _failed(rows, (rows["method"] == "classic") & (rows["seed"] == 2)), "cur_seed")
    code, out, _ = run(capsys, "base.json", path)
    assert code == 1 and "seed 2 failed in CUR" in out
    assert run(capsys, "base.json", path, "--allow-missing")[0] == 0


def test_cells_only_in_cur_or_seeds_not_run_never_fail():
    base = read_rows(GOLDEN / "base.json")
    one_seed = base[base["seed"] == 0]
    assert not compare(base, one_seed).missing  # a one-seed CI run against a three-seed baseline
    extra = pd.concat([base, frame([make_record("none", 0, task="fashion")])])
    result = compare(base, extra)
    assert [(m.why, m.lost) for m in result.missing] == [("only in CUR", False)] and not result.regressed


def test_a_one_seed_run_is_compared_with_the_same_seed_of_a_three_seed_baseline():
    """`make regress`'s case: seed 0 against seed 0, not against the mean of seeds 0-2 (issue 25, point 5)."""
    base = frame([make_record("none", seed, acc) for seed, acc in ((0, 0.90), (1, 0.95), (2, 0.99))])
    same = compare(base, frame([make_record("none", 0, 0.90)]))
    (clean,) = [c for c in same.changes if c.metric.name == "clean_acc"]
    assert (clean.status, clean.base.n, clean.base.mean) == ("unchanged", 1, 0.90) and not same.regressed
    assert any("compared on CUR's seeds only" in note for note in same.notes)
    lower = compare(base, frame([make_record("none", 0, 0.85)]))  # 5 points below its own seed: caught
    assert [c.status for c in lower.changes if c.metric.name == "clean_acc"] == ["regressed"]
    every_seed = compare(base, base)  # the same seeds on both sides: nothing to say
    assert not any("CUR's seeds only" in note for note in every_seed.notes)


def _metrics_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("Metrics:"))


def test_the_summary_line_says_when_library_versions_differ():
    """Rows made under another scikit-learn (or before rows named it) are compared, and the summary says so."""
    versions = {"pillow": "13.0.0", "scikit-learn": "1.9.1", "scipy": "1.17.1", "torchaudio": "2.11.0", "wn": "0.0.23"}

    def rows(libraries: dict | None, seeds=(0, 1, 2)):
        records = [make_record("none", seed, 0.9 + seed / 1000) for seed in seeds]
        return frame(records).assign(library_versions=None if libraries is None else json.dumps(libraries, sort_keys=True))

    same = compare(rows(versions), rows(versions))
    assert same.libraries == []
    assert "; libraries: same versions." in _metrics_line(summary(same, "BASE", "CUR"))
    newer = compare(rows(versions), rows({**versions, "scikit-learn": "1.10.0"}))
    assert newer.libraries == ["scikit-learn 1.9.1 -> 1.10.0"]
    assert "; libraries DIFFER: scikit-learn 1.9.1 -> 1.10.0" in _metrics_line(summary(newer, "BASE", "CUR"))
    unrecorded = compare(rows(None), rows(versions))  # a baseline from before schema 4
    assert unrecorded.libraries == [f"{name} unrecorded -> {version}" for name, version in sorted(versions.items())]
    mixed = compare(pd.concat([rows(None, (0,)), rows(versions, (1, 2))]), rows(versions))
    assert "scikit-learn 1.9.1/unrecorded -> 1.9.1" in mixed.libraries
    torch_only = compare(rows(versions), rows(versions).assign(torch_version="2.12.0"))
    assert torch_only.libraries == ["torch 2.11.0 -> 2.12.0"]


def test_csv_export_and_store_compare_like_json(capsys, tmp_path):
    _, from_json, _ = run(capsys, "base.json", "cur_regressed.json")
    code, from_csv, _ = run(capsys, "base.json", "cur_regressed.csv")
    assert code == 1 and from_csv.replace("cur_regressed.csv", "cur_regressed.json") == from_json
    store = tmp_path / "runs.sqlite"
    rows = read_rows(GOLDEN / "cur_regressed.json")
    with Store(store) as s:
        for values in rows.astype(object).where(rows.notna(), None).to_dict(orient="records"):
            s.put(RunRecord(**values))
    code, from_store, _ = run(capsys, "base.json", str(store))
    assert code == 1 and from_store.replace(str(store), "cur_regressed.json") == from_json


@pytest.mark.parametrize("argv, names", [
    (["base.json", "nowhere.json"], "nowhere.json"),
    (["base.json", "not_an_export.json"], "not_an_export.json"),
    (["base.json", "cur_smoke.json"], "--allow-profile-mismatch"),
    (["base.json", "cur_other_task.json"], "no cells in common"),
    (["base.json", "cur_noise.json", "--tolerance", "clean_accuracy=1"], "clean_accuracy"),
    (["base.json", "cur_noise.json", "--tolerance", "clean_acc"], "clean_acc"),
    (["base.json", "cur_noise.json", "--alpha", "1.5"], "1.5"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, names):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("augbench: error: ") and names in err


def test_profile_mismatch_can_be_allowed(capsys):
    code, out, _ = run(capsys, "base.json", "cur_smoke.json", "--allow-profile-mismatch")
    assert code in (0, 1) and "Profiles differ" in out


def test_different_settings_are_never_compared():
    base = read_rows(GOLDEN / "base.json")
    result = compare(base, read_rows(GOLDEN / "cur_missing.json"))
    compared = {c.cell[2] for c in result.changes}
    assert compared == {"none"}  # classic ran with padding 4 in CUR, 2 in BASE
    assert sorted(m.why for m in result.missing) == ["only in BASE", "only in BASE", "only in CUR"]


def test_one_seed_per_side_is_judged_by_tolerance_alone():
    base = frame([make_record("none", 0, 0.990)])
    small, large = frame([make_record("none", 0, 0.980)]), frame([make_record("none", 0, 0.960)])
    assert {c.status for c in compare(base, small).changes if c.metric.name == "clean_acc"} == {"unchanged"}
    verdict = [c for c in compare(base, large).changes if c.metric.name == "clean_acc"][0]
    assert verdict.status == "regressed" and pd.isna(verdict.p)


def test_a_cell_that_failed_is_told_apart_from_one_not_run():
    base = read_rows(GOLDEN / "base.json")
    cur = base.copy()
    cur.loc[cur["task"] == "cifar10", "status"] = "failed"
    result = compare(base, cur)
    assert [(m.cell[0], m.why, m.lost) for m in result.missing] == [("cifar10", "failed in CUR", True)]
    assert result.regressed and not compare(base, cur, allow_missing=True).regressed


def test_tiny_times_never_count_whatever_their_ratio():
    generated = dict(fid=30.0, cas=0.8)  # a generative method: its fit time is compared
    base = frame([make_record("vae", s, 0.99, gen_fit_s=2e-6, total_s=7.5, **generated) for s in range(3)])
    cur = frame([make_record("vae", s, 0.99, gen_fit_s=6e-6 + 1e-7 * s, total_s=7.5, **generated) for s in range(3)])
    verdicts = {c.metric.name: c.status for c in compare(base, cur).changes}
    assert verdicts["gen_fit_s"] == "unchanged" and not compare(base, cur).regressed


def test_metrics_that_do_not_apply_are_not_compared(capsys, tmp_path):
    # `none` fits no generator: its fit time (microseconds, a third faster) and its FID/CAS (null) say nothing.
    base = frame([make_record("none", s, 0.99, gen_fit_s=9e-5, total_s=7.5) for s in range(3)])
    cur = frame([make_record("none", s, 0.99, gen_fit_s=6e-5, total_s=7.5) for s in range(3)])
    compared = {c.metric.name for c in compare(base, cur).changes}
    assert "clean_acc" in compared and not compared & {"gen_fit_s", "fid", "cas"}
    assert not compare(base, cur).missing
    # A generative method's fit time is compared, and a slower fit regresses.
    generated = dict(fid=30.0, cas=0.8)
    base = frame([make_record("vae", s, 0.99, gen_fit_s=8.0 + 0.1 * s, **generated) for s in range(3)])
    cur = frame([make_record("vae", s, 0.99, gen_fit_s=16.0 + 0.1 * s, **generated) for s in range(3)])
    verdicts = {c.metric.name: c.status for c in compare(base, cur).changes}
    assert verdicts["gen_fit_s"] == "regressed" and {"fid", "cas"} <= set(verdicts)
    # In the full report too: no gen_fit_s row for the fixtures' non-generative methods.
    _, _, full = report(capsys, tmp_path, "base.json", "cur_regressed.json")
    assert "gen_fit_s" not in full


def test_methods_and_fractions_restrict_both_sides_so_a_larger_baseline_loses_nothing(capsys, tmp_path):
    # CUR ran the mnist cells only (as `make regress` runs the core methods against a baseline holding all).
    rows = json.loads((GOLDEN / "cur_noise.json").read_text())
    records = rows if isinstance(rows, list) else rows["rows"]
    mnist_only = tmp_path / "mnist_only.json"
    mnist_only.write_text(json.dumps([r for r in records if r["task"] == "mnist"]))
    code, out, _ = run(capsys, "base.json", str(mnist_only))
    assert code == 1 and "only in BASE" in out  # the cifar10 cell of BASE counts as lost
    code, out, _ = run(capsys, "base.json", str(mnist_only), "--methods", "classic", "--fractions", "1")
    assert code == 0 and "only in BASE" not in out and "0 ok in BASE but failed or missing" in out
    # The filter never hides a lost cell of a selected method: cifar10/none is still missing.
    code, out, _ = run(capsys, "base.json", str(mnist_only), "--methods", "none")
    assert code == 1 and "cifar10" in out


@pytest.mark.parametrize("argv, names", [
    (["--methods", "nonesuch"], ["nonesuch", "classic"]),
    (["--fractions", "1.5"], ["1.5", "(0, 1]"]),
])
def test_bad_selection_is_one_line_and_exit_2(capsys, argv, names):
    code, out, err = run(capsys, "base.json", "cur_noise.json", *argv)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert all(name in err for name in names)


def test_timings_can_be_reported_without_failing(capsys):
    """`make regress` passes --timings report: a machine's load moves timings, so they are listed, never fail."""
    code, out, _ = run(capsys, "base.json", "cur_regressed.json", "--timings", "report")
    assert code == 1  # the two accuracies still regress
    counts = [line for line in out.splitlines() if line.startswith("|")][2]
    assert "**FAIL**: 2 metrics regressed" in counts
    assert any(row[0] == "regressed (reported)" and row[5] == "total_s" for row in _table_rows(out, "regressed (reported)"))
    base = read_rows(GOLDEN / "base.json")
    slower = base.assign(total_s=base["total_s"] * 3)
    assert compare(base, slower).regressed and not compare(base, slower, gate_timings=False).regressed


def test_base_cells_of_methods_or_sizes_cur_never_ran_are_left_out_unless_every_cell(capsys, tmp_path):
    """`make bench` (core methods, two sizes) against the baseline (every method, a third text size): BASE's other
    methods and sizes are not lost by default, and are with --every-cell; a task CUR lacks still is."""
    base = read_rows(GOLDEN / "base.json")
    extra = frame([make_record("mixup", seed, 0.99) for seed in range(3)]
                  + [make_record("none", seed, 0.95, fraction=0.25) for seed in range(3)])
    bigger = _export(tmp_path, pd.concat([base, extra], ignore_index=True), "bigger_base")
    code, out, _ = run(capsys, bigger, "cur_noise.json")
    assert code == 0 and "0 ok in BASE but failed or missing in CUR" in out
    assert "2 BASE cells of methods or sizes that CUR did not run at all left out" in out
    code, out, _ = run(capsys, bigger, "cur_noise.json", "--every-cell")
    assert code == 1 and "cells: 2 ok in BASE but failed or missing in CUR" in out and "left out" not in out
    # The scope is methods and sizes, never tasks: CUR without cifar10 still lost its cell.
    rows = read_rows(GOLDEN / "cur_noise.json")
    code, out, _ = run(capsys, bigger, _export(tmp_path, rows[rows["task"] != "cifar10"], "cur_mnist"))
    assert code == 1 and "cells: 1 ok in BASE but failed or missing in CUR" in out


def test_compare_says_when_the_sides_ran_under_different_execution_policies(capsys, tmp_path):
    from augbench.core.policy import ExecutionPolicy

    rows = read_rows(GOLDEN / "cur_noise.json")
    pinned = rows.assign(exec_policy=ExecutionPolicy("cpu", 1, 2, "avx2").to_json())
    code, out, _ = run(capsys, "base.json", _export(tmp_path, pinned, "cur_pinned"))
    assert "Execution policies differ (BASE: unrecorded; CUR: cpu, 1 thread, kernels avx2)" in out
    same = run(capsys, _export(tmp_path, pinned, "base_pinned"), _export(tmp_path, pinned, "cur_pinned2"))[1]
    assert "Execution policies differ" not in same
