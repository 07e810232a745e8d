"""The `augbench` command line: list, run, report, export, compare, history, perf, costs, validate, reproduce, env. Bad input is one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Sequence

from augbench.core.errors import UsageError

EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    """argparse whose errors are a single line (no usage dump) with exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def package_version() -> str:
    """The version, from the one place it is written (augbench/_version.py, which the wheel's metadata reads too)."""
    from augbench._version import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="augbench",
        description="Benchmark data-augmentation methods: accuracy, robustness and cost, one stored row per cell.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples("augbench list", "augbench run --tasks mnist --methods all --profile quick",
                         "augbench compare results/baselines/quick-cpu.json results/latest.json"),
    )
    parser.add_argument("--version", action="version", version=f"augbench {package_version()}",
                        help="print the version and exit")
    parser.add_argument("--include", action="append", default=[], metavar="FILE.py",
                        help="load methods or tasks from a local file (repeatable; see docs/extending.md#plugins); "
                             "packages' entry points (augbench.methods, augbench.tasks) are loaded always")
    sub = parser.add_subparsers(dest="command", metavar="{list,run,report,export,compare,history,perf,costs,validate,reproduce,env}", parser_class=OneLineParser)

    p_list = sub.add_parser(
        "list", help="methods, tasks and profiles with one-line descriptions; --params: every --param",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples("augbench list", "augbench list 'c*'", "augbench list --params",
                         "augbench list --params adversarial", "augbench list --params '*.eps*'"),
    )
    p_list.add_argument("pattern", nargs="?", default="*", help="fnmatch pattern over names (default: *)")
    p_list.add_argument("--params", nargs="?", const="", default=None, metavar="PATTERN",
                        help="list every --param OWNER.KEY (methods, tasks, train, robust) with its type, default and "
                             "description; PATTERN: a substring of OWNER.KEY, or a glob when it has *?[")

    p_run = sub.add_parser(
        "run", help="run a sweep of cells (task x method x seed x fraction) into the store",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples(
            "augbench run --tasks mnist,cifar10 --methods all --profile quick",
            "augbench run --tasks mnist --methods classic --seeds 3 --fractions 0.1,1 --param classic.padding=2",
            "augbench run --tasks 'c*' --methods none --profile full --device cuda --force",
            "augbench run --profile full --device cuda --executor submitit --slurm-partition gpu --slurm-time 60",
        ),
    )
    p_run.add_argument("--tasks", default="all", help="comma-separated task names, wildcards or 'all' (default: all)")
    p_run.add_argument("--methods", default="all", help="comma-separated method names, wildcards or 'all' (default: all)")
    p_run.add_argument("--seeds", default=None, help="number of seeds N (seeds 0..N-1) or a list like 0,3; one seed alone with a trailing comma: 3, (default: the profile's)")
    p_run.add_argument("--fractions", default=None, help="train fractions in (0, 1], comma-separated (default: the profile's)")
    p_run.add_argument("--profile", default="quick", help="smoke, quick or full (default: quick)")
    p_run.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    p_run.add_argument("--data-dir", default=None, help="data root (default: $AUGBENCH_DATA)")
    p_run.add_argument("--store", default=None, help="SQLite results store (default: results/runs.sqlite)")
    p_run.add_argument("--param", action="append", default=[], metavar="OWNER.KEY=VALUE",
                       help="override a method, task or training parameter (owner 'train'); repeatable")
    p_run.add_argument("--force", action="store_true", help="rerun cells already in the store")
    p_run.add_argument("--download", action="store_true", help="fetch missing official datasets through torchvision (needs a network)")
    p_run.add_argument("--no-progress", action="store_true", help="no progress bars (they show only on a terminal anyway)")
    p_run.add_argument("--calibrate", action="store_true",
                       help="time the reference ResNet-9 for 3 s before the sweep and print this machine's speed "
                            "next to the wall time, scaled to the machine the 15-minute budget of `make bench` assumes")
    p_run.add_argument("--compile", default="auto", metavar="{auto,on,off}",
                       help="torch.compile the training forward; auto: the measured faster choice for the device "
                            "(eager on CPU and, until measured, on CUDA). Not part of the config hash")
    p_exec = p_run.add_argument_group(
        "executors", "where cells run; workers return rows and this process alone writes the store (docs/speed-and-scale.md)")
    p_exec.add_argument("--executor", default="local",
                        help="local (default), submitit (Slurm job array; extra augbench[slurm]) or ray (extra augbench[ray])")
    p_exec.add_argument("--workers", type=int, default=None,
                        help="local: cells at once, each in a worker process (default on CPU: the cores divided by "
                             "--threads; on CUDA: one per visible GPU when there are several, else in-process); "
                             "submitit without Slurm: jobs at a time (default 1). Changes timings, never digits")
    p_exec.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads per cell (default on CPU: 1, the execution policy's; the count "
                             "changes a result's last digits and is stored in each row's exec_policy)")
    p_exec.add_argument("--cells-per-job", type=int, default=1, help="submitit/ray: cells run one after another per job (default 1)")
    p_exec.add_argument("--executor-folder", default=None, help="submitit: job scripts, pickles and logs (default: results/executor)")
    p_exec.add_argument("--slurm-partition", default=None, help="submitit: Slurm partition(s), comma-separated")
    p_exec.add_argument("--slurm-time", type=int, default=120, metavar="MINUTES",
                        help="submitit: time limit of one job in minutes (default 120)")
    p_exec.add_argument("--slurm-gpus", type=int, default=None, help="submitit: GPUs per job (default: 1 with --device cuda, else 0)")
    p_exec.add_argument("--slurm-cpus", type=int, default=None, help="submitit: CPU cores per job")
    p_exec.add_argument("--slurm-mem-gb", type=int, default=None, help="submitit: memory per job in GB")
    p_exec.add_argument("--slurm-array-parallelism", type=int, default=None,
                        help="submitit: array tasks running at once (default: submitit's, 256)")
    p_exec.add_argument("--ray-address", default=None, help="ray: cluster address (default: start a local Ray)")

    p_report = sub.add_parser(
        "report", help="write the leaderboard (markdown), the plots and the self-contained HTML report from the store",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples(
            "augbench report",
            "augbench report --store /tmp/runs.sqlite --output /tmp/leaderboard.md --html /tmp/report.html",
            "augbench report --no-plots",
            "augbench report --store results/baselines/quick-cpu.json --output /tmp/baseline/leaderboard.md",
        ),
    )
    p_report.add_argument("--store", default=None,
                          help="SQLite results store, or a json/csv export (default: results/runs.sqlite)")
    p_report.add_argument("--output", default="results/leaderboard.md", help="markdown file to write (default: results/leaderboard.md)")
    p_report.add_argument("--html", default=None,
                          help="HTML report to write (default: report.html beside --output)")
    p_report.add_argument("--plots-dir", default=None,
                          help="folder for the PNG and SVG plots, also read for sample grids (default: plots/ beside --output)")
    p_report.add_argument("--no-plots", action="store_true", help="write the markdown and HTML without drawing plots")
    p_report.add_argument("--readme", default=None, metavar="PATH",
                          help="also write the headline table (the summary cut to the smallest size per task) between "
                               "the headline markers of this README (make readme)")

    p_export = sub.add_parser(
        "export", help="export the store as csv or json: one row per cell, every field of the run record",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples(
            "augbench export",
            "augbench export --format csv --output results/latest.csv",
            "augbench export --store /tmp/runs.sqlite --output results/baselines/quick-cpu.json",
            "augbench export --output - | jq '.[].method_params.ratio'",
        ),
    )
    p_export.add_argument("--store", default=None, help="SQLite results store (default: results/runs.sqlite)")
    p_export.add_argument("--format", default=None, metavar="{csv,json}",
                          help="file format (default: from --output's suffix, else json)")
    p_export.add_argument("--output", default=None,
                          help="file to write, or - for standard output (default: results/latest.<format>)")

    p_compare = sub.add_parser(
        "compare", help="compare CUR against BASE (exports or stores); exit 1 when a metric regressed or a cell "
                        "ok in BASE failed or is missing in CUR",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples(
            "augbench compare results/baselines/quick-cpu.json results/latest.json",
            "augbench compare base.json results/runs.sqlite --output compare.md --tolerance clean_acc=0.5",
            "augbench compare base.csv cur.csv --alpha 0.01 --tolerance total_s=0.5 --allow-profile-mismatch",
            "augbench compare base.json partial.json --allow-missing",
            "augbench compare results/baselines/quick-cpu.json cur.json --methods none,classic --fractions 0.5,1",
            "augbench compare --exact results/ci/reference.json results/ci/work/runs.sqlite   # what make test runs",
        ),
    )
    p_compare.add_argument("base", help="baseline: a json or csv export, or a SQLite store")
    p_compare.add_argument("cur", help="current results: a json or csv export, or a SQLite store")
    p_compare.add_argument("--tolerance", action="append", default=[], metavar="METRIC=VALUE",
                           help="override a metric's tolerance: percentage points for accuracies, a share of the "
                                "baseline (0.2 = 20%%) for throughput, time and FID; repeatable")
    p_compare.add_argument("--methods", default=None,
                           help="compare only these methods' cells in their default setting (comma-separated, wildcards; "
                                "pool-regime generators and exchange-curve cells are left out; default: every cell of both)")
    p_compare.add_argument("--fractions", default=None,
                           help="compare only cells at these train fractions, comma-separated (default: every fraction)")
    p_compare.add_argument("--alpha", type=float, default=None, help="significance level of Welch's t-test (default: 0.05)")
    p_compare.add_argument("--allow-profile-mismatch", action="store_true",
                           help="compare results of different profiles (matching cells ignore profile and training config)")
    p_compare.add_argument("--every-cell", action="store_true",
                           help="count every BASE cell CUR lacks as lost (default without --methods/--fractions: only "
                                "cells of the methods and sizes CUR ran, on every task; BASE's other cells are left out)")
    p_compare.add_argument("--allow-missing", action="store_true",
                           help="report cells ok in BASE but failed or missing in CUR without failing (exit 0 unless a metric regressed)")
    p_compare.add_argument("--output", default=None,
                           help="write the markdown report to this file (a CI job page, a PR comment): the summary the "
                                "terminal gets, then every row")
    p_compare.add_argument("--timings", choices=("gate", "report"), default="gate",
                           help="gate: a timing or memory metric beyond tolerance fails like any other (default); "
                                "report: it is listed but never fails (make regress: a machine's load moves timings)")
    p_compare.add_argument("--exact", action="store_true",
                           help="the CI reference check: match rows by run_id; on the reference's hardware every number "
                                "must be identical, elsewhere within the measured cross-hardware tolerances; timings "
                                "never fail (docs/compare.md, 'CI reference')")

    p_perf = sub.add_parser(
        "perf", help="classic augmentation throughput vs the usual torchvision DataLoader pipeline (and Kornia), "
                     "trainer eager vs torch.compile, time-to-accuracy on a GPU",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples(
            "augbench perf --output results/perf.md",
            "augbench perf --tasks cifar10 --device cuda --no-tta",
            "augbench perf --tasks mnist --images 4096 --no-train --no-tta",
        ),
    )
    p_perf.add_argument("--tasks", default="all", help="image tasks, comma-separated, wildcards or 'all' (default: all image tasks)")
    p_perf.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    p_perf.add_argument("--data-dir", default=None, help="data root (default: $AUGBENCH_DATA)")
    p_perf.add_argument("--batch-size", type=int, default=None,
                        help="images per batch, the same for every pipeline (default: the task's training batch: "
                             "full profile on CUDA, quick on CPU)")
    p_perf.add_argument("--images", type=int, default=None, help="images timed per pipeline and task (default: one pass over the training split)")
    p_perf.add_argument("--repeats", type=int, default=3, help="timed segments per pipeline; the median is reported (default 3)")
    p_perf.add_argument("--workers", type=int, default=None, help="DataLoader workers of the torchvision pipeline (default: CPU cores)")
    p_perf.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads of this process: pipelines (a), (c), the main process of (b) and the "
                             "trainer (default: torch's, one per core)")
    p_perf.add_argument("--train-steps", type=int, default=30, help="timed trainer steps per setting (default 30)")
    p_perf.add_argument("--no-kornia", action="store_true", help="leave out Kornia's pipeline even when installed")
    p_perf.add_argument("--no-train", action="store_true", help="skip the trainer's eager vs torch.compile measurement")
    p_perf.add_argument("--no-tta", action="store_true", help="skip time-to-accuracy (it runs only on CUDA anyway)")
    p_perf.add_argument("--peak-bandwidth", type=float, default=None, metavar="GB/S",
                        help="the GPU's peak memory bandwidth to compare with (default: from its name)")
    p_perf.add_argument("--output", default=None, help="also write the markdown report to this file")

    p_costs = sub.add_parser(
        "costs", help="where a store's time went: generator fit, training and evaluation seconds per method",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples(
            "augbench costs",
            "augbench costs --store results/full/runs.sqlite --wall-s 5400 --output results/costs-full.md",
        ),
    )
    p_costs.add_argument("--store", default=None, help="SQLite results store (default: results/runs.sqlite)")
    p_costs.add_argument("--wall-s", type=float, default=None, help="the sweep's measured wall-clock seconds, to set against the cells' sum")
    p_costs.add_argument("--output", default=None, help="also write the markdown to this file")

    p_validate = sub.add_parser(
        "validate", help="check results against effects the literature agrees on, and reproductions against "
                         "their published numbers; exit 1 when one fails",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples(
            "augbench validate",
            "augbench validate results/baselines/quick-cpu.json",
            "augbench validate results/full.json --reproductions results/reproductions --output validate.md",
        ),
    )
    p_validate.add_argument("source", nargs="?", default=None,
                            help="a SQLite store or a json or csv export (default: results/runs.sqlite)")
    p_validate.add_argument("--reproductions", default=None, metavar="DIR",
                            help="folder of reproduction JSON files (default: results/reproductions of this checkout)")
    p_validate.add_argument("--output", default=None, help="also write the table as markdown to this file")
    p_validate.add_argument("--strict-reproductions", action="store_true",
                            help="a reproduction outside its tolerance fails (exit 1) instead of being reported as GAP")
    p_reproduce = sub.add_parser(
        "reproduce", help="re-run a published result through the suite and write measured vs paper to results/reproductions/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples(
            "augbench reproduce wong2020-mnist                # seeds 0-4: each seed, the mean over those that did not collapse",
            "augbench reproduce wong2020-mnist --seeds 0,3    # those seeds only (a stored cell is reused)",
            "augbench reproduce madry2018-mnist --device cuda --store results/reproductions/runs.sqlite",
        ),
    )
    p_reproduce.add_argument("name", help="the reproduction: wong2020-mnist or madry2018-mnist")
    p_reproduce.add_argument("--seeds", default=None,
                             help="number of seeds N (seeds 0..N-1) or a list like 0,3; one seed alone with a trailing "
                                  "comma: 3, (default: the reproduction's: 5 for wong2020-mnist, 3 for madry2018-mnist)")
    p_reproduce.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    p_reproduce.add_argument("--data-dir", default=None, help="data root (default: $AUGBENCH_DATA)")
    p_reproduce.add_argument("--store", default="results/reproductions/runs.sqlite",
                             help="store the cell's row goes to (default: results/reproductions/runs.sqlite; a stored cell is reused)")
    p_reproduce.add_argument("--output-dir", default=None, help="where NAME.json and NAME.md go (default: results/reproductions)")
    p_reproduce.add_argument("--no-progress", action="store_true", help="no progress bars")
    p_env = sub.add_parser(
        "env", help="check the installed packages against requirements.lock and load the compiled libraries; exit 2 "
                    "when one does not load or (in a venv installed from the lock) a version differs",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples("augbench env", "augbench env --versions", "augbench env --strict --lock requirements.lock"),
    )
    mode = p_env.add_mutually_exclusive_group()
    mode.add_argument("--strict", action="store_true", help="a version that differs from the lock fails (default: only in a "
                                                             "venv that `make venv` installed from the lock)")
    mode.add_argument("--report", action="store_true", help="report versions that differ from the lock without failing")
    p_env.add_argument("--lock", default=None, help="the lock to compare with (default: requirements.lock of this checkout)")
    p_env.add_argument("--versions", action="store_true", help="also list every locked package: installed and locked version")
    p_env.add_argument("--quiet", action="store_true", help="print nothing when the check passes")
    p_history = sub.add_parser(
        "history", help="which cells of the CI reference and the committed baseline moved in each commit that "
                        "changed them (from git), and one metric's history drawn",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples("augbench history", "augbench history --path results/ci/reference.json --metric pgd_acc",
                         "augbench history --top 30 --output history.md"),
    )
    p_history.add_argument("--path", action="append", default=None,
                           help="a committed export to follow; repeatable (default: results/ci/reference.json and "
                                "results/baselines/quick-cpu.json)")
    p_history.add_argument("--metric", default="clean_acc", help="the metric to draw (default: clean_acc)")
    p_history.add_argument("--top", type=int, default=10, help="largest moves listed per commit (default: 10)")
    p_history.add_argument("--output", default=None, help="also write the markdown to this file")
    p_history.add_argument("--plot-dir", default="results/plots",
                           help="where history-<file>-<metric>.png goes (default: results/plots)")
    return parser


def cmd_history(args: argparse.Namespace) -> int:
    from augbench.core.provenance import REPO_ROOT
    from augbench.reporting.history import TRACKED, history, plot_history, render_history
    from augbench.results.metrics import NUMBER_METRICS

    if args.metric not in NUMBER_METRICS:
        raise UsageError(f"unknown --metric {args.metric!r}; choose from {', '.join(NUMBER_METRICS)}")
    if args.top < 1:
        raise UsageError(f"--top {args.top} is invalid: it must be >= 1")
    parts, plots = [], []
    for path in args.path or TRACKED:
        revisions = history(REPO_ROOT, path)
        parts.append(render_history(revisions, path, args.top))
        plot = Path(args.plot_dir) / f"history-{Path(path).stem}-{args.metric}.png"
        if revisions[-1].values[args.metric].notna().any():
            plots.append(str(plot_history(revisions, args.metric, plot, title=f"{path}: {args.metric} at each commit")))
    text = "\n".join(parts) + (f"\nPlots: {', '.join(plots)}\n" if plots else "")
    if args.output:
        _write(Path(args.output), text)
    print(text, end="")
    return 0


def cmd_env(args: argparse.Namespace) -> int:
    from augbench.core.environment import check, same_version

    strict = True if args.strict else False if args.report else None
    report = check(strict, Path(args.lock) if args.lock else None)
    if args.versions:
        for name, pinned in report.pins.items():
            found = report.installed.get(name, "not installed")
            print(f"  {name:<28} {found:<20} lock {pinned}{'' if same_version(found, pinned) else '  *'}")
    if not args.quiet or report.differences:
        print(report.summary())
    return 0


def check_environment() -> None:
    """The environment check before cells run: exit 2 on a library that does not load or, in the locked venv,
    a version that differs from the lock; elsewhere (a GPU machine's preinstalled torch) the differences
    are reported in one line on stderr and the run goes on."""
    from augbench.core.environment import check_once

    report = check_once()
    if not report.matches_lock:  # the locked venv says nothing; anything else says what it runs on
        print(report.summary(), file=sys.stderr)


def cmd_list(args: argparse.Namespace) -> int:
    from augbench.config.profiles import PROFILES
    from augbench.methods import METHODS
    from augbench.tasks import TASKS

    if args.params is not None:
        return list_params(_params_pattern(args))
    for title, registry in (("tasks", TASKS), ("methods", METHODS)):
        names = registry.list(args.pattern)
        print(f"{title}:")
        width = max((len(n) for n in names), default=0)
        for name in names:
            origin = registry.origin(name)
            where = "" if origin == "built-in" else f"  [plugin: {origin}]"
            print(f"  {name:<{width}}  {registry.summary(name)}{where}")
        if not names:
            print("  (none match)")
        if registry is TASKS and args.pattern in (None, "*"):
            print("  your own data, as --tasks KIND:PATH (docs/walkthrough.md):")
            for scheme in registry.schemes():
                print(f"    {scheme.usage:<34}  {scheme.summary}")
    print("compositions:")
    print("  a+b        two methods in one cell, e.g. adversarial+vae (adversarial training on batches mixing real and\n"
          "             generated samples) or classic+gan (crop and flip on real and generated images alike); at most one\n"
          "             generator, one input augmentation and one adversarial part; each part takes its own --param")
    print("profiles:")
    for profile in PROFILES.values():
        print(f"  {profile.name:<7}  {profile.purpose}")
    return 0


def _params_pattern(args: argparse.Namespace) -> str:
    """`list --params PATTERN` and `list PATTERN --params` mean the same; two patterns are ambiguous."""
    if args.params and args.pattern != "*":
        raise UsageError(f"two patterns, {args.pattern!r} and --params {args.params!r}: give one")
    return args.params or ("" if args.pattern == "*" else args.pattern)


def list_params(pattern: str) -> int:
    """Print OWNER.KEY, type, default and description of every parameter matching `pattern`.

    Defaults are the dataclass's: a profile or task may pick another value (it is stored in each row).
    """
    from augbench.config.params import describe_params, match_params
    from augbench.runner.sweep import param_owners

    owners = param_owners()
    infos = match_params([i for owner, cls in owners.items() for i in describe_params(cls, owner)], pattern)
    if not infos:
        print(f"no parameter matches {pattern!r}; owners: {', '.join(owners)}")
        return 0
    rows = [(i.name, i.type, i.default, i.description) for i in infos]
    widths = [max(len(row[c]) for row in rows + [("OWNER.KEY", "TYPE", "DEFAULT", "")]) for c in range(3)]
    for row in [("OWNER.KEY", "TYPE", "DEFAULT", "DESCRIPTION"), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths)) + "  " + row[3])
    if any(i.owner == "robust" for i in infos):  # the defaults that matter most are not the dataclass's
        print("robust.* defaults above are the dataclass's; each profile sets its own (quick: 500 examples, PGD-10), and "
              "the image tasks theirs (quick and full: AutoAttack, PGD's strongest iterate, CIFAR-10-C / MNIST-C): "
              "docs/metrics.md#robustness. Every row stores what ran (eval_config).")
    return 0


def _executor_config(args: argparse.Namespace):
    from augbench.runner.executors import ExecutorConfig, check_executor

    config = ExecutorConfig(
        name=args.executor, workers=args.workers, cells_per_job=args.cells_per_job, folder=args.executor_folder,
        slurm_partition=args.slurm_partition, slurm_time_min=args.slurm_time, slurm_gpus=args.slurm_gpus,
        slurm_cpus=args.slurm_cpus, slurm_mem_gb=args.slurm_mem_gb, slurm_array_parallelism=args.slurm_array_parallelism,
        ray_address=args.ray_address,
    )
    check_executor(config)
    return config


def _format_wall(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{seconds:.1f} s"


def _run_device(choice: str, remote: bool):
    """The cells' device. On a cluster they run where the GPUs are: the driver (a login node) may have
    none, so `cuda` is taken on trust there; `auto` still means what this machine has."""
    import torch

    from augbench.core.device import resolve_device

    if remote and choice == "cuda":
        return torch.device("cuda")
    return resolve_device(choice)


def cmd_run(args: argparse.Namespace) -> int:
    status, _ = run_command(args)
    return status


def run_command(args: argparse.Namespace) -> tuple[int, list[str]]:
    """`augbench run` with parsed `args`: (exit status, the run_ids of every planned cell). The Python API's `run`
    calls it too, so the two validate alike and raise the same UsageErrors."""
    import dataclasses

    from augbench.config.params import parse_param_overrides
    from augbench.config.profiles import get_profile
    from augbench.core.policy import pin_threads, run_policy
    from augbench.results.store import DEFAULT_STORE, Store
    from augbench.runner.sweep import SweepSpec, parse_fractions, parse_seeds, plan, run_sweep
    from augbench.methods.compose import resolve_methods
    from augbench.tasks import TASKS

    started = time.perf_counter()
    check_environment()
    profile = get_profile(args.profile)
    executor = _executor_config(args)
    spec = SweepSpec(
        tasks=TASKS.resolve(args.tasks),
        methods=resolve_methods(args.methods),
        seeds=parse_seeds(args.seeds) if args.seeds is not None else list(range(profile.default_seeds)),
        fractions=parse_fractions(args.fractions) if args.fractions is not None else list(profile.default_fractions),
        profile=profile.name,
        device=_run_device(args.device, executor.remote),
        data_dir=args.data_dir,
        overrides=parse_param_overrides(args.param),
        download=args.download,
        compile=args.compile,
    )
    policy = run_policy(spec.profile, spec.device.type, args.threads, args.workers)
    if executor.name == "local" and spec.device.type == "cpu":
        executor = dataclasses.replace(executor, workers=policy.cells_at_once)
    planned = plan(spec)  # every check that can fail on bad input, before the store file is created or opened
    rate = None
    if args.calibrate and not executor.remote:
        from augbench.runner.calibration import reference_rate

        rate = reference_rate(spec.device)  # on every core in one process, as the budget's reference rate was taken
    if spec.device.type == "cpu":
        pin_threads(policy.threads)
    with Store(args.store or DEFAULT_STORE) as store:
        result = run_sweep(spec, store, force=args.force, progress=False if args.no_progress else None,
                           executor=executor, planned=planned, started=started, policy=policy)
    print(f"done: {result.ran} ran, {result.skipped} skipped (already stored), {len(result.failed)} failed "
          f"in {_format_wall(result.wall_s)}")
    if rate is not None:
        from augbench.runner.calibration import describe

        print(describe(rate, result.wall_s))
    return (1 if result.failed else 0), [p.cell.run_id for p in planned]


def _existing_store(path: str | None) -> Path:
    from augbench.results.store import DEFAULT_STORE

    store_path = Path(path or DEFAULT_STORE)
    if not store_path.is_file():
        raise UsageError(f"no store at {store_path}: run `augbench run` first, or pass --store PATH")
    return store_path


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def cmd_report(args: argparse.Namespace) -> int:
    from augbench.core.cache import cache_root
    from augbench.reporting.html_report import write_html
    from augbench.reporting.sample_grids import write_sample_grids
    from augbench.reporting.plots import write_plots
    from augbench.reporting.leaderboard import build, render_markdown
    from augbench.results.export import read_rows

    rows = read_rows(_existing_store(args.store))  # a store, or an export such as the committed baseline
    headline = None
    if args.readme:  # checked before anything is written: a README without the markers changes nothing
        from augbench.reporting.headline import headline_markdown, read_readme

        read_readme(args.readme)
        headline = headline_markdown(rows)
    output = Path(args.output)
    board = build(rows)
    _write(output, render_markdown(board))
    plots_dir = Path(args.plots_dir) if args.plots_dir else output.parent / "plots"
    html = Path(args.html) if args.html else output.parent / "report.html"
    written = [] if args.no_plots else write_plots(rows, plots_dir)
    if not args.no_plots:  # generator sample grids, drawn from the cached generators (no refit)
        try:
            written += write_sample_grids(rows, plots_dir, cache_root())
        except OSError as exc:
            raise UsageError(f"cannot write sample grids into {plots_dir}: {exc.strerror}") from None
    write_html(board, plots_dir, html)
    if headline is not None:
        from augbench.reporting.headline import write_readme

        print(f"wrote the headline table into {write_readme(args.readme, headline)}")
    print(f"wrote {output}, {html} and {len(written)} plots in {plots_dir} "
          f"({(rows['status'] == 'ok').sum()} ok rows, {(rows['status'] != 'ok').sum()} failed)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from augbench.results.export import FORMATS, STDOUT, write_export
    from augbench.results.store import Store

    fmt = args.format
    if fmt is None:
        suffix = Path(args.output).suffix.lstrip(".").lower() if args.output else ""
        fmt = suffix if suffix in FORMATS else "json"
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}")
    with Store(_existing_store(args.store)) as store:
        rows = store.frame()
    if args.output == STDOUT:  # the export alone on stdout, so it can be piped
        write_export(rows, STDOUT, fmt)
        return 0
    output = Path(args.output or f"results/latest.{fmt}")
    write_export(rows, output, fmt)
    print(f"wrote {output} ({len(rows)} rows, {fmt})")
    return 0


def _tolerance_overrides(items: list[str]) -> dict[str, float]:
    overrides = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            overrides[name.strip()] = float(value)
        except ValueError:
            raise UsageError(f"--tolerance expects METRIC=NUMBER, got {item!r}") from None
    return overrides


def _select(rows, methods: list[str] | None, fractions: list[float] | None):
    """The rows of the chosen methods and fractions: a baseline that holds more cells than a run made (every
    method, extra sizes) is compared on the run's cells only, without its other cells counting as lost."""
    if methods is not None:
        from augbench.reporting.exchange import generator_regime, is_curve_row

        # A name selects its method's cells in the default setting `make bench` runs: a generator fitted on the
        # whole pool (`vae (pool)`) and the exchange-rate curve's extra-real cells are other cells.
        regime = rows["method_params"].map(generator_regime)
        rows = rows[rows["method"].isin(methods) & ~is_curve_row(rows) & ~regime.isin(["pool", "unlabelled"])]
    if fractions is not None:
        rows = rows[rows["fraction"].astype(float).round(9).isin([round(f, 9) for f in fractions])]
    return rows


def _in_scope(base, cur):
    """BASE's rows of the methods (in the generator regime and curve role CUR ran them) and of the sizes CUR ran, and
    how many BASE cells were left out: a `make bench` run (core methods, two sizes) against the baseline (every
    method, a third text size, the generated-data grid) is compared on what it ran. Tasks are not scoped: a task
    CUR lacks, and a cell of a method and size it ran elsewhere, are still lost."""
    from augbench.reporting.exchange import generator_regime, is_curve_row

    def role(rows):
        return list(zip(rows["method"], rows["method_params"].map(generator_regime), is_curve_row(rows)))

    if base.empty or cur.empty:
        return base, 0
    methods = set(role(cur))
    sizes = set(cur["fraction"].astype(float).round(9))
    keep = [r in methods and f in sizes for r, f in zip(role(base), base["fraction"].astype(float).round(9))]
    left_out = base.loc[[not k for k in keep]]
    cells = left_out.drop_duplicates(subset=[c for c in ("task", "method", "fraction", "method_params", "train_config")
                                             if c in left_out])
    return base.loc[keep], len(cells)


def cmd_compare(args: argparse.Namespace) -> int:
    from augbench.reporting.compare import compare, render, summary
    from augbench.results.export import read_rows
    from augbench.reporting.stats import ALPHA
    from augbench.runner.sweep import parse_fractions
    from augbench.methods.compose import resolve_methods

    if args.exact:
        return _compare_exact(args)
    overrides = _tolerance_overrides(args.tolerance)
    methods = resolve_methods(args.methods) if args.methods is not None else None
    fractions = parse_fractions(args.fractions) if args.fractions is not None else None
    base, cur = (_select(read_rows(path), methods, fractions) for path in (args.base, args.cur))
    scoped = None
    if methods is None and fractions is None and not args.every_cell:
        base, scoped = _in_scope(base, cur)
    result = compare(base, cur, overrides, ALPHA if args.alpha is None else args.alpha, args.allow_profile_mismatch,
                     args.allow_missing, gate_timings=args.timings == "gate")
    if scoped:
        result.notes.append(f"{scoped} BASE cell{'s' * (scoped != 1)} of methods or sizes that CUR did not run at all "
                            "left out, not counted as lost (--every-cell counts them; --methods/--fractions name a scope)")
    if args.output:
        _write(Path(args.output), render(result, args.base, args.cur))
    print(summary(result, args.base, args.cur, args.output), end="")
    return 1 if result.regressed else 0


def _compare_exact(args: argparse.Namespace) -> int:
    """`compare --exact`: the CI reference check (augbench/reporting/reference_check.py)."""
    from augbench.reporting.reference_check import check, markdown
    from augbench.results.export import read_rows

    given = [flag for flag, used in (("--tolerance", args.tolerance), ("--methods", args.methods is not None),
                                     ("--fractions", args.fractions is not None), ("--alpha", args.alpha is not None),
                                     ("--allow-profile-mismatch", args.allow_profile_mismatch),
                                     ("--allow-missing", args.allow_missing), ("--every-cell", args.every_cell),
                                     ("--timings", args.timings != "gate")) if used]
    if given:
        raise UsageError(f"--exact compares every reference row as it is; it takes no {', '.join(given)}")
    result = check(read_rows(args.base), read_rows(args.cur))
    text = markdown(result, args.base, args.cur)
    if args.output:
        _write(Path(args.output), text)
    print(text, end="")
    return 0 if result.passed else 1


def cmd_perf(args: argparse.Namespace) -> int:
    import os

    from augbench.core.device import resolve_device
    from augbench.perf import PerfConfig, image_tasks, render, run_perf
    from augbench.tasks import TASKS

    names = TASKS.resolve(args.tasks)
    if args.tasks == "all":
        names = image_tasks()
    config = PerfConfig(
        tasks=names, device=resolve_device(args.device), data_dir=args.data_dir, batch_size=args.batch_size,
        images=args.images, repeats=args.repeats, workers=(os.cpu_count() or 1) if args.workers is None else args.workers,
        kornia=not args.no_kornia, train=not args.no_train, train_steps=args.train_steps, tta=not args.no_tta,
        peak_bandwidth_gbps=args.peak_bandwidth, threads=args.threads,
    )
    text = render(run_perf(config))
    print(text, end="")
    if args.output:
        _write(Path(args.output), text)
    return 0


def cmd_costs(args: argparse.Namespace) -> int:
    from augbench.reporting.costs import render_costs
    from augbench.results.store import Store

    if args.wall_s is not None and not args.wall_s > 0:
        raise UsageError(f"--wall-s {args.wall_s} is invalid: it must be > 0 (seconds)")
    with Store(_existing_store(args.store)) as store:
        rows = store.frame()
    text = render_costs(rows, args.wall_s)
    print(text, end="")
    if args.output:
        _write(Path(args.output), text)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from augbench.reporting.validate import DEFAULT_REPRODUCTIONS, read_reproductions, render, validate
    from augbench.results.export import read_rows
    from augbench.results.store import DEFAULT_STORE

    if args.source is None and not DEFAULT_STORE.is_file():
        raise UsageError(f"no store at {DEFAULT_STORE}: run `augbench run` first, or pass SOURCE (a store or an export)")
    source = args.source or str(DEFAULT_STORE)
    rows = read_rows(source)
    folder = Path(args.reproductions) if args.reproductions else DEFAULT_REPRODUCTIONS
    result = validate(rows, source, read_reproductions(folder), folder, strict_reproductions=args.strict_reproductions)
    if args.output:
        _write(Path(args.output), render(result, markdown=True))
    print(render(result), end="")
    return 1 if result.failed else 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    from augbench.core.device import resolve_device
    from augbench.reproduce import OUTPUT_DIR, ReproductionFailed, get_reproduction, render_markdown, run_reproduction
    from augbench.runner.sweep import parse_seeds

    get_reproduction(args.name)  # a bad name or seed list fails before any store is opened
    seeds = parse_seeds(args.seeds) if args.seeds is not None else None
    check_environment()
    try:
        payload = run_reproduction(args.name, resolve_device(args.device), Path(args.store),
                                   Path(args.output_dir) if args.output_dir else OUTPUT_DIR, args.data_dir,
                                   progress=False if args.no_progress else None, seeds=seeds)
    except ReproductionFailed as exc:
        print(f"augbench reproduce: {exc}", file=sys.stderr)
        return 1
    print(render_markdown(payload), end="")
    return 0


COMMANDS = {"list": cmd_list, "reproduce": cmd_reproduce, "run": cmd_run, "report": cmd_report, "export": cmd_export, "compare": cmd_compare, "history": cmd_history,
            "perf": cmd_perf, "costs": cmd_costs, "validate": cmd_validate, "env": cmd_env}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `augbench` and `python -m bench`; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help()
            return EXIT_USAGE
        from augbench.runner.plugins import load_plugins

        load_plugins(args.include)
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"augbench: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("augbench: interrupted; finished cells are stored, the interrupted one left no row", file=sys.stderr)
        return 130
