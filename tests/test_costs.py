"""`augbench costs`: where a store's time went, per method and task."""

from __future__ import annotations

from augbench.cli import main
from augbench.reporting.costs import render_costs
from augbench.results.store import Store
from fixture_records import frame, make_record


def test_costs_sum_the_phases_per_method_and_task():
    rows = frame([
        make_record("none", 0, train_s=6.0, eval_s=1.0, gen_fit_s=0.0, total_s=8.0),
        make_record("none", 1, train_s=6.0, eval_s=1.0, gen_fit_s=0.0, total_s=8.0),
        make_record("gan", 0, train_s=6.0, eval_s=4.0, gen_fit_s=20.0, total_s=31.0),
        make_record("gan", 1, status="failed"),
    ])
    text = render_costs(rows, wall_s=60.0)
    assert "| gan      | mnist  | 1       | 31.0      | 66.0%   | 20.0              | 6.0          | 4.0            | 1.0" in text
    assert "| none     | mnist  | 2       | 16.0      | 34.0%   | 0.0               | 12.0         | 2.0            | 2.0" in text
    assert "Sum over 3 ok cells: 47.0 s (generator fit 20.0 s, training 18.0 s, evaluation 6.0 s)" in text
    assert "1 failed cells are not counted" in text
    assert "Wall time of the sweep: 60.0 s (1.0 min); the cells' sum is 78% of it" in text


def test_costs_cli_writes_the_table_and_refuses_bad_input(tmp_path, capsys):
    path = tmp_path / "runs.sqlite"
    with Store(path) as store:
        store.put(make_record("none", 0))
    output = tmp_path / "costs.md"
    assert main(["costs", "--store", str(path), "--output", str(output), "--wall-s", "10"]) == 0
    assert output.read_text() == capsys.readouterr().out
    assert main(["costs", "--store", str(path), "--wall-s", "0"]) == 2
    assert "--wall-s 0.0 is invalid" in capsys.readouterr().err
    assert main(["costs", "--store", str(tmp_path / "none.sqlite")]) == 2
    assert "no store at" in capsys.readouterr().err


def test_a_cache_hit_counts_no_generator_fit_time():
    """A loaded generator's row keeps its original fit time (gen_fit_s), which this sweep did not spend."""
    rows = frame([
        make_record("gan", 0, train_s=6.0, eval_s=4.0, gen_fit_s=20.0, gen_cache_hit=False, total_s=31.0),
        make_record("gan", 1, train_s=6.0, eval_s=4.0, gen_fit_s=20.0, gen_cache_hit=True, total_s=11.0),
    ])
    assert "Sum over 2 ok cells: 42.0 s (generator fit 20.0 s, training 12.0 s, evaluation 8.0 s)" in render_costs(rows)
