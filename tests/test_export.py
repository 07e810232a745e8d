"""`augbench export`: every run-record field, one row per cell, read back with the record's types."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from augbench.cli import main
from augbench.config.cell import canonical_json
from augbench.results.export import JSON_FIELDS, columns, export_text, read_rows
from augbench.results.record import record_fields
from augbench.results.store import Store
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


BASELINE = Path(__file__).resolve().parent.parent / "results" / "baselines" / "quick-cpu.json"


@pytest.fixture
def real_store(tmp_path):
    """Rows spelled as the sweep writes them: canonical configs, a validation curve, per-corruption accuracies."""
    path = tmp_path / "real.sqlite"
    with Store(path) as s:
        for seed, hit in enumerate([False, True, None]):
            record = make_record("vae", seed, 0.9 + seed / 100, gen_fit_s=8.25, gen_cache_hit=hit,
                                 val_curve=json.dumps([0.5, 0.75 + seed / 1000, 0.8]), converged=True,
                                 corruption_json=json.dumps({"jpeg": 0.5, "contrast": 1 / 3}, sort_keys=True))
            record.method_params = canonical_json({"ratio": 0.5, "labels": "frequency", "steps": 300})
            record.train_config = canonical_json({"epochs": 2, "lr": 0.1, "train_pool": None})
            record.eval_config = canonical_json({"pgd_steps": 10})
            record.task_params = canonical_json({"source": "auto"})
            s.put(record)
    return path


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_output_dash_writes_the_export_alone_to_stdout(real_store, capsys, fmt):
    assert main(["export", "--store", str(real_store), "--format", fmt, "--output", "-"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    with Store(real_store) as s:
        assert out == export_text(s.frame(), fmt)
    rows = json.loads(out) if fmt == "json" else out.splitlines()[1:]
    assert len(rows) == 3


def test_json_export_nests_the_json_fields_and_csv_keeps_text(real_store, tmp_path):
    assert main(["export", "--store", str(real_store), "--output", str(tmp_path / "x.json")]) == 0
    row = json.loads((tmp_path / "x.json").read_text())[0]
    assert set(JSON_FIELDS) <= set(columns())
    assert row["method_params"] == {"labels": "frequency", "ratio": 0.5, "steps": 300}
    assert row["train_config"]["train_pool"] is None and row["task_params"] == {"source": "auto"}
    assert row["val_curve"] == [0.5, 0.75, 0.8] and row["corruption_json"] == {"contrast": 1 / 3, "jpeg": 0.5}
    assert row["gen_cache_hit"] is False and row["gen_fit_s"] == 8.25
    assert main(["export", "--store", str(real_store), "--output", str(tmp_path / "x.csv")]) == 0
    text = pd.read_csv(tmp_path / "x.csv", dtype=str)
    assert text["method_params"][0] == '{"labels":"frequency","ratio":0.5,"steps":300}'


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_rows_read_back_equal_the_store_rows(real_store, tmp_path, fmt):
    out = tmp_path / f"x.{fmt}"
    assert main(["export", "--store", str(real_store), "--output", str(out)]) == 0
    back = read_rows(out)
    with Store(real_store) as s:
        raw = s.frame()
    pd.testing.assert_frame_equal(back, read_rows(real_store))
    for name in JSON_FIELDS:  # the very text the store holds
        assert back[name].tolist() == raw[name].tolist()
    assert back["gen_cache_hit"].tolist() == [False, True, None]


def test_an_old_json_export_with_json_text_reads_like_a_new_one(real_store, tmp_path):
    new = tmp_path / "new.json"
    assert main(["export", "--store", str(real_store), "--output", str(new)]) == 0
    rows = json.loads(new.read_text())
    for row in rows:  # the old spelling: nested fields as strings, no gen_cache_hit column
        row.pop("gen_cache_hit")
        row.update({name: json.dumps(row[name]) for name in JSON_FIELDS if row[name] is not None})
    old = tmp_path / "old.json"
    old.write_text(json.dumps(rows))
    expected = read_rows(new).assign(gen_cache_hit=None)
    pd.testing.assert_frame_equal(read_rows(old), expected)


def test_the_committed_baseline_still_reads():
    raw = json.loads(BASELINE.read_text())
    rows = read_rows(BASELINE)
    assert len(rows) == len(raw) > 0 and list(rows.columns) == columns()
    # rows written before the column existed hold null there and read as missing; newer ones keep their flag
    assert [None if pd.isna(v) else bool(v) for v in rows["gen_cache_hit"]] == [r.get("gen_cache_hit") for r in raw]
    for name, spell in JSON_FIELDS.items():  # its JSON (text in older exports, nested since) reads back as the sweep spells it
        read = [None if pd.isna(v) else v for v in rows[name]]  # missing reads as missing (pandas' str dtype: NaN)
        # (a field newer than the export, e.g. guard_json in a schema-4 export, is absent and reads as missing)
        assert read == [r.get(name) if r.get(name) is None or isinstance(r[name], str) else spell(r[name]) for r in raw]
    assert rows["run_id"].tolist() == [r["run_id"] for r in raw]


def test_a_schema_2_store_is_migrated_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.sqlite"
    old_fields = [f.name for f in record_fields() if f.name != "gen_cache_hit"]
    conn = sqlite3.connect(path)
    conn.execute(f"CREATE TABLE runs ({', '.join(old_fields)}, PRIMARY KEY (run_id))")
    old = make_record("none", 0).as_dict()
    conn.execute(f"INSERT INTO runs VALUES ({', '.join('?' for _ in old_fields)})", [old[n] for n in old_fields])
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    with Store(path) as s:
        s.put(make_record("vae", 0, gen_fit_s=3.0, gen_cache_hit=True))
        rows = s.frame().set_index("method")
    assert rows.loc["none", "gen_cache_hit"] is None and rows.loc["vae", "gen_cache_hit"] is True
    assert rows.loc["none", "clean_acc"] == 0.99 and len(read_rows(path)) == 2


def test_git_dirty_means_the_code_changed_not_a_results_file(tmp_path):
    import subprocess

    from augbench.core.provenance import git_state as cached

    git_state = cached.__wrapped__  # the run's answer is cached once per process; here each call must look again

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)
    git("init", "-q")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "store.sqlite").write_text("rows")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "c")
    assert git_state(tmp_path)[1] is False
    (tmp_path / "results" / "store.sqlite").write_text("rows rewritten by a study")
    assert git_state(tmp_path)[1] is False  # a study rewriting its committed store does not dirty its rows
    (tmp_path / "code.py").write_text("x = 2 + 2\n")
    assert git_state(tmp_path)[1] is True
