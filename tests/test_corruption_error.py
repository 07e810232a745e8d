"""mCE against `none` (Hendrycks & Dietterich's definition, `none` as the baseline model) and its leaderboard column."""

from __future__ import annotations

import json
import math

import pytest

from augbench.reporting.corruption_error import benchmark_accuracies, mce
from augbench.reporting.leaderboard import MCE_HEADER, build
from fixture_records import frame, make_record


def scored(acc: dict[str, list[float]]) -> str:
    return json.dumps({name: {str(s + 1): a for s, a in enumerate(levels)} for name, levels in acc.items()})


BASE = scored({"fog": [0.9, 0.8, 0.7], "snow": [0.6, 0.6, 0.6]})  # errors: fog 0.6 in all, snow 1.2


def test_mce_is_the_mean_over_corruptions_of_summed_error_ratios():
    # fog: errors 0.3 in all vs 0.6 -> 50%; snow: 1.8 vs 1.2 -> 150%; mean 100% although the mean accuracy differs
    model = scored({"fog": [0.95, 0.9, 0.85], "snow": [0.4, 0.4, 0.4]})
    assert mce(model, BASE) == pytest.approx(100.0)
    assert mce(BASE, BASE) == pytest.approx(100.0)
    assert mce(scored({"fog": [1, 1, 1], "snow": [1, 1, 1]}), BASE) == 0.0
    # Severities weigh by error, not by accuracy ratio: halving every error halves mCE.
    half = scored({"fog": [0.95, 0.9, 0.85], "snow": [0.8, 0.8, 0.8]})
    assert mce(half, BASE) == pytest.approx(50.0)


def test_mce_refuses_what_it_cannot_compare():
    assert math.isnan(mce(json.dumps({"fog": 0.9, "snow": 0.6}), BASE))  # the suite's own set: no benchmark
    assert benchmark_accuracies(json.dumps({"fog": 0.9})) is None and benchmark_accuracies(None) is None
    assert math.isnan(mce(scored({"fog": [0.9, 0.8]}), BASE))  # other cells
    perfect = scored({"fog": [1, 1, 1], "snow": [0.6, 0.6, 0.6]})
    assert math.isnan(mce(BASE, perfect))  # a baseline without error on a corruption divides by zero


def test_the_leaderboard_shows_mce_only_for_benchmark_rows():
    rows = [make_record("none", s, 0.9, corruption_acc=0.7, corruption_json=BASE) for s in range(3)]
    better = scored({"fog": [0.95, 0.9, 0.85], "snow": [0.8, 0.8, 0.8]})
    rows += [make_record("classic", s, 0.91, corruption_acc=0.85, corruption_json=better) for s in range(3)]
    table = build(frame(rows)).tables[0]
    assert MCE_HEADER in table.headers
    column = table.headers.index(MCE_HEADER)
    values = {row[0]: row[column] for row in table.rows}
    assert values == {"none": "100 (baseline)", "classic": "50.00 ± 0.00"}
    assert any(line.startswith("mCE: corruption error relative to `none`") for line in table.legend)
    suite = [make_record("none", 0, 0.9, corruption_acc=0.7, corruption_json=json.dumps({"fog": 0.7})),
             make_record("classic", 0, 0.91, corruption_acc=0.8, corruption_json=json.dumps({"fog": 0.8}))]
    assert MCE_HEADER not in build(frame(suite)).tables[0].headers
