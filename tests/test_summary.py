"""The summary across tasks (ranks, gains, robust gain, cost multiple, verdict), clipped intervals, the
smoke-profile banner and the HTML's best-per-column highlighting, on hand-made rows with known answers."""

from __future__ import annotations

import math
import re

import pytest

from augbench.reporting.html_report import render_html
from augbench.reporting.leaderboard import (GAIN, LOSS, NEITHER, PERCENT, POINTS, UNTESTED, Gain, MethodSummary, build,
                                         format_interval, leaderboard_markdown, overview, render_markdown, summarize,
                                         task_outcome, verdict)
from fixture_records import frame, make_record

NONE_ACC = [0.80, 0.82, 0.84]  # the baseline's clean accuracy per seed, in every table
SIGNIFICANT = [0.05, 0.06, 0.04]  # mean 5 points, sd 1: t = 8.66 on 2 df, p = 0.013
NOISY = [0.01, -0.01, 0.03]  # mean 1 point, sd 2: t = 0.87, p = 0.48
# (task, fraction, n_train) -> method -> per-seed difference from `none`
DIFFS = {
    ("mnist", 0.25, 500): {"classic": SIGNIFICANT, "vae": [-d for d in SIGNIFICANT]},
    ("mnist", 1.0, 2000): {"classic": SIGNIFICANT, "vae": [-d for d in SIGNIFICANT]},
    ("cifar10", 0.4, 1000): {"classic": SIGNIFICANT, "vae": [-d for d in NOISY]},
    ("cifar10", 1.0, 2500): {"classic": NOISY, "vae": [0.02, 0.03, 0.01]},  # vae: +2 points, t = 3.46, p = 0.074
}
TOTAL_S = {"mnist": {"none": 10.0, "classic": 12.0, "vae": 11.0}, "cifar10": {"none": 20.0, "classic": 28.0, "vae": 22.0}}
# PGD accuracy only on cifar10: the robust gain averages over the tables that measured it.
PGD = {1000: {"none": 0.10, "classic": 0.12, "vae": 0.05}, 2500: {"none": 0.20, "classic": 0.25, "vae": 0.10}}


def grid() -> list:
    """2 tasks x 2 sizes x 3 methods x 3 seeds. Within each table seed s takes s - 1 extra seconds, so the
    cost multiple is a ratio of means over seeds (11/10 etc.)."""
    rows = []
    for (task, fraction, n_train), diffs in DIFFS.items():
        for method, diff in [("none", [0.0] * 3), *diffs.items()]:
            for seed in range(3):
                metrics = {"pgd_acc": PGD[n_train][method]} if task == "cifar10" else {}
                rows.append(make_record(method, seed, NONE_ACC[seed] + diff[seed], task=task, fraction=fraction,
                                        n_train=n_train, total_s=TOTAL_S[task][method] + seed - 1, **metrics))
    return rows


def test_summary_numbers_match_hand_computed_ranks_gains_robust_gains_and_costs():
    methods = {m.label: m for m in overview(summarize(frame(grid())))}
    # Ranks per table (mnist 500, mnist 2000, cifar10 1000, cifar10 2500): classic 1, 1, 1, 2; none 2, 2, 2, 3;
    # vae 3, 3, 3, 1 (vae beats classic at cifar10 2500: +2 vs +1 points).
    assert {k: m.mean_rank for k, m in methods.items()} == {"classic": 1.25, "none": 2.25, "vae": 2.5}
    assert {m.tables for m in methods.values()} == {4}
    classic = methods["classic"]
    assert list(classic.gains) == ["cifar10", "mnist"]
    assert [g.n_train for g in classic.gains["cifar10"]] == [1000, 2500]  # smallest training set first
    assert [round(100 * g.mean, 9) for g in classic.gains["cifar10"]] == [5.0, 1.0]
    assert [g.significant for g in classic.gains["cifar10"]] == [True, False]
    assert classic.gains["cifar10"][0].p == pytest.approx(0.0131, abs=1e-4)  # t = 8.66, 2 df
    assert classic.robust_gain == pytest.approx((0.02 + 0.05) / 2)  # cifar10 only: mnist has no PGD
    assert methods["vae"].robust_gain == pytest.approx((-0.05 - 0.10) / 2)
    # Cost: the median over cells of seconds / `none`'s on the same seed. Seed s takes s - 1 extra seconds, so
    # classic's twelve ratios are 11/9, 12/10, 13/11 (mnist, twice) and 27/19, 28/20, 29/21 (cifar10, twice).
    assert classic.cost == pytest.approx((11 / 9 + 29 / 21) / 2)  # the 6th and 7th of the sorted twelve
    assert methods["vae"].cost == pytest.approx(1.1)  # 10/9 ... : ratios 1.1111, 1.1, 1.0909 and 1.1 (x2 each)
    assert methods["none"].cost == 1.0
    # Every test of the profile is one family: 8 clean tests (none against itself is none) and 4 robust ones. The
    # robust differences are the same on every seed (PGD is fixed per method here), so each has the exact sign-flip
    # test's p = 2 / 2^3 = 0.25. classic's p = 0.0131 shares ranks 1-5 with the other four SIGNIFICANT tests and is
    # adjusted up (Benjamini-Hochberg: 0.0131 x 12 / 5), staying below 0.05.
    assert classic.gains["cifar10"][0].q == pytest.approx(0.0131 * 12 / 5, abs=2e-4)
    # IQM of classic's 12 per-seed gains (5,6,4 three times; 1,-1,3 once): the middle six are 4, 4, 5, 5, 5, 5.
    assert classic.iqm == pytest.approx(0.045)
    assert classic.iqm_low < classic.iqm < classic.iqm_high
    # P(classic seed > none seed), per table over the 9 (seed, none seed) pairs, averaged over the 4 tables.
    assert classic.p_improve == pytest.approx(0.8889, abs=1e-4)

    table = build(frame(grid())).summary[0]
    assert table.title == "Summary across tasks and training-set sizes, profile quick"
    assert table.headers == ["method", "IQM gain (pts)", "P(> none)", "tables", "cifar10 gain (n=1000 / 2500)",
                             "mnist gain (n=500 / 2000)", "robust gain (pts)", "cost vs none", "verdict"]
    assert table.rows == [
        ["classic", "+4.5 [+4.0, +5.3]", "0.89", "4/4", "+5.0±2.5* / +1.0±5.0", "+5.0±2.5* / +5.0±2.5*", "+3.5", "1.3x",
         "significant gain on 1/2 tasks at 1.3x cost"],
        ["none", "–", "–", "4/4", "–", "–", "–", "1.0x", "baseline"],
        ["vae", "-2.7 [-3.7, -1.8]", "0.31", "4/4", "-1.0±5.0 / +2.0±2.5", "-5.0±2.5* / -5.0±2.5*", "-7.5", "1.1x",
         "significant loss on 1/2 tasks; 1.1x cost"],
    ]
    # best per column: highest IQM gain, P(> none) and task gains, lowest cost (`none` not judged)
    assert table.best == {(0, 1), (0, 2), (0, 4), (0, 5), (0, 6), (2, 7)}
    assert any("more than half of its training-set sizes" in line for line in table.legend)


def test_the_correction_takes_away_a_star_that_many_tests_do_not_carry():
    """p = 0.013 alone is starred; among nine more tests with no effect, Benjamini-Hochberg needs p below
    0.05 * rank / tests and the same gain loses its star."""
    rows = grid()
    alone = {m.label: m for m in overview(summarize(frame(rows)))}["classic"].gains["cifar10"][0]
    assert alone.significant
    for k in range(12):  # twelve more methods, each +1 point with sd 2 points in every table (p = 0.48 each)
        for (task, fraction, n_train) in DIFFS:
            for seed in range(3):
                rows.append(make_record(f"noise{k}", seed, NONE_ACC[seed] + NOISY[seed], task=task, fraction=fraction,
                                        n_train=n_train, total_s=10.0))
    crowded = {m.label: m for m in overview(summarize(frame(rows)))}["classic"].gains["cifar10"][0]
    assert crowded.p == alone.p and crowded.q > 0.05 and not crowded.significant


def test_pairs_run_under_different_policies_are_marked_and_never_tested():
    """A method whose rows ran on one thread against `none` rows on two: its gain is shown with the mark, has no p,
    and its verdict is untested; pairs of one policy beside them are tested without the mixed seed."""
    one, two = '{"device": "cpu", "threads": 1, "cells_at_once": 2, "kernels": "avx2"}', \
        '{"device": "cpu", "threads": 2, "cells_at_once": 1, "kernels": "avx2"}'
    rows = []
    for seed in range(3):
        rows.append(make_record("none", seed, NONE_ACC[seed], exec_policy=one))
        rows.append(make_record("classic", seed, NONE_ACC[seed] + SIGNIFICANT[seed], exec_policy=two))
        rows.append(make_record("vae", seed, NONE_ACC[seed] + SIGNIFICANT[seed], exec_policy=one if seed else two))
    summary = summarize(frame(rows)).set_index("label")
    assert summary.loc["classic", "gain_mixed"] == 3 and math.isnan(summary.loc["classic", "gain_p"])
    assert summary.loc["vae", "gain_mixed"] == 1 and summary.loc["vae", "gain_n"] == 2  # seed 0 left out
    board = build(frame(rows))
    methods = {row[0]: row for row in board.summary[0].rows}
    assert "≠" in methods["classic"][4] and "*" not in methods["classic"][4]
    assert methods["classic"][1].endswith("≠") and methods["classic"][2].endswith("≠")  # its aggregates say so too
    assert methods["classic"][-1].startswith("not tested")
    mnist = board.tables[0]
    lines = {row[0]: row for row in mnist.rows}
    assert lines["classic"][4] == "not tested" and "(1 ≠ left out)" in lines["vae"][3]
    assert any(line.startswith("≠ ") for line in mnist.legend)


def test_a_cached_generators_fit_is_counted_in_every_cell_that_used_it():
    rows = []
    for seed in range(3):
        rows.append(make_record("none", seed, 0.9, total_s=10.0))
        # seed 0 fitted the generator (100 s inside its 120 s); seeds 1 and 2 loaded it (20 s, fit stored: 100 s)
        rows.append(make_record("vae", seed, 0.9, total_s=120.0 if seed == 0 else 20.0, gen_fit_s=100.0,
                                gen_cache_hit=seed > 0))
    vae = {m.label: m for m in overview(summarize(frame(rows)))}["vae"]
    assert vae.cost == pytest.approx(12.0)  # 120/10 in every cell
    assert vae.amortised == pytest.approx(2.0)  # median of 12, 2, 2
    assert "12.0x (2.0x amortised)" in build(frame(rows)).summary[0].rows[1]


def test_summary_comes_first_in_markdown_and_its_legend_last():
    text = leaderboard_markdown(frame(grid()))
    assert text.index("## Summary across tasks") < text.index("## How to read this") < text.index("## Contents")
    assert text.index("## Contents") < text.index("## cifar10 (cifar10-jpeg)") < text.index("## Notes")
    assert text.index("## Notes") < text.index("- IQM gain: the interquartile mean") < text.index("- Each table:")
    assert "| classic  | +4.5 [+4.0, +5.3] | 0.89" in text


def test_a_method_missing_from_a_table_says_so_and_one_seed_is_untested():
    rows = [make_record("none", 0, 0.80), make_record("classic", 0, 0.90), make_record("vae", 0, 0.90),
            make_record("none", 0, 0.80, task="cifar10"), make_record("classic", 0, 0.85, task="cifar10")]
    table = build(frame(rows)).summary[0]
    assert [row[0] for row in table.rows] == ["vae", "classic", "none"]  # by IQM gain: +10 (1 table), +7.5, 0
    assert {row[0]: (row[1], row[3]) for row in table.rows} == {
        "vae": ("+10.0", "1/2"), "classic": ("+7.5", "2/2"), "none": ("–", "2/2")}  # one seed: no interval
    verdicts = {row[0]: row[-1] for row in table.rows}
    assert verdicts["classic"] == verdicts["vae"] == "not tested (1 seed or mixed policies)"  # no paired test


def gains(*pairs: tuple[float, float]) -> tuple[Gain, ...]:
    """Gains at successive sizes from (mean, adjusted p) pairs."""
    return tuple(Gain(0.5 * (i + 1), 100 * (i + 1), mean, p, p) for i, (mean, p) in enumerate(pairs))


def method(task_gains: dict, cost: float = 2.0, name: str = "classic", robust: float = math.nan) -> MethodSummary:
    return MethodSummary(name, name, 1.0, 4, task_gains, robust, cost)


def test_a_task_counts_when_a_majority_of_its_sizes_is_significant():
    assert task_outcome(gains((0.05, 0.01), (0.04, 0.02))) == GAIN
    assert task_outcome(gains((0.05, 0.01), (0.04, 0.30))) == NEITHER  # one size of two is no majority
    assert task_outcome(gains((0.05, 0.01), (0.04, 0.02), (0.01, 0.60))) == GAIN  # two of three
    assert task_outcome(gains((-0.05, 0.01), (-0.04, 0.02))) == LOSS
    assert task_outcome(gains((0.05, 0.01), (-0.04, 0.02))) == NEITHER
    assert task_outcome(gains((0.05, math.nan), (0.04, math.nan))) == UNTESTED


def test_verdict_on_crafted_summaries():
    win = gains((0.05, 0.01), (0.04, 0.02))
    lose = gains((-0.05, 0.01), (-0.04, 0.02))
    flat = gains((0.01, 0.40), (-0.01, 0.50))
    one_seed = gains((0.05, math.nan), (0.04, math.nan))
    assert verdict(method({"a": win, "b": win, "c": win}, cost=1.5)) == "significant gain on 3/3 tasks at 1.5x cost"
    assert verdict(method({"a": win, "b": lose, "c": flat})) == "significant gain on 1/3, loss on 1/3 tasks; 2.0x cost"
    assert verdict(method({"a": lose, "b": lose, "c": flat}, cost=2.6)) == "significant loss on 2/3 tasks; 2.6x cost"
    assert verdict(method({"a": flat, "b": flat}, cost=2.6)) == "no significant gain; 2.6x cost"
    assert verdict(method({"a": one_seed, "b": one_seed})) == "not tested (1 seed or mixed policies)"
    assert verdict(method({"a": win, "b": one_seed})) == "significant gain on 1/1 tasks (1 untested) at 2.0x cost"
    assert verdict(method({"a": win}, cost=math.nan)) == "significant gain on 1/1 tasks"  # no times stored
    assert verdict(method({"a": flat}, name="none")) == "baseline"
    assert verdict(method({})) == "not compared (no `none` in its tables)"
    # Robustness is named where it moves by a tenth of the range or more, either way; not below that.
    assert verdict(method({"a": lose}, robust=0.285)) == "significant loss on 1/1 tasks; 2.0x cost; robust +28.5 pts"
    assert verdict(method({"a": flat}, robust=-0.12)) == "no significant gain; 2.0x cost; robust -12.0 pts"
    assert verdict(method({"a": flat}, robust=0.05)) == "no significant gain; 2.0x cost"


def test_intervals_are_clipped_to_what_the_number_can_be():
    assert format_interval(50.0, 45.0, 55.0, 3, PERCENT) == "50.00 ± 5.00"
    assert format_interval(97.0, 94.0, 100.5, 3, PERCENT) == "97.00 [94.00, 100.00]"
    assert format_interval(2.0, -1.0, 5.0, 3, PERCENT) == "2.00 [0.00, 5.00]"
    assert format_interval(43.9, -161.94, 249.74, 2, PERCENT) == "43.90 [0.00, 100.00]ⁿ"
    assert format_interval(5.0, -150.0, 160.0, 2, POINTS, signed=True) == "+5.00 [-100.00, +100.00]ⁿ"
    assert format_interval(5.0, 4.0, 6.0, 2, POINTS, signed=True) == "+5.00 ± 1.00ⁿ"
    assert format_interval(160.0, 80.0, 240.0, 2) == "160.00 ± 80.00ⁿ"  # unbounded (FID): never clipped
    assert format_interval(50.0, math.nan, math.nan, 1, PERCENT) == "50.00"  # one seed: no interval, no mark


def test_two_seeds_print_clipped_and_marked_intervals_in_the_tables():
    # none: 30% and 60% (mean 45, sd 21.2: half-width 12.706 * 21.2 / sqrt 2 = 190.6 points)
    # classic: 60% and 40%: differences +30 and -20 points (mean +5, sd 35.4: half-width 317.7 points)
    rows = [make_record("none", 0, 0.30), make_record("none", 1, 0.60),
            make_record("classic", 0, 0.60), make_record("classic", 1, 0.40)]
    table = build(frame(rows)).tables[0]
    lines = {row[0]: row for row in table.rows}
    assert lines["none"][1] == "45.00 [0.00, 100.00]ⁿ"
    assert lines["classic"][1] == "50.00 [0.00, 100.00]ⁿ"
    assert lines["classic"][3] == "+5.00 [-100.00, +100.00]ⁿ"
    assert [line for line in table.legend if not line.startswith("Power:")] == ["ⁿ interval from fewer than 3 seeds: wide and unreliable."]
    text = leaderboard_markdown(frame(rows))
    assert "±" not in text.split("## mnist")[1].split("## All cells")[0]  # nothing unclipped in the table
    assert "ⁿ interval from fewer than 3 seeds: wide and unreliable." in text


def test_three_seeds_within_bounds_keep_the_plus_minus_form_and_no_mark():
    rows = frame(grid())
    table = build(rows).tables[0]  # cifar10 at 1000 examples
    classic = next(row for row in table.rows if row[0] == "classic")
    # 85, 88, 88%: sd 1.73, half-width 4.303 * 1.73 / sqrt 3 = 4.30; differences 5, 6, 4: 4.303 / sqrt 3 = 2.48
    assert classic[1] == "87.00 ± 4.30" and classic[3] == "+5.00 ± 2.48"
    assert not any("ⁿ" in line for line in table.legend)


BANNER = "Smoke profile: the numbers of profile `smoke` come from tiny budgets meant for testing the pipeline"


def test_a_smoke_report_carries_a_banner_at_the_top():
    smoke = frame([make_record("none", 0, 0.5, profile="smoke"), make_record("classic", 0, 0.6, profile="smoke")])
    text = leaderboard_markdown(smoke)
    assert BANNER in text and text.index(BANNER) < text.index("## Summary")
    page = render_html(build(smoke), [], generated_at="2026-11-20T00:00:00+00:00")
    assert '<p class="banner">' in page and page.index('class="banner"') < page.index("<table>")
    assert "<code>smoke</code>" in page.split('<p class="banner">')[1].split("</p>")[0]
    # a single smoke row, even a failed one, is enough; one summary per profile
    mixed = frame(grid() + [make_record("classic", 0, None, profile="smoke", status="failed")])
    assert BANNER in leaderboard_markdown(mixed)
    both = build(frame(grid() + [make_record("none", 0, 0.5, profile="smoke")]))
    assert [t.title.split("profile ")[1] for t in both.summary] == ["quick", "smoke"]


def test_other_profiles_carry_no_banner():
    board = build(frame(grid()))
    assert board.banner == [] and "Smoke profile" not in render_markdown(board)
    assert 'class="banner"' not in render_html(board, [], generated_at="2026-11-20T00:00:00+00:00")


def test_html_highlights_the_best_value_per_column_and_right_aligns_numbers():
    page = render_html(build(frame(grid())), [], generated_at="2026-11-20T00:00:00+00:00")
    summary = page[page.index('<h2 id="summary-quick">Summary'):page.index("</table>")]
    best = re.findall(r'<td class="num best"><strong>([^<]*)</strong></td>', summary)
    assert best == ["+4.5 [+4.0, +5.3]", "0.89", "+5.0±2.5* / +1.0±5.0", "+5.0±2.5* / +5.0±2.5*", "+3.5", "1.1x"]
    assert "<td>classic</td>" in summary and '<td class="num">4/4</td>' in summary  # names left, numbers right
    assert '<th class="num">IQM gain (pts)</th>' in summary and "<th>verdict</th>" in summary
    assert "td.num { text-align: right" in page


def test_a_column_where_every_method_loses_has_no_best():
    rows = [make_record("none", s, 0.80 + 0.01 * s) for s in range(3)]
    rows += [make_record("classic", s, 0.80 + 0.01 * s + d) for s, d in enumerate([-0.05, -0.06, -0.04])]
    rows += [make_record("vae", s, 0.80 + 0.01 * s + d) for s, d in enumerate([-0.01, 0.01, -0.03])]
    table = build(frame(rows)).summary[0]
    assert table.headers[4] == "mnist gain (n=60000)" and not any(column in (1, 2, 4) for _, column in table.best)
    assert [row[4] for row in table.rows] == ["–", "-1.0±5.0", "-5.0±2.5*"]  # none, vae, classic


def test_each_table_says_how_large_a_gain_its_seeds_can_detect():
    """classic's and vae's per-seed gains in the cifar10 n=1000 table spread by 1 and 2 points (sd); the median sd
    of 1.5 points over 3 seeds gives (t_0.975 + t_0.8 on 2 df) * 1.5 / sqrt 3 = (4.303 + 1.061) * 0.866 = 4.6."""
    board = build(frame(grid()))
    table = next(t for t in board.tables if "1000 train examples" in t.title)
    line = next(line for line in table.legend if line.startswith("Power:"))
    assert "spread here is 1.50 points" in line and "3 seeds detect a true gain of about 4.6 points" in line
    assert "corrected threshold (p < 0.0" in line and "a 1-point gain needs" in line
