"""augbench from Python: run a grid, load stored results, write the leaderboard.

    import augbench

    rows = augbench.run(tasks="mnist", methods="none,classic", profile="quick", seeds=3)
    rows.groupby("method")["clean_acc"].mean()
    everything = augbench.load("results/baselines/quick-cpu.json")
    augbench.report(everything, "leaderboard.md", html="report.html")

The functions take what the CLI takes (the same names, Python values instead of strings where that is natural)
and check it the same way; bad input raises `augbench.UsageError` (the CLI's one-line error) instead of exiting.
Rows are pandas DataFrames with the run record's columns (augbench/results/record.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import augbench  # noqa: F401  (the package's import applies the execution policy before numpy and torch load)
from augbench.core.errors import UsageError

from augbench.runner.plugins import register_method, register_task

__all__ = ["UsageError", "load", "register_method", "register_task", "report", "run"]


def _csv(value: str | Iterable[object] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return ",".join(str(v) for v in value)


def run(tasks: str | Sequence[str] = "all", methods: str | Sequence[str] = "all", *, profile: str = "smoke",
        seeds: int | Sequence[int] | None = None, fractions: str | Sequence[float] | None = None,
        params: Sequence[str] = (), store: str | Path | None = None, device: str = "auto",
        workers: int | None = None, threads: int | None = None, data_dir: str | Path | None = None,
        include: Sequence[str | Path] = (), force: bool = False, progress: bool = False):
    """Run the grid tasks x methods x seeds x fractions (cells already in `store` are reused) and return its rows.

    Args:
        tasks: task names, patterns or `all`, as a comma-separated string or a list (`augbench list`).
        methods: method names, patterns, compositions (`a+b`) or `all`, likewise.
        profile: smoke, quick or full.
        seeds: a count (seeds 0..N-1), or a list of seeds.
        fractions: train fractions (default: the profile's).
        params: `--param` overrides, e.g. ["vae.data=pool", "train.epochs=5"].
        store: the SQLite store (default: results/runs.sqlite).
        device: auto, cpu or cuda.
        workers: cells at once (default: the execution policy's).
        threads: torch threads per cell (default: the policy's; changes digits).
        data_dir: the data root (default: $AUGBENCH_DATA).
        include: plugin files, as `--include` loads them.
        force: rerun cells already stored.
        progress: show progress bars.
    Returns:
        A DataFrame with one row per cell of the grid, failed cells included (`status`, `error`).
    Raises:
        UsageError: bad input, named as the CLI names it; nothing is stored.
    """
    from augbench.cli import build_parser, run_command
    from augbench.runner.plugins import load_plugins
    from augbench.results.export import read_rows
    from augbench.results.store import DEFAULT_STORE

    argv = ["run", "--tasks", _csv(tasks), "--methods", _csv(methods), "--profile", profile, "--device", device]
    if seeds is not None:
        argv += ["--seeds", str(seeds) if isinstance(seeds, int) else _csv(seeds) + ("," if len(seeds) == 1 else "")]
    if fractions is not None:
        argv += ["--fractions", _csv(fractions)]
    for value in params:
        argv += ["--param", value]
    for name, value in (("--store", store), ("--workers", workers), ("--threads", threads), ("--data-dir", data_dir)):
        if value is not None:
            argv += [name, str(value)]
    argv += ["--force"] * force + ["--no-progress"] * (not progress)
    args = build_parser().parse_args(argv)
    load_plugins([str(p) for p in include])
    _, run_ids = run_command(args)
    rows = read_rows(Path(store or DEFAULT_STORE))
    return rows[rows["run_id"].isin(run_ids)].reset_index(drop=True)


def load(path: str | Path):
    """The rows of a store (.sqlite) or an export (.json, .csv) as a DataFrame. Raises UsageError when unreadable."""
    from augbench.results.export import read_rows

    return read_rows(path)


def report(rows, output: str | Path = "results/leaderboard.md", html: str | Path | None = None) -> Path:
    """Write the leaderboard of `rows` (a DataFrame, or a path `load` reads) as markdown to `output`, and as the
    HTML report to `html` when given; returns `output`'s path. The same pages `augbench report` writes (no plots)."""
    from augbench.reporting.html_report import write_html
    from augbench.reporting.leaderboard import build, render_markdown

    frame = load(rows) if isinstance(rows, (str, Path)) else rows
    board = build(frame)
    output = Path(output)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(render_markdown(board), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None
    if html is not None:
        write_html(board, Path(html).parent / "no-plots", html)
    return output
