"""The committed baseline is the grid `make bench` runs: planning its cells today reproduces every run_id.

A run_id is the config hash of everything that determines a cell's result. If a code change alters a
default (a profile's epochs, a method's parameters, a task's split) without a new baseline, `augbench
compare` would match no cell of the baseline against a fresh run; this test catches that at once.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from augbench.config import generated_grid
from augbench.config.params import parse_param_overrides
from augbench.runner.sweep import SweepSpec, plan

BASELINE = Path(__file__).resolve().parent.parent / "results" / "baselines" / "quick-cpu.json"


def test_planned_quick_grid_reproduces_the_baseline_run_ids(data_root):
    rows = json.loads(BASELINE.read_text())
    assert rows, "the committed baseline is empty"
    spec = SweepSpec(
        tasks=sorted({r["task"] for r in rows}), methods=sorted({r["method"] for r in rows} - {generated_grid.COMPOSITION}),
        seeds=sorted({r["seed"] for r in rows}), fractions=sorted({r["fraction"] for r in rows}),
        profile="quick", device=torch.device("cpu"), data_dir=str(data_root),
    )
    planned = {p.cell.run_id for p in plan(spec)}
    for tasks, methods, fractions, params in generated_grid.runs():  # the generated-data grid (bench-generated)
        grid = SweepSpec(tasks=tasks, methods=methods, seeds=spec.seeds, fractions=fractions, profile="quick",
                         device=torch.device("cpu"), data_dir=str(data_root), overrides=parse_param_overrides(params))
        planned |= {p.cell.run_id for p in plan(grid)}
    baseline = {r["run_id"] for r in rows}
    assert {r["profile"] for r in rows} == {"quick"}
    assert baseline <= planned, f"baseline cells no longer planned: {sorted(baseline - planned)[:5]}"


def test_repo_root_is_the_checkout():
    """Provenance (git commit), executors and the reproductions folder all resolve paths from REPO_ROOT."""
    from augbench.core.provenance import REPO_ROOT

    assert (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "augbench" / "cli.py").is_file()


def test_the_makefile_runs_the_generated_grid_the_baseline_is_checked_against():
    """`make bench-generated` spells augbench/config/generated_grid.py for the shell: the two must not drift."""
    import re

    makefile = (BASELINE.parents[2] / "Makefile").read_text()
    exchange = re.search(r"^EXCHANGE := (.*?)\n(?!\s)", makefile.replace("\\\n", " "), re.M | re.S).group(1).split()
    spelled = {}
    for point in exchange:
        task, fractions, ks = point.split(":")
        spelled[(task, tuple(float(f) for f in fractions.split(",")))] = tuple(float(k) for k in ks.split(","))
    assert spelled == {key: tuple(float(k) for k in ks) for key, ks in generated_grid.EXCHANGE.items()}
    assert re.search(r"^POOL_ARGS := (.*)$", makefile, re.M).group(1).split() == [
        item for param in generated_grid.POOL_PARAMS for item in ("--param", param)]
    assert f"--methods {generated_grid.COMPOSITION}" in makefile
