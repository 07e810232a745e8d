"""Writes the compare fixtures (exports) in this folder. Run from the repo root:
`python tests/golden/compare/make_fixtures.py`; then regenerate the expected tables with
`AUGBENCH_REGEN_GOLDEN=1 python -m pytest tests/test_compare.py` and review the diff."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[2]), str(HERE.parents[1])]

from augbench.results.export import write_export  # noqa: E402
from fixture_records import frame, make_record  # noqa: E402

PAD2, PAD4 = {"padding": 2}, {"padding": 4}


def base() -> list:
    rows = []
    for seed, (none, classic) in enumerate([(0.9902, 0.9916), (0.9913, 0.9892), (0.9907, 0.9914)]):
        rows.append(make_record("none", seed, none, aug_throughput=3.0e8 + 1e6 * seed, total_s=7.6 + 0.05 * seed))
        rows.append(make_record("classic", seed, classic, params=PAD2, aug_throughput=2.2e5 + 1e3 * seed,
                                total_s=7.4 + 0.1 * seed))
    rows.append(make_record("none", 0, 0.6615, task="cifar10", total_s=34.8, aug_throughput=4.4e8))
    return rows


def noise() -> list:
    """Every metric moved by less than its tolerance."""
    rows = []
    for seed, (none, classic) in enumerate([(0.9905, 0.9909), (0.9897, 0.9911), (0.9910, 0.9901)]):
        rows.append(make_record("none", seed, none, aug_throughput=2.9e8 + 2e6 * seed, total_s=7.9 + 0.1 * seed))
        rows.append(make_record("classic", seed, classic, params=PAD2, aug_throughput=2.0e5 + 3e3 * seed,
                                total_s=7.7 + 0.1 * seed))
    rows.append(make_record("none", 0, 0.6541, task="cifar10", total_s=36.0, aug_throughput=4.1e8))
    return rows


def regressed() -> list:
    """classic loses 4 points on every seed, none gets 60% slower, cifar10's single seed loses 3 points,
    none's aug throughput doubles, and classic's time jumps on one seed only (beyond tolerance, not significant)."""
    rows = []
    for seed, (none, classic, spike) in enumerate([(0.9904, 0.9512, 7.4), (0.9911, 0.9490, 7.6), (0.9906, 0.9521, 21.0)]):
        rows.append(make_record("none", seed, none, aug_throughput=6.0e8 + 1e6 * seed, total_s=12.2 + 0.1 * seed))
        rows.append(make_record("classic", seed, classic, params=PAD2, aug_throughput=2.2e5 + 1e3 * seed, total_s=spike))
    rows.append(make_record("none", 0, 0.6310, task="cifar10", total_s=35.1, aug_throughput=4.4e8))
    return rows


def missing() -> list:
    """cifar10 not run; classic run with another padding (a different cell, never compared with padding 2)."""
    rows = []
    for seed, (none, classic) in enumerate([(0.9902, 0.9880), (0.9913, 0.9875), (0.9907, 0.9890)]):
        rows.append(make_record("none", seed, none, aug_throughput=3.0e8, total_s=7.6))
        rows.append(make_record("classic", seed, classic, params=PAD4, aug_throughput=2.2e5, total_s=7.5))
    return rows


def smoke() -> list:
    return [make_record("none", seed, 0.91 + 0.01 * seed, profile="smoke") for seed in range(2)]


def other_task() -> list:
    return [make_record("none", seed, 0.5, task="fashion") for seed in range(2)]


if __name__ == "__main__":
    for name, rows in [("base", base()), ("cur_noise", noise()), ("cur_regressed", regressed()),
                       ("cur_missing", missing()), ("cur_smoke", smoke()), ("cur_other_task", other_task())]:
        write_export(frame(rows), HERE / f"{name}.json", "json")
    write_export(frame(regressed()), HERE / "cur_regressed.csv", "csv")
    (HERE / "not_an_export.json").write_text("this is not json\n")
