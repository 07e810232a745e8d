"""The leaderboard is a pure function of the stored rows: intervals, gains, optional columns, every cell."""

from __future__ import annotations

import pandas as pd

from bench.reporting.leaderboard import build, leaderboard_markdown, summarize
from fixture_records import frame, make_record


def table_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ")]


def test_mean_and_t_interval_over_seeds_ranked_best_first():
    text = leaderboard_markdown(frame([make_record("none", 0, 0.98), make_record("none", 1, 0.99),
                                       make_record("classic", 0, 0.995)]))
    lines = table_lines(text)
    assert lines[1].startswith("| classic") and "| 99.50 " in lines[1]  # one seed: no interval
    # two seeds: sample std 0.71 points, 95% t half-width = 12.706 * 0.707 / sqrt(2) = 6.35
    assert lines[2].startswith("| none") and "98.50 ± 6.35" in lines[2] and "| 2 " in lines[2]
    assert "## mnist (mnist-idx), fraction 1 (60000 train examples), profile quick" in text
    assert "200.0k" in text and "abcdef1234" in text


def test_gain_is_paired_by_seed_and_marked_when_significant():
    rows = [make_record("none", s, a) for s, a in enumerate([0.90, 0.95, 0.99, 0.93])]
    rows += [make_record("classic", s, a + d) for s, (a, d) in enumerate(zip([0.90, 0.95, 0.99, 0.93],
                                                                             [0.010, 0.012, 0.009, 0.011]))]
    rows.append(make_record("classic", 9, 0.5))  # a seed the baseline lacks is not paired
    line = summarize(frame(rows)).set_index("label").loc["classic"]
    assert line["gain_n"] == 4 and abs(line["gain_mean"] - 0.0105) < 1e-12 and line["gain_p"] < 0.05
    classic = next(r for r in build(frame(rows)).tables[0].rows if r[0] == "classic")
    assert classic[3].startswith("+1.05 ± ") and classic[4].endswith(" *")


def test_one_seed_says_so_instead_of_testing():
    board = build(frame([make_record("none", 0, 0.98), make_record("classic", 0, 0.99)]))
    classic, none = board.tables[0].rows
    assert classic[:5] == ["classic", "99.00", "1", "+1.00", "n=1, no test"]
    assert none[3] == "baseline"


def test_optional_metric_columns_appear_only_when_a_row_has_them():
    plain = build(frame([make_record("none", 0, 0.98), make_record("classic", 0, 0.99)]))
    assert not any("PGD" in h or "FID" in h for h in plain.tables[0].headers)
    robust = build(frame([make_record("none", 0, 0.98), make_record("classic", 0, 0.99, pgd_acc=0.42, fid=12.5)]))
    headers, rows = robust.tables[0].headers, {r[0]: r for r in robust.tables[0].rows}
    assert "PGD acc %" in headers and "FID" in headers and "FGSM acc %" not in headers
    assert rows["classic"][headers.index("PGD acc %")] == "42.00" and rows["none"][headers.index("FID")] == "–"
    # another task's table stays without the column
    mixed = build(frame([make_record("none", 0, 0.98, pgd_acc=0.1), make_record("none", 0, 0.6, task="cifar10")]))
    assert [("PGD acc %" in t.headers) for t in mixed.tables] == [False, True]


def test_failed_cells_are_listed_not_averaged():
    text = leaderboard_markdown(frame([make_record("none", 0, 0.98), make_record("classic", 0, None, status="failed")]))
    assert "classic" not in text.split("## Failed cells")[0]
    assert "RuntimeError: boom" in text.split("## Failed cells")[1]


def test_several_settings_of_one_method_get_their_own_lines():
    text = leaderboard_markdown(frame([make_record("classic", 0, 0.99, params={"padding": 2}),
                                       make_record("classic", 0, 0.98, params={"padding": 4})]))
    assert "classic(padding=2)" in text and "classic(padding=4)" in text


def test_every_cell_is_listed():
    rows = frame([make_record(m, s, 0.9, fraction=f) for m in ("none", "classic") for s in range(2) for f in (0.5, 1.0)]
                 + [make_record("classic", 5, None, status="failed")])
    cells = build(rows).cells
    assert sorted(r[0] for r in cells.rows) == sorted(rows["run_id"].str[:12])


def test_an_empty_store_gives_a_helpful_leaderboard():
    assert "No runs in the store yet" in leaderboard_markdown(pd.DataFrame())
