"""Make one task's rows of the committed quick baseline again, after a change that moves only that task's numbers
(issue 33: FSDD's 16-band maps and 150/300 recordings), with the commands `make baseline` runs, restricted to the
task: the core grid over CORE_SEEDS seeds, every other method the baseline holds for the task over 3, and the task's part of the generated-data
grid (augbench/config/generated_grid.py) over 3, and for the text tasks the third size `make baseline` runs (issue 37
gave their rows the word-substitution attack). Then export the store and put the rows in the baseline's place:

    .venv/bin/python studies/policy/regenerate_task.py fsdd results/baseline-run-fsdd/runs.sqlite
    .venv/bin/python -m bench export --store results/baseline-run-fsdd/runs.sqlite --output /tmp/fsdd.json
    .venv/bin/python studies/policy/merge_policy_rows.py /tmp/fsdd.json --add --drop 'fsdd:*'

Run from the repository root of a clean clone (rows record the commit). A rerun skips the cells the store holds.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, ".")
from augbench.config import generated_grid  # noqa: E402

BASELINE = "results/baselines/quick-cpu.json"
THIRD_SIZE_TASKS = ("sst2", "trec")  # `make baseline` runs them at fraction 0.25 too (none and eda)


def makefile_value(name: str) -> str:
    match = re.search(rf"^{name}\s*\??:?=\s*(.*)$", Path("Makefile").read_text(), re.M)
    if match is None:
        sys.exit(f"Makefile defines no {name}")
    return match.group(1).strip()


def others(task: str) -> str:
    """The task's other methods as `make baseline` runs them (`--methods all`): those the baseline holds for the task
    and every registered method that applies to it (a method registered since the baseline was made, such as
    adversarial_wave for FSDD, joins with the task's next regeneration)."""
    from augbench.methods.compose import method_class, resolve_methods
    from augbench.tasks import TASKS

    rows = json.loads(Path(BASELINE).read_text())
    held = {r["method"] for r in rows if r["task"] == task and r["generator_data"] != "pool"}
    registered = {m for m in resolve_methods("all") if method_class(m).applies_to(TASKS.get(task))}
    methods = sorted((held | registered) - set(makefile_value("CORE_METHODS").split(",")) - {generated_grid.COMPOSITION})
    if not held:
        sys.exit(f"the baseline holds no rows of task {task}")
    return ",".join(methods)


def main(task: str, store: str) -> None:
    run = [sys.executable, "-m", "bench", "run", "--profile", "quick", "--device", "cpu", "--tasks", task,
           "--store", store, "--no-progress"]
    commands = [run + ["--methods", makefile_value("CORE_METHODS"), "--seeds", makefile_value("CORE_SEEDS")],
                run + ["--methods", others(task), "--seeds", "3"]]
    if task in THIRD_SIZE_TASKS:  # `make baseline`'s third size of the text tasks (500 sentences)
        commands.append(run + ["--methods", "none,eda", "--fractions", "0.25", "--seeds", "3"])
    for tasks, methods, fractions, params in generated_grid.runs():
        if task in tasks:
            commands.append(run + ["--methods", ",".join(methods), "--seeds", "3",
                                   "--fractions", ",".join(f"{f:g}" for f in fractions)]
                            + [item for p in params for item in ("--param", p)])
    Path(store).parent.mkdir(parents=True, exist_ok=True)
    status = 0
    for command in commands:
        print("+", " ".join(command[1:]), flush=True)
        status = subprocess.call(command) or status
    sys.exit(status)


if __name__ == "__main__":
    main(*sys.argv[1:])
