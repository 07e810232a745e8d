"""The `augbench` command line: list, run, report. Bad input is one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from bench.errors import UsageError

EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    """argparse whose errors are a single line (no usage dump) with exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="augbench",
        description="Benchmark data-augmentation methods: accuracy, robustness and cost, one stored row per cell.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples("augbench list", "augbench run --tasks mnist --methods all --profile quick", "augbench report"),
    )
    sub = parser.add_subparsers(dest="command", metavar="{list,run,report}", parser_class=OneLineParser)

    p_list = sub.add_parser(
        "list", help="methods, tasks and profiles with one-line descriptions",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples("augbench list", "augbench list 'c*'"),
    )
    p_list.add_argument("pattern", nargs="?", default="*", help="fnmatch pattern over names (default: *)")

    p_run = sub.add_parser(
        "run", help="run a sweep of cells (task x method x seed x fraction) into the store",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples(
            "augbench run --tasks mnist,cifar10 --methods all --profile quick",
            "augbench run --tasks mnist --methods classic --seeds 3 --fractions 0.1,1 --param classic.padding=2",
            "augbench run --tasks 'c*' --methods none --profile full --device cuda --force",
        ),
    )
    p_run.add_argument("--tasks", default="all", help="comma-separated task names, wildcards or 'all' (default: all)")
    p_run.add_argument("--methods", default="all", help="comma-separated method names, wildcards or 'all' (default: all)")
    p_run.add_argument("--seeds", default=None, help="number of seeds N (seeds 0..N-1) or a list like 0,3 (default: the profile's)")
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

    p_report = sub.add_parser(
        "report", help="write the leaderboard (markdown) from the store",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples("augbench report", "augbench report --store /tmp/runs.sqlite --output /tmp/leaderboard.md"),
    )
    p_report.add_argument("--store", default=None, help="SQLite results store (default: results/runs.sqlite)")
    p_report.add_argument("--output", default="results/leaderboard.md", help="markdown file to write (default: results/leaderboard.md)")
    return parser


def cmd_list(args: argparse.Namespace) -> int:
    from bench.profiles import PROFILES
    from methods import METHODS
    from tasks import TASKS

    for title, registry in (("tasks", TASKS), ("methods", METHODS)):
        names = registry.list(args.pattern)
        print(f"{title}:")
        width = max((len(n) for n in names), default=0)
        for name in names:
            print(f"  {name:<{width}}  {registry.summary(name)}")
        if not names:
            print("  (none match)")
    print("profiles:")
    for profile in PROFILES.values():
        print(f"  {profile.name:<7}  {profile.purpose}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bench.device import resolve_device
    from bench.params import parse_param_overrides
    from bench.profiles import get_profile
    from bench.store import DEFAULT_STORE, Store
    from bench.sweep import SweepSpec, parse_fractions, parse_seeds, run_sweep
    from methods import METHODS
    from tasks import TASKS

    profile = get_profile(args.profile)
    spec = SweepSpec(
        tasks=TASKS.resolve(args.tasks),
        methods=METHODS.resolve(args.methods),
        seeds=parse_seeds(args.seeds) if args.seeds is not None else list(range(profile.default_seeds)),
        fractions=parse_fractions(args.fractions) if args.fractions is not None else list(profile.default_fractions),
        profile=profile.name,
        device=resolve_device(args.device),
        data_dir=args.data_dir,
        overrides=parse_param_overrides(args.param),
        download=args.download,
    )
    with Store(args.store or DEFAULT_STORE) as store:
        result = run_sweep(spec, store, force=args.force, progress=False if args.no_progress else None)
    print(f"done: {result.ran} ran, {result.skipped} skipped (already stored), {len(result.failed)} failed")
    return 1 if result.failed else 0


def cmd_report(args: argparse.Namespace) -> int:
    from bench.cache import cache_root
    from bench.report import leaderboard_markdown
    from bench.sample_grids import write_sample_grids
    from bench.store import DEFAULT_STORE, Store

    store_path = Path(args.store or DEFAULT_STORE)
    if not store_path.is_file():
        raise UsageError(f"no store at {store_path}: run `augbench run` first, or pass --store PATH")
    with Store(store_path) as store:
        rows = store.frame()
    output = Path(args.output)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(leaderboard_markdown(rows))
        write_sample_grids(rows, output.parent / "plots", cache_root())
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None
    print(f"wrote {output} ({(rows['status'] == 'ok').sum()} ok rows, {(rows['status'] != 'ok').sum()} failed)")
    return 0


COMMANDS = {"list": cmd_list, "run": cmd_run, "report": cmd_report}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `augbench` and `python -m bench`; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help()
            return EXIT_USAGE
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"augbench: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("augbench: interrupted; finished cells are stored, the interrupted one left no row", file=sys.stderr)
        return 130
