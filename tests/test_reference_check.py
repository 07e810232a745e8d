"""The CI reference check (`augbench compare --exact`) on copies of the committed reference: identical rows pass,
a changed number or a missing cell fails with one line naming it and `make ci-reference`, timings never fail,
and where the hardware string differs the measured tolerances decide."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from augbench.cli import main
from augbench.reporting.reference_check import CROSS_HARDWARE, check, failure_lines
from augbench.results.export import read_rows, write_export

REFERENCE = Path(__file__).resolve().parents[1] / "results" / "ci" / "reference.json"


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return read_rows(REFERENCE)


def run_exact(capsys, tmp_path: Path, current: pd.DataFrame) -> tuple[int, str]:
    path = tmp_path / "current.json"
    write_export(current, path, "json")
    code = main(["compare", "--exact", str(REFERENCE), str(path)])
    return code, capsys.readouterr().out


def _row(rows: pd.DataFrame, method: str, task: str = "mnist") -> int:
    return rows.index[(rows["method"] == method) & (rows["task"] == task)][0]


def test_the_reference_covers_every_stage_a_regression_could_hide_in(reference):
    assert set(reference["seed"]) == {0} and set(reference["profile"]) == {"quick"} and set(reference["status"]) == {"ok"}
    image = reference[reference["task"] == "mnist"]
    assert {"none", "classic", "adversarial", "randaugment"} <= set(image["method"])  # randaugment: per-sample policy
    generator = image[image["fid"].notna() & image["cas"].notna()]
    assert len(generator) == 1 and generator["gen_filter_kept"].notna().all()  # FID, CAS and the confidence filter
    assert image.loc[image["method"] == "adversarial", "pgd_acc"].notna().all()
    assert (reference["task"] == "trec").any()  # a feature task
    assert reference["total_s"].sum() < 240  # about 2 min of cells on one thread


def test_an_unchanged_rerun_passes_with_every_cell_identical(capsys, tmp_path, reference):
    code, out = run_exact(capsys, tmp_path, reference)
    n = len(reference)
    assert code == 0 and f"| {n}" in out and "| pass" in out and "every number must be identical" in out


def test_a_changed_metric_fails_with_one_line_naming_cell_metric_values_and_the_fix(capsys, tmp_path, reference):
    changed = reference.copy()
    at = _row(changed, "classic")
    old = changed.at[at, "clean_acc"]
    changed.at[at, "clean_acc"] = old - 1e-4  # even a hundredth of a point on the reference's hardware
    code, out = run_exact(capsys, tmp_path, changed)
    lines = [line for line in out.splitlines() if line.startswith("- ci-reference:")]
    assert code == 1 and len(lines) == 1, out
    assert f"mnist/classic fraction=0.5 seed=0: clean_acc reference {old!r} new {old - 1e-4!r}" in lines[0]
    assert "make ci-reference" in lines[0] and "**FAIL**" in out


def test_a_missing_cell_fails(capsys, tmp_path, reference):
    code, out = run_exact(capsys, tmp_path, reference[reference["method"] != "vae"])
    assert code == 1 and "mnist/vae fraction=0.5 seed=0: in the reference, missing from the new run" in out


def test_a_failed_cell_fails(reference):
    failed = reference.copy()
    at = _row(failed, "adversarial")
    failed.loc[at, ["status", "error"]] = ["failed", "RuntimeError: boom\nTraceback ..."]
    result = check(reference, failed)
    assert not result.passed and result.failed == ["mnist/adversarial fraction=0.5 seed=0: RuntimeError: boom"]


def test_timings_and_provenance_never_fail(reference):
    slower = reference.copy()
    for column in ("total_s", "train_s", "eval_s", "gen_fit_s", "train_throughput", "aug_throughput", "peak_mem_mb"):
        slower[column] = slower[column] * 3
    slower["git_commit"], slower["started_at"] = "0" * 40, "2030-01-01T00:00:00+00:00"
    result = check(reference, slower)
    assert result.passed and len(result.identical) == len(reference)
    assert any(t[1] == "total_s" and t[4] == "+200%" for t in result.timings)


def test_other_hardware_is_judged_by_the_measured_tolerances(reference):
    elsewhere = reference.copy()
    elsewhere["device_name"] = "Some Other CPU x4 threads"
    curve = json.loads(elsewhere.at[_row(elsewhere, "none"), "val_curve"])
    elsewhere.at[_row(elsewhere, "none"), "val_curve"] = json.dumps([v if v is None else v + 0.001 for v in curve])
    small = CROSS_HARDWARE["clean_acc"] / 100 / 2
    elsewhere.at[_row(elsewhere, "none"), "clean_acc"] += small
    within = check(reference, elsewhere)
    assert within.passed and "mnist/none fraction=0.5 seed=0" in within.within
    assert within.hardware[0].startswith("differs:")
    elsewhere.at[_row(elsewhere, "classic"), "pgd_acc"] = reference.at[_row(reference, "classic"), "pgd_acc"] + \
        3 * CROSS_HARDWARE["pgd_acc"] / 100
    beyond = check(reference, elsewhere)
    assert not beyond.passed
    assert [line.split(": ")[1:3] for line in failure_lines(beyond)] == \
        [["mnist/classic fraction=0.5 seed=0", f"pgd_acc reference {reference.at[_row(reference, 'classic'), 'pgd_acc']!r} "
          f"new {elsewhere.at[_row(elsewhere, 'classic'), 'pgd_acc']!r} (a change meant to alter numbers regenerates the reference"]]


def test_every_compared_number_has_a_cross_hardware_tolerance():
    """A number with no tolerance would end the check with a KeyError on the first machine of another kind."""
    from augbench.results.metrics import NUMBER_METRICS

    assert set(NUMBER_METRICS) <= set(CROSS_HARDWARE)


def test_exact_takes_no_tolerance_options(capsys, tmp_path):
    code = main(["compare", "--exact", str(REFERENCE), str(REFERENCE), "--tolerance", "clean_acc=1"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--exact" in err and "--tolerance" in err
