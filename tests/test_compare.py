"""`augbench compare`: golden tables and exit statuses on fixture exports, and one-line errors on bad input.

Fixtures and expected tables live in tests/golden/compare (make_fixtures.py writes the fixtures); set
AUGBENCH_REGEN_GOLDEN=1 to rewrite the expected tables after an intended change, then review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from bench.cli import main
from bench.reporting.compare import compare
from bench.results.export import read_rows
from bench.results.record import RunRecord
from bench.results.store import Store
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


@pytest.mark.parametrize("cur, extra, status", [
    ("cur_noise.json", [], 0),
    ("cur_regressed.json", [], 1),
    ("cur_missing.json", [], 0),
    ("cur_regressed.json", ["--tolerance", "clean_acc=5", "--tolerance", "total_s=1", "--alpha", "0.01"], 0),
])
def test_golden_tables_and_exit_status(capsys, cur, extra, status):
    code, out, err = run(capsys, "base.json", cur, *extra)
    expected = GOLDEN / f"{Path(cur).stem}{'-overrides' if extra else ''}.md"
    if os.environ.get("AUGBENCH_REGEN_GOLDEN"):
        expected.write_text(out)
    assert (code, err) == (status, "")
    assert out == expected.read_text()


def test_the_crafted_regression_is_named(capsys):
    _, out, _ = run(capsys, "base.json", "cur_regressed.json")
    regressed = out.split("## Regressed")[1].split("## Improved")[0]
    assert "| mnist   | mnist-idx    | classic  | 1          | clean_acc |" in regressed
    assert "cifar10" in regressed and "total_s" in regressed
    # The one-seed spike is beyond tolerance but not significant: `~`, not a failure.
    assert "| classic  | 1          | total_s  |" in out.split("(~)")[1]


def test_output_file_holds_the_printed_table(capsys, tmp_path):
    target = tmp_path / "pr-comment.md"
    code, out, _ = run(capsys, "base.json", "cur_regressed.json", "--output", str(target))
    assert code == 1 and target.read_text() == out


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
    assert sorted(where for _, where in result.missing) == ["only in BASE", "only in BASE", "only in CUR"]


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
    assert [(cell[0], where) for cell, where in result.missing] == [("cifar10", "failed in CUR")]
    assert not result.regressed


def test_tiny_times_never_count_whatever_their_ratio():
    base = frame([make_record("none", s, 0.99, gen_fit_s=2e-6, total_s=7.5) for s in range(3)])
    cur = frame([make_record("none", s, 0.99, gen_fit_s=6e-6 + 1e-7 * s, total_s=7.5) for s in range(3)])
    verdicts = {c.metric.name: c.status for c in compare(base, cur).changes}
    assert verdicts["gen_fit_s"] == "unchanged" and not compare(base, cur).regressed
