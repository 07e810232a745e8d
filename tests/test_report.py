"""The leaderboard is a pure function of the stored rows: intervals, gains, optional columns, every cell."""

from __future__ import annotations

import pandas as pd

from augbench.reporting.leaderboard import build, leaderboard_markdown, summarize
from fixture_records import frame, make_record


def table_lines(text: str) -> list[str]:
    """The lines of the per-task tables (and the cell list after them): the summary across tasks comes before
    the contents."""
    return [line for line in text[text.index("## Contents"):].splitlines() if line.startswith("| ")]


def test_mean_and_t_interval_over_seeds_ranked_best_first():
    text = leaderboard_markdown(frame([make_record("none", 0, 0.98), make_record("none", 1, 0.99),
                                       make_record("classic", 0, 0.995)]))
    lines = table_lines(text)
    assert lines[1].startswith("| classic") and "| 99.50 " in lines[1]  # one seed: no interval
    # two seeds: sample std 0.71 points, 95% t half-width = 12.706 * 0.707 / sqrt(2) = 6.35; 98.50 + 6.35 is
    # past 100%, so the interval is shown clipped, and marked as coming from fewer than 3 seeds
    assert lines[2].startswith("| none") and "98.50 [92.15, 100.00]ⁿ" in lines[2] and "| 2 " in lines[2]
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
    assert classic[3].startswith("+1.05 ± ") and classic[4] == "0.001" and classic[5].endswith(" *")  # p, adjusted p


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


def flagged_rows() -> list:
    """none: converged, nothing flagged; classic: seeds 0 and 2 not converged, seed 1 stopped early at
    epoch 7; vae: seed 2 near chance, seed 0 could not be judged (converged None)."""
    rows = [make_record("none", s, 0.40 + 0.01 * s, task="cifar10", n_train=1000, val_acc=0.41, converged=True,
                        near_chance=False) for s in range(3)]
    rows += [make_record("classic", s, 0.45 + 0.01 * s, task="cifar10", n_train=1000, val_acc=0.46,
                         converged=s == 1, stopped_epoch=7 if s == 1 else None, near_chance=False) for s in range(3)]
    rows += [make_record("vae", s, 0.42, task="cifar10", n_train=1000, val_acc=0.43, converged=None if s == 0 else True,
                         near_chance=s == 2) for s in range(3)]
    return rows


def clean_cell(text: str, method: str) -> str:
    return next(line for line in table_lines(text) if line.startswith(f"| {method} ")).split("|")[2].strip()


def test_unconverged_stopped_and_near_chance_lines_are_marked_and_explained():
    text = leaderboard_markdown(frame(flagged_rows()))
    assert clean_cell(text, "classic").endswith(" †‡") and clean_cell(text, "vae").endswith(" §")
    assert not any(mark in clean_cell(text, "none") for mark in "†‡§")
    assert ("† not converged (over the last quarter of the epochs, the trend line of validation accuracy moved 1 point or more): "
            "classic: 2 of 3 seeds (seeds 0, 2).") in text
    assert "‡ stopped early (the early-stop guard ended training and kept that epoch's weights): " \
           "classic: 1 of 3 seeds (seed 1 at epoch 7)." in text
    assert "§ near chance" in text and "vae: 1 of 3 seeds (seed 2)." in text
    # the cell list says which seed carries which flag
    cells = {(r[2], r[5]): r[-1] for r in build(frame(flagged_rows())).cells.rows}
    assert cells[("classic", "0")] == "†" and cells[("classic", "1")] == "‡ epoch 7" and cells[("vae", "2")] == "§"
    assert cells[("none", "0")] == "" and cells[("vae", "0")] == ""


def test_marks_survive_the_store_round_trip(tmp_path):
    """The store keeps booleans as integers (0/1, NULL -> NaN): the marks must read them the same."""
    from augbench.results.store import Store

    with Store(tmp_path / "runs.sqlite") as store:
        for record in flagged_rows():
            store.put(record)
        stored = store.frame()
    assert build(stored).tables == build(frame(flagged_rows())).tables


def test_rows_without_diagnostics_show_no_marks_and_no_legend():
    rows = frame([make_record("none", s, 0.98) for s in range(2)] + [make_record("classic", s, 0.99) for s in range(2)])
    assert rows[["converged", "stopped_epoch", "near_chance", "val_acc"]].isna().all().all()
    board = build(rows)
    text = leaderboard_markdown(rows)
    assert not any(mark in text for mark in "†‡§")
    assert board.tables[0].legend == ["ⁿ interval from fewer than 3 seeds: wide and unreliable."]  # 2 seeds
    assert "flags" not in board.cells.headers and "val acc %" not in board.tables[0].headers
    # NaN from an older store reads as "not judged" too
    assert not any(mark in leaderboard_markdown(rows.astype({"converged": float, "near_chance": float})) for mark in "†‡§")


def test_validation_accuracy_column_and_training_set_size_per_table():
    rows = [make_record(m, s, a + 0.01 * s, task="cifar10", fraction=f, n_train=n, val_acc=a + 0.02)
            for m, a in (("none", 0.40), ("classic", 0.45)) for s in range(2) for f, n in ((0.4, 1000), (1.0, 2500))]
    board = build(frame(rows))
    assert [t.title for t in board.tables] == ["cifar10 (cifar10-jpeg), fraction 0.4 (1000 train examples), profile quick",
                                               "cifar10 (cifar10-jpeg), fraction 1 (2500 train examples), profile quick"]
    headers, classic = board.tables[0].headers, board.tables[0].rows[0]
    assert headers[:7] == ["method", "clean acc %", "seeds", "gain vs none (pts)", "p", "adj. p", "val acc %"]
    assert classic[0] == "classic" and classic[6].startswith("47.00 ± ")
    assert [r[4] for r in board.cells.rows if r[3] == "0.4"] == ["1000"] * 4


def test_provenance_names_the_libraries_and_the_lock_behind_the_rows():
    import json

    from augbench.reporting.leaderboard import provenance

    versions = json.dumps({"blas": "openblas 0.3.30 SkylakeX", "scikit-learn": "1.9.1"}, sort_keys=True)
    old = frame([make_record("none", 0)])  # a row from before schema 4: no library_versions
    locked = frame([make_record("none", 1)]).assign(library_versions=versions, lock_digest="efa14738962f93f1")
    unlocked = frame([make_record("none", 2)]).assign(library_versions=versions.replace("1.9.1", "1.10.0"), lock_digest=None)
    lines = provenance(pd.concat([old, locked, unlocked]))
    assert "blas openblas 0.3.30 SkylakeX, scikit-learn 1.10.0/1.9.1 (1 row from before these were recorded)" in lines
    assert "requirements.lock: efa14738962f93f1; 1 row not from a locked environment" in lines
    assert not any("requirements.lock" in line for line in provenance(old))  # nothing recorded, nothing claimed
