"""`augbench validate`: verdicts, printed values and exit statuses on hand-made stores, and one-line errors.

Every store is built here from fixture records: `passing()` passes every effect and each case breaks one.
The expected output of the passing store is tests/golden/validate/pass.txt; set AUGBENCH_REGEN_GOLDEN=1 to
rewrite it after an intended change, then review the diff.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from augbench.cli import main
from augbench.reporting import validate as validate_module
from augbench.reporting.validate import EFFECTS
from augbench.results.export import write_export
from augbench.results.record import RunRecord
from augbench.results.store import Store
from fixture_records import frame, make_record

GOLDEN = Path(__file__).resolve().parent / "golden" / "validate"
REPO = Path(__file__).resolve().parent.parent
POOL = {"mnist": 60000, "cifar10": 10000, "trec": 5000, "sst2": 5000, "fsdd": 300}  # training pool: n_train = pool x fraction
SMALL, LARGE = 0.1, 1.0

# Per seed 0, 1, 2 at (SMALL, LARGE): numbers of the size the quick profile measures.
CIFAR_CLEAN = {"none": ([0.400, 0.420, 0.410], [0.540, 0.550, 0.545]),
               "classic": ([0.450, 0.480, 0.462], [0.600, 0.612, 0.605]),
               "mixup": ([0.405, 0.418, 0.420], [0.545, 0.552, 0.550]),  # +0.43 pts, not significant
               "cutmix": ([0.430, 0.452, 0.440], [0.570, 0.580, 0.575])}  # +3.07 pts, p < 0.05: the best recipe
MNIST_CLEAN = {"none": ([0.960, 0.962, 0.958], [0.985, 0.986, 0.987]),
               "classic": ([0.965, 0.966, 0.962], [0.988, 0.987, 0.989]),
               "adversarial": ([0.930, 0.935, 0.928], [0.950, 0.951, 0.949])}
MNIST_PGD = {"none": ([0.000, 0.010, 0.005], [0.000, 0.000, 0.010]),
             "classic": ([0.000, 0.000, 0.000], [0.000, 0.000, 0.000]),
             "adversarial": ([0.850, 0.880, 0.860], [0.880, 0.890, 0.900])}
MNIST_CAS = {"gan": [0.600, 0.620, 0.580], "vae": [0.800, 0.790, 0.810], "wgan_gp": [0.550, 0.560, 0.570]}
# EDA on both text tasks: +3.0 pts at the small size, +1.0 at the large one (the paper's shape).
TEXT_CLEAN = {"none": ([0.700, 0.720, 0.710], [0.850, 0.860, 0.855]),
              "eda": ([0.740, 0.745, 0.735], [0.860, 0.870, 0.865])}
# Effect (h): `none`'s accuracy under word substitutions per seed (70% before): -35 pts, as SST-2 measures.
WORDS_AFTER = (0.35, 0.34, 0.36)
# Effect (i): FSDD `none` (90% clean) under white noise at 0 dB SNR per seed: -73 pts, as the quick rows measure.
NOISE_0DB = (0.17, 0.16, 0.18)
# Gowal et al.'s effect (g), per regime: the scarce composition gains PGD accuracy over `adversarial`, the pool one does not.
GOWAL_PGD = {("adversarial+vae", "scarce"): ([0.880, 0.900, 0.885], [0.900, 0.905, 0.910]),
             ("adversarial+vae", "pool"): ([0.850, 0.880, 0.860], [0.870, 0.890, 0.900])}
# Every summary line of a store with TEXT_CLEAN and GOWAL_PGD ends with the reported EDA and Gowal lines.
REPORTED = ", 4 reported (3 shown; not required to pass)"
BROKEN_C = ", 4 reported (4 shown; not required to pass)"


def cell(method: str, seed: int, fraction: float, clean: float, task: str = "mnist", **metrics) -> RunRecord:
    record = make_record(method, seed, clean, task=task, fraction=fraction, **metrics)
    return dataclasses.replace(record, n_train=round(POOL[task] * fraction))


def words(after: float, before: float = 0.70, changed: float = 0.09) -> dict:
    """A `none` text row's word-attack metrics: accuracy `before` and `after` on 500 attacked sentences."""
    described = {"attack": "pwws", "examples": 500, "clean_correct": round(500 * before),
                 "success_rate": 1 - after / before, "mean_words_changed": changed, "share": 0.2}
    return {"word_acc": after, "robust_acc": after, "word_json": json.dumps(described)}


def passing(cifar: dict = CIFAR_CLEAN, clean: dict = MNIST_CLEAN, pgd: dict = MNIST_PGD,
            cas: dict = MNIST_CAS, text: dict = TEXT_CLEAN, words_after: tuple = WORDS_AFTER,
            noise_0db: tuple = NOISE_0DB) -> list[RunRecord]:
    """A store in which every effect holds; the keyword arguments swap in the numbers that break one."""
    rows = []
    for i, fraction in enumerate((SMALL, LARGE)):
        for seed in range(3):
            rows += [cell(m, seed, fraction, v[i][seed], task="cifar10") for m, v in cifar.items()]
            rows += [cell(m, seed, fraction, v[i][seed], pgd_acc=pgd[m][i][seed]) for m, v in clean.items()]
            rows += [cell(m, seed, fraction, 0.98, cas=v[seed], pgd_acc=0.0) for m, v in cas.items()]
            rows += [cell(m, seed, fraction, v[i][seed], task=t, **(words(words_after[seed]) if m == "none" else {}))
                     for t in ("trec", "sst2") for m, v in text.items()]
            rows += [cell("none", seed, fraction, 0.90, task="fsdd",
                          corruption_json=json.dumps({"waveform_noise_0db": noise_0db[seed], "time_mask": 0.7}))]
            rows += [cell(m, seed, fraction, 0.95, pgd_acc=v[i][seed],
                          params={"adversarial": {}, "vae": {"ratio": 0.5, "steps": 300, "data": regime}})
                     for (m, regime), v in GOWAL_PGD.items()]
    return rows


def export(records: list[RunRecord], path: Path) -> Path:
    if path.suffix == ".sqlite":
        with Store(path) as store:
            for record in records:
                store.put(record)
    else:
        write_export(frame(records), path, path.suffix.lstrip("."))
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["validate", *argv])
    out = capsys.readouterr()
    return status, out.out, out.err


def table_line(out: str, name: str) -> str:
    """The table row of effect `name` (its first words)."""
    rows = [line for line in out.splitlines() if line.startswith(name)]
    assert len(rows) == 1, f"{name!r} in\n{out}"
    return rows[0]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    # Relative paths keep the printed source independent of the machine; the checkout's own reproductions
    # folder is swapped for one in tmp_path, so files committed there do not change these tests.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(validate_module, "DEFAULT_REPRODUCTIONS", tmp_path / "results" / "reproductions")


def test_passing_store_matches_golden_and_exits_0(capsys):
    export(passing(), Path("runs.json"))
    code, out, err = run(capsys, "runs.json")
    expected = GOLDEN / "pass.txt"
    if os.environ.get("AUGBENCH_REGEN_GOLDEN"):
        expected.write_text(out)
    assert (code, err) == (0, "")
    assert out == expected.read_text()
    assert out.endswith(f"validate: 10 passed, 0 failed, 0 not measured{REPORTED}\n")


def test_printed_values_are_the_paired_gains_at_the_smallest_size(capsys):
    export(passing(), Path("runs.json"))
    _, out, _ = run(capsys, "runs.json")
    # cifar10 gains per seed 5.0, 6.0, 5.2 pts at n_train=1000 (not the larger size's 6.0, 6.2, 6.0).
    a = table_line(out, "(a)")
    assert "cifar10, n_train=1000, 3 seeds" in a and "+5.40 pts" in a and "PASS" in a
    assert "DeVries & Taylor 2017" in a and "10.6% -> 4.7%" in a
    assert "+0.43 pts" in table_line(out, "(b)")
    c = table_line(out, "(c)")
    assert "mnist, n_train=6000, 3 seeds" in c and "+85.83 pts" in c
    assert "gain by size: n_train=6000 +85.83 pts, n_train=60000 +88.67 pts; no collapsed seed" in out
    assert "60.00%" in table_line(out, "(d) CAS on mnist: gan") and "mnist, n_train=60000" in out
    assert "no reproductions found in results/reproductions" in out


@pytest.mark.parametrize("suffix", [".sqlite", ".csv"])
def test_store_and_csv_read_like_json(capsys, suffix):
    export(passing(), Path("runs.json"))
    _, from_json, _ = run(capsys, "runs.json")
    export(passing(), Path(f"runs{suffix}"))
    code, out, _ = run(capsys, f"runs{suffix}")
    assert code == 0 and out.replace(f"runs{suffix}", "runs.json") == from_json


def _swap(table: dict, method: str, small: list[float]) -> dict:
    return {**table, method: (small, table[method][1])}


@pytest.mark.parametrize("name, broken", [
    ("(a)", dict(cifar=_swap(CIFAR_CLEAN, "classic", [0.380, 0.400, 0.395]))),  # classic loses on every seed
    ("(a)", dict(cifar=_swap(CIFAR_CLEAN, "classic", [0.450, 0.380, 0.420]))),  # mean gain > 0, p = 0.82
    ("(b)", dict(clean=_swap(MNIST_CLEAN, "classic", [0.950, 0.952, 0.949]))),
    ("(c)", dict(pgd=_swap(MNIST_PGD, "adversarial", [0.300, 0.310, 0.290]))),  # +29.5 pts: just short
    ("(d) CAS on mnist: wgan_gp", dict(cas={**MNIST_CAS, "wgan_gp": [0.200, 0.250, 0.300]})),
    ("(e)", dict(cifar=_swap(CIFAR_CLEAN, "cutmix", [0.395, 0.415, 0.405]))),  # the best recipe left: mixup, p > 0.05
])
def test_breaking_one_effect_fails_only_that_one(capsys, name, broken):
    export(passing(**broken), Path("runs.json"))
    code, out, _ = run(capsys, "runs.json")
    assert code == 1
    assert "FAIL" in table_line(out, name)
    assert [line for line in out.splitlines() if line.endswith("FAIL")] == [table_line(out, name)]
    # breaking (c) lowers adversarial's PGD accuracy, so (g) then shows a gain in both regimes
    assert out.endswith(f"validate: 9 passed, 1 failed, 0 not measured{BROKEN_C if name == '(c)' else REPORTED}\n")


def test_an_insignificant_cifar10_gain_fails_with_its_p_value(capsys):
    export(passing(cifar=_swap(CIFAR_CLEAN, "classic", [0.450, 0.380, 0.420])), Path("runs.json"))
    _, out, _ = run(capsys, "runs.json")
    assert "+0.67 pts" in table_line(out, "(a)") and "paired t-test p=0.822" in out


def test_a_collapsed_adversarial_seed_fails_even_with_a_large_mean_gain(capsys):
    # Seed 2 collapsed (catastrophic overfitting): the mean gain is still +59 pts.
    export(passing(pgd=_swap(MNIST_PGD, "adversarial", [0.900, 0.910, 0.020])), Path("runs.json"))
    code, out, _ = run(capsys, "runs.json")
    c = table_line(out, "(c)")
    assert code == 1 and "+60.50 pts" in c and c.endswith("FAIL")
    # Each seed within 10 pts of the seeds' median: the collapsed seed is named, the two healthy ones are not
    # (they were, when the rule measured from the mean, which the collapsed seed drags down to 61%).
    assert ("seeds more than 10 pts from their size's median: n_train=6000 (median 90.00%): seed 2 2.00%") in out


def test_missing_cifar10_cells_are_not_measured_and_do_not_fail(capsys):
    records = [r for r in passing() if r.task != "cifar10"]
    records.append(make_record("classic", 0, task="cifar10", status="failed"))  # a failed row does not count
    export(records, Path("runs.json"))
    code, out, _ = run(capsys, "runs.json")
    assert code == 0
    assert table_line(out, "(a)").endswith("NOT MEASURED")
    assert "missing cells: cifar10/classic (no ok rows), cifar10/none (no ok rows)" in out
    assert "1 rows not ok, ignored" in out
    assert out.endswith(f"validate: 8 passed, 0 failed, 2 not measured{REPORTED}\n")


def test_one_cifar10_seed_is_not_measured_and_says_why(capsys):
    export([r for r in passing() if r.task != "cifar10" or r.seed == 0], Path("runs.json"))
    code, out, _ = run(capsys, "runs.json")
    a = table_line(out, "(a)")
    assert code == 0 and "cifar10, n_train=1000, 1 seed" in a and "+5.00 pts" in a and a.endswith("NOT MEASURED")
    assert "the paired t-test needs >= 2 seeds, the store has 1" in out


def test_an_empty_store_measures_nothing(capsys):
    export([make_record("none", 0, status="failed")], Path("runs.sqlite"))
    code, out, _ = run(capsys, "runs.sqlite")
    assert code == 0 and "no ok rows" in out
    # one line per effect, (h) one per text task
    assert out.endswith(f"validate: 0 passed, 0 failed, {len(EFFECTS) + 1} not measured\n")


def test_the_profile_with_most_rows_is_checked_and_named(capsys):
    smoke = [dataclasses.replace(make_record("classic", s, 0.1, task="cifar10", profile="smoke"), n_train=100)
             for s in range(3)]
    export(passing() + smoke, Path("runs.json"))
    code, out, _ = run(capsys, "runs.json")
    assert code == 0
    assert "profile quick: 102 ok rows (the profile with the most)" in out
    assert "not checked: smoke (3 ok rows)" in out


def test_markdown_output_holds_the_same_verdicts(capsys):
    export(passing(pgd=_swap(MNIST_PGD, "adversarial", [0.300, 0.310, 0.290])), Path("runs.json"))
    code, out, _ = run(capsys, "runs.json", "--output", "out/validate.md")
    text = Path("out/validate.md").read_text()
    assert code == 1 and text.startswith("# augbench validate: runs.json")
    assert "| (c) adversarial >> none: mnist robust " in text and "| FAIL " in text
    assert text.splitlines()[-1] == out.splitlines()[-1] == f"validate: 9 passed, 1 failed, 0 not measured{BROKEN_C}"


def reproduction(measured_pgd: float, **changes) -> dict:
    data = {"name": "wong2020-mnist", "title": "Wong, Rice & Kolter 2020, FGSM-RS on MNIST",
            "command": "augbench reproduce wong2020-mnist",
            "reference": {"clean_acc": 0.985, "pgd_acc": 0.8838, "source": "their released model"},
            "measured": {"clean_acc": 0.97, "pgd_acc": measured_pgd}, "tolerance_points": 5.0,
            "run_id": "abc", "machine": "test cpu", "settings": {"eps": 0.3}}
    data.update(changes)
    return data


def write_reproduction(folder: Path, data: object, name: str = "wong2020-mnist.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_a_reproduction_within_tolerance_passes(capsys):
    export(passing(), Path("runs.json"))
    write_reproduction(Path("results/reproductions"), reproduction(0.85))
    code, out, _ = run(capsys, "runs.json")
    pgd = table_line(out, "wong2020-mnist: pgd_acc")
    assert code == 0 and "85.00%" in pgd and "88.38% (their released model)" in pgd and pgd.endswith("PASS")
    assert table_line(out, "wong2020-mnist: clean_acc").endswith("PASS")
    assert "pgd_acc: gap -3.38 pts" in out and "clean_acc: gap -1.50 pts" in out
    assert "rerun: augbench reproduce wong2020-mnist" in out and "no reproductions found" not in out
    assert out.endswith(f"validate: 12 passed, 0 failed, 0 not measured{REPORTED}\n")


def test_a_gap_of_exactly_the_tolerance_passes(capsys):
    export(passing(), Path("runs.json"))
    write_reproduction(Path("results/reproductions"), reproduction(0.8338))
    code, out, _ = run(capsys, "runs.json")
    assert code == 0 and "pgd_acc: gap -5.00 pts" in out and table_line(out, "wong2020-mnist: pgd_acc").endswith("PASS")


def test_a_reproduction_that_drifted_is_reported_and_fails_only_when_strict(capsys):
    export(passing(), Path("runs.json"))
    write_reproduction(Path("repro"), reproduction(0.80))
    code, out, _ = run(capsys, "runs.json", "--reproductions", "repro")
    assert code == 0 and table_line(out, "wong2020-mnist: pgd_acc").endswith("GAP")
    assert "pgd_acc: gap -8.38 pts" in out
    assert out.endswith(f"validate: 11 passed, 0 failed, 0 not measured{REPORTED}, 1 reproduction gaps (reported; "
                        "--strict-reproductions fails on them)\n")
    code, out, _ = run(capsys, "runs.json", "--reproductions", "repro", "--strict-reproductions")
    assert code == 1 and table_line(out, "wong2020-mnist: pgd_acc").endswith("FAIL")
    assert out.endswith(f"validate: 11 passed, 1 failed, 0 not measured{REPORTED}\n")


@pytest.mark.parametrize("data, why", [
    ("{not json", "cannot read reproduction"),
    ([1, 2], "not a JSON object"),
    (reproduction(0.85, tolerance_points="5"), "tolerance_points"),
    (reproduction(0.85, measured={"clean_acc": 0.97}), "measured pgd_acc"),
    (reproduction(0.85, reference={"fid": 3.0}), "'fid' is not an accuracy"),
])
def test_a_malformed_reproduction_is_exit_2_naming_the_file(capsys, data, why):
    export(passing(), Path("runs.json"))
    path = write_reproduction(Path("results/reproductions"), data, "broken.json")
    code, out, err = run(capsys, "runs.json")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("augbench: error: ") and str(path) in err and why in err


@pytest.mark.parametrize("argv, names", [
    (["nowhere.json"], "no such file: nowhere.json"),
    (["not_an_export.json"], "not an augbench export"),
    (["notes.txt"], "cannot read notes.txt"),
    ([], "no store at results/runs.sqlite"),
    (["runs.json", "--bogus"], "--bogus"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, names):
    Path("not_an_export.json").write_text(json.dumps([{"task": "mnist", "accuracy": 0.9}]))
    Path("notes.txt").write_text("these are not results\n")
    export(passing(), Path("runs.json"))
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("augbench: error: ") and names in err


def test_the_command_line_exits_2_without_a_traceback(tmp_path):
    Path("notes.txt").write_text("these are not results\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "bench", "validate", "notes.txt"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr and "notes.txt" in done.stderr


def test_help_ends_with_examples(capsys):
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    out = capsys.readouterr().out
    assert out.rstrip().splitlines()[-1].strip().startswith("augbench validate ")
    assert "examples:" in out


def test_a_failed_reproduction_is_one_line_and_exit_1(capsys, monkeypatch):
    import augbench.reproduce as reproduce

    def fail(*args, **kwargs):
        raise reproduce.ReproductionFailed("reproduction wong2020-mnist failed: RobustnessCheckFailed: ...")

    monkeypatch.setattr(reproduce, "run_reproduction", fail)
    assert main(["reproduce", "wong2020-mnist"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "augbench reproduce: reproduction wong2020-mnist failed: RobustnessCheckFailed: ..."


def test_eda_shape_is_reported_with_the_paired_shrink_and_gains_by_size(capsys):
    export(passing(), Path("runs.json"))
    code, out, _ = run(capsys, "runs.json")
    line = table_line(out, "(f) eda gain shrinks with size: text clean: trec")
    # per seed: (+4.0, +2.5, +2.5) at 500 minus (+1.0, +1.0, +1.0) at 5,000: a shrink of +2.00 pts
    assert code == 0 and "trec, n_train=500 vs 5000, 3 seeds" in line and "+2.00 pts" in line and line.endswith("SHOWN")
    assert "eda - none by size: n_train=500: +3.00 pts" in out and "n_train=5000: +1.00 pts" in out


def test_eda_gain_that_grows_with_size_is_not_shown_and_does_not_fail(capsys):
    growing = {"none": TEXT_CLEAN["none"], "eda": ([0.700, 0.725, 0.710], [0.880, 0.890, 0.885])}
    export(passing(text=growing), Path("runs.json"))
    code, out, _ = run(capsys, "runs.json")
    assert code == 0 and table_line(out, "(f) eda gain shrinks with size: text clean: sst2").endswith("NOT SHOWN")
    assert out.endswith("validate: 10 passed, 0 failed, 0 not measured, 4 reported (1 shown; not required to pass)\n")


def test_eda_at_one_size_is_not_measured_and_says_why(capsys):
    export([r for r in passing() if r.task not in ("trec", "sst2") or r.fraction == SMALL], Path("runs.json"))
    code, out, _ = run(capsys, "runs.json")
    assert code == 0 and table_line(out, "(f) eda gain shrinks with size: text clean: trec").endswith("NOT MEASURED")
    assert "needs two sizes sharing >= 2 seeds; the store has 1 size(s)" in out


def test_a_pool_generator_below_the_cas_bar_is_reported_not_failed(capsys):
    """(d) holds the generators `make bench` runs to the bar; one fitted on the whole train split is reported."""
    pool = [cell("gan", seed, fraction, 0.98, cas=0.46, pgd_acc=0.0, params={"ratio": 0.5, "steps": 600, "data": "pool"})
            for fraction in (SMALL, LARGE) for seed in range(3)]
    export(passing() + pool, Path("runs.json"))
    code, out, _ = run(capsys, "runs.json")
    assert code == 0 and table_line(out, "(d) CAS on mnist: gan (pool)").endswith("NOT SHOWN")
    plain = [line for line in out.splitlines() if line.startswith("(d) CAS on mnist: gan ") and "(pool)" not in line]
    assert len(plain) == 1 and plain[0].endswith("PASS")


@pytest.mark.parametrize("seeds, verdict", [
    ([0.473, 0.245, 0.659], "UNDECIDED"),  # the quick gan under the execution policy: mean 45.9%, interval [0, 97]%
    ([0.100, 0.120, 0.090], "FAIL"),  # labels ignored: chance on every seed
    ([0.420, 0.440, 0.430], "FAIL"),  # consistently below the bar: the interval stays below it
    ([0.569, 0.495, 0.636], "PASS"),
])
def test_a_cas_mean_below_the_bar_fails_only_when_its_interval_is_below_it_too(capsys, seeds, verdict):
    export(passing(cas={**MNIST_CAS, "gan": seeds}), Path("runs.json"))
    code, out, _ = run(capsys, "runs.json")
    assert table_line(out, "(d) CAS on mnist: gan").endswith(verdict)
    assert code == (1 if verdict == "FAIL" else 0)
    assert ("1 undecided" in out.splitlines()[-1]) == (verdict == "UNDECIDED")


def test_pairs_run_under_different_policies_are_not_compared(capsys):
    """A method whose rows ran on two threads against `none` rows on one: its gain is not measured (the policies'
    own effect would be in it), and one mixed seed among like ones is left out and counted."""
    two = '{"cells_at_once": 1, "device": "cpu", "kernels": "avx2", "threads": 2}'
    records = passing()
    for record in records:
        if record.method == "classic" and record.task == "cifar10":
            record.exec_policy = two
    export(records, Path("runs.json"))
    _, out, _ = run(capsys, "runs.json")
    assert "NOT MEASURED" in table_line(out, "(a) classic > none: cifar10 clean")
    assert "ran under different execution policies" in out
    records = passing()
    for record in records:
        if record.method == "classic" and record.task == "cifar10" and record.seed == 0:
            record.exec_policy = two
    export(records, Path("runs.json"))
    _, out, _ = run(capsys, "runs.json")
    assert "2 seeds (1 of mixed policies left out)" in table_line(out, "(a) classic > none: cifar10 clean")


def test_a_word_attack_that_finds_nothing_fails_on_each_text_task(capsys):
    """An attack that leaves `none` at its clean accuracy (a no-op, or a featurizer that ignores the swaps) fails (h)."""
    export(passing(words_after=(0.70, 0.69, 0.70)), Path("runs.json"))
    code, out, _ = run(capsys, "runs.json")
    assert code == 1
    for task in ("sst2", "trec"):
        line = table_line(out, f"(h) word substitutions < clean: text: {task}")
        assert line.endswith("FAIL") and "-0.33 pts" in line
    assert "clean on the attacked examples 70.00%, under word substitutions 69.67%" in out
    assert out.endswith(f"validate: 8 passed, 2 failed, 0 not measured{REPORTED}\n")


def test_word_attack_rows_pass_h_with_the_loss_and_the_words_changed(capsys):
    export(passing(), Path("runs.json"))
    _, out, _ = run(capsys, "runs.json")
    line = table_line(out, "(h) word substitutions < clean: text: sst2")
    assert "sst2, n_train=500, 3 seeds" in line and "-35.00 pts" in line and line.endswith("PASS")
    assert "mean share of words changed 9.0%" in out


def test_white_noise_that_costs_the_spoken_digits_nothing_fails_i(capsys):
    export(passing(noise_0db=(0.89, 0.90, 0.88)), Path("runs.json"))
    code, out, _ = run(capsys, "runs.json")
    line = table_line(out, "(i) white noise at 0 dB SNR << clean: fsdd")
    assert code == 1 and line.endswith("FAIL") and "-1.00 pts" in line
    export(passing(), Path("runs.json"))
    code, out, _ = run(capsys, "runs.json")
    line = table_line(out, "(i) white noise at 0 dB SNR << clean: fsdd")
    assert code == 0 and line.endswith("PASS") and "fsdd, n_train=30, 3 seeds" in line and "-73.00 pts" in line


def test_adversarial_effect_judges_the_worst_case_where_every_row_has_it_and_never_mixes_it_with_pgd(capsys):
    """Effect (c) compares robust_acc (each example's worst case over FGSM, PGD and AutoAttack) when every MNIST
    `none` and `adversarial` row has it: here PGD says +87 points but the worst case only +20, below the 30-point
    bar, so the effect fails. With the worst case missing on one row, it falls back to PGD for every row."""
    def with_worst_case(rows: list[RunRecord], drop_one: bool = False) -> list[RunRecord]:
        out, dropped = [], False
        for r in rows:
            if r.task == "mnist" and r.method in ("none", "adversarial") and r.pgd_acc is not None:
                worst = 0.2 if r.method == "adversarial" else 0.0
                if drop_one and not dropped:
                    worst, dropped = None, True
                r = dataclasses.replace(r, robust_acc=worst)
            out.append(r)
        return out

    export(with_worst_case(passing()), Path("runs.json"))
    code, out, _ = run(capsys, "runs.json")
    line = table_line(out, "(c) adversarial >> none")
    assert code == 1 and "FAIL" in line and "+20.00 pts" in line
    export(with_worst_case(passing(), drop_one=True), Path("mixed.json"))
    code, out, _ = run(capsys, "mixed.json")
    assert code == 0 and "PASS" in table_line(out, "(c) adversarial >> none")
