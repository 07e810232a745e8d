"""`augbench export`: every run-record field, one row per cell, read back with the record's types."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from bench.cli import main
from bench.results.export import columns, read_rows
from bench.results.record import record_fields
from bench.results.store import Store
from fixture_records import make_record


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "runs.sqlite"
    with Store(path) as s:
        for seed in range(2):
            s.put(make_record("none", seed, 0.99 - 0.001 * seed))
            s.put(make_record("classic", seed, 0.98, params={"padding": 2}, pgd_acc=0.1 + seed / 10))
        s.put(make_record("classic", 2, None, status="failed"))
    return path


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_has_every_field_and_every_cell(store, tmp_path, fmt, capsys):
    out = tmp_path / f"export.{fmt}"
    assert main(["export", "--store", str(store), "--format", fmt, "--output", str(out)]) == 0
    raw = pd.read_csv(out) if fmt == "csv" else pd.DataFrame(json.loads(out.read_text()))
    assert list(raw.columns) == [f.name for f in record_fields()] == columns()
    assert len(raw) == 5 and set(raw["status"]) == {"ok", "failed"}
    back = read_rows(out)
    with Store(store) as s:
        original = read_rows(store)
    pd.testing.assert_frame_equal(back.reset_index(drop=True), original.reset_index(drop=True))
    assert back["run_id"].map(type).eq(str).all() and back["git_dirty"].tolist() == [False] * 5


def test_format_follows_the_output_suffix(store, tmp_path):
    out = tmp_path / "latest.csv"
    assert main(["export", "--store", str(store), "--output", str(out)]) == 0
    assert out.read_text().startswith("run_id,task,method,seed")


@pytest.mark.parametrize("argv, named", [
    (["--format", "xml"], "xml"),
    (["--store", "/nonexistent/runs.sqlite"], "/nonexistent/runs.sqlite"),
])
def test_bad_export_input_is_one_line(store, tmp_path, capsys, argv, named):
    argv = ["export", "--store", str(store), "--output", str(tmp_path / "x.json"), *argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and named in err
