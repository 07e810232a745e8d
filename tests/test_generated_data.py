"""Issue 24: generator regimes (scarce / pool), the confidence filter, compositions, and the exchange rate."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from augbench.cli import main
from augbench.config.cell import Cell
from augbench.config.profiles import TrainConfig
from augbench.reporting.exchange import exchange_rates, read_off, worth_text
from augbench.reporting.leaderboard import _exchange, with_labels
from augbench.results.store import Store
from augbench.methods import METHODS
from augbench.methods.compose import canonical
from augbench.tasks import TASKS
from augbench.tasks.base import _cached_arrays

from conftest import fit_mnist_vae_on_pool
from test_cache_independence import _rows


def smoke(store, *extra: str) -> int:
    return main(["run", "--profile", "smoke", "--store", str(store), "--no-progress", *extra])


def stored(path) -> list[dict]:
    with Store(path) as store:
        return store.records()


# --- the pool regime --------------------------------------------------------------------------------------


def test_the_generator_pool_is_the_train_split_outside_validation(sources):
    """What a pool generator sees: every train row but the validation rows; the test split is another file."""
    for name in ("mnist", "trec"):
        task = TASKS.get(name)()
        _, y_train, _, _ = _cached_arrays(task, sources[name])
        pool, val = task.generator_pool_rows(y_train), task.val_rows(y_train)
        assert len(np.intersect1d(pool, val)) == 0
        assert len(pool) + len(val) == len(y_train)


def test_a_pool_generator_is_fitted_once_and_reused_across_sizes_and_seeds(tmp_path, monkeypatch):
    monkeypatch.setenv("AUGBENCH_CACHE", str(tmp_path / "cache"))
    store = tmp_path / "runs.sqlite"
    assert smoke(store, "--tasks", "mnist", "--methods", "vae", "--param", "vae.data=pool", "--fractions", "0.5,1",
                 "--seeds", "2") == 0
    rows = sorted(stored(store), key=lambda r: (r["fraction"], r["seed"]))
    assert [r["gen_cache_hit"] for r in rows] == [False, True, True, True]
    assert {r["generator_data"] for r in rows} == {"pool"}
    assert len({r["gen_fit_s"] for r in rows}) == 1  # the one fit's cost, reported by every cell that uses it
    assert len(list((tmp_path / "cache" / "generators").glob("mnist-vae-*.pt"))) == 1
    assert all(json.loads(r["method_params"])["steps"] == 15 for r in rows)  # smoke: POOL_STEPS x 1


def test_a_pool_generator_never_trains_on_validation_or_test_rows(sources, tmp_path, monkeypatch):
    """Every batch the pool generator draws comes from the pool: the validation rows' images never appear."""
    task = TASKS.get("mnist")()
    data, pool_split, batches, _ = fit_mnist_vae_on_pool(sources["mnist"], tmp_path, "pool", steps=5,
                                                         train_pool=300, test_limit=300)
    drawn = torch.cat([x for x, _ in batches])
    assert len(pool_split) == 59000 and len(drawn) == 80
    flat = lambda x: {bytes(row) for row in (x.reshape(len(x), -1) * 255).round().to(torch.uint8).numpy()}
    held_out = flat(task.prepare(data.val.x)) | flat(task.prepare(data.test.x))
    pool_images = flat(task.prepare(pool_split.x))
    assert flat(drawn) <= pool_images
    # MNIST has a few duplicate images across splits; none of the drawn ones may be a held-out example unless it
    # is also a pool image (drawn from the pool, not from the held-out rows).
    assert all(image in pool_images for image in flat(drawn) & held_out)


@pytest.mark.parametrize("task", ["trec", "mnist"])
def test_pool_cells_are_identical_with_a_cold_and_a_warm_cache(task, tmp_path, monkeypatch):
    monkeypatch.setenv("AUGBENCH_CACHE", str(tmp_path / "cache"))
    args = ["run", "--profile", "smoke", "--tasks", task, "--methods", "vae", "--param", "vae.data=pool",
            "--param", "vae.filter_tau=0.2", "--fractions", "0.5,1", "--seeds", "2", "--no-progress"]
    assert main([*args, "--store", str(tmp_path / "cold.sqlite")]) == 0
    assert main([*args, "--store", str(tmp_path / "warm.sqlite")]) == 0
    cold, warm = _rows(tmp_path / "cold.sqlite"), _rows(tmp_path / "warm.sqlite")
    assert len(cold) == 4 and cold == warm


def test_bad_regime_values_are_refused_before_a_store_exists(tmp_path, capsys):
    store = tmp_path / "runs.sqlite"
    for param, needle in (("vae.data=big", "bad value 'big' for --param vae.data: expected one of scarce|pool|unlabelled"),
                          ("vae.filter_tau=1.5", "filter_tau=1.5 is invalid"),
                          ("vae.gen_seed=3", "gen_seed=3 applies to data=pool and data=unlabelled only")):
        assert smoke(store, "--tasks", "mnist", "--methods", "vae", "--param", param) == 2
        assert needle in capsys.readouterr().err
    assert not store.exists()


def test_regime_defaults_keep_the_run_ids_of_stored_rows():
    """`data`, `gen_seed` and `filter_tau` at their defaults are not in the resolved parameters: the committed
    baseline's run_ids stay valid (tests/test_baseline_identity.py checks them all)."""
    task = TASKS.get("mnist")()
    cls = METHODS.get("vae")
    resolved = cls(cls.default_params("quick", task), task, 0).resolved_params()
    assert not {"data", "gen_seed", "filter_tau"} & set(resolved)
    pool = cls.complete_params(cls.Params(data="pool", steps=300), "quick", set())
    assert pool.steps == 3000  # POOL_STEPS: x10 in quick unless steps is given (gan: x3)
    gan = METHODS.get("gan")
    assert gan.complete_params(gan.Params(data="pool", steps=200), "quick", set()).steps == 600
    assert cls.complete_params(cls.Params(data="pool", steps=300), "quick", {"steps"}).steps == 300


def test_the_share_and_filter_chosen_on_validation_are_the_vaes_defaults_where_they_won():
    """augbench/methods/vae.py SHARE_FILTER: per (task, regime), quick profile only; a value the user sets wins."""
    vae, gan = METHODS.get("vae"), METHODS.get("gan")
    mnist, trec = TASKS.get("mnist")(), TASKS.get("trec")()

    def chosen(cls, params, task, given=frozenset(), profile="quick"):
        done = cls.complete_params(params, profile, set(given), task)
        return done.ratio, done.filter_tau

    assert chosen(vae, vae.Params(), mnist) == (0.25, 0.9)
    assert chosen(vae, vae.Params(data="pool"), mnist) == (0.5, 0.0)  # MNIST's pool kept the default
    assert chosen(vae, vae.Params(data="pool"), trec) == (0.25, 0.5) and chosen(vae, vae.Params(), trec) == (0.5, 0.0)
    assert chosen(vae, vae.Params(ratio=0.4), mnist, {"ratio"}) == (0.4, 0.9)
    assert chosen(vae, vae.Params(), mnist, profile="smoke") == (0.5, 0.0)
    assert chosen(gan, gan.Params(), mnist) == (0.5, 0.0)  # only the vae was tuned


# --- the confidence filter ----------------------------------------------------------------------------------


class FixedProbability(nn.Module):
    """A 'classifier' whose probability for class 0 is the sample's first value (2 classes)."""

    def forward(self, x):
        p = x.reshape(len(x), -1)[:, 0].clamp(1e-6, 1 - 1e-6)
        return torch.stack([p.log(), (1 - p).log()], dim=1)


def test_the_filter_keeps_samples_whose_label_probability_reaches_tau_and_drops_the_rest():
    task = TASKS.get("mnist")()
    cls = METHODS.get("vae")
    method = cls(cls.Params(filter_tau=0.7), task, 0)
    method.filter_model = FixedProbability()
    # Each draw returns the next queued batch: class-0 probabilities 0.9 (keep), 0.5 (drop), 0.7 (keep, = tau).
    queue = [torch.tensor([0.9, 0.5, 0.7]), torch.tensor([0.2]), *[torch.tensor([0.1])] * 10]

    def draw(labels, generator):
        values = queue.pop(0)
        assert len(values) == len(labels)
        return values.view(-1, 1, 1, 1).expand(-1, 1, 28, 28).clone()

    method.draw_synthetic = draw
    samples, kept = method.filtered(torch.zeros(3, dtype=torch.long), torch.Generator())
    assert kept.tolist() == [True, False, True]
    assert samples[0, 0, 0, 0] == pytest.approx(0.9) and samples[2, 0, 0, 0] == pytest.approx(0.7)
    # the dropped position was drawn again FILTER_ROUNDS - 1 times, always below tau: 3 + 7 judged, 2 kept
    assert method.filter_drawn == 10 and method.filter_kept == 2


def test_a_filtered_batch_keeps_the_real_examples_where_nothing_passed():
    task = TASKS.get("mnist")()
    cls = METHODS.get("vae")
    method = cls(cls.Params(filter_tau=0.5, ratio=1.0), task, 0)
    method.filter_model = FixedProbability()
    method.draw_synthetic = lambda labels, generator: torch.zeros(len(labels), 1, 28, 28) + 0.01  # p(class 0) = 0.01
    x, y = torch.rand(8, 1, 28, 28), torch.zeros(8, dtype=torch.long)
    out_x, out_y = method.augment(x, y, nn.Identity())
    assert torch.equal(out_x, x) and torch.equal(out_y, y)


# --- compositions -------------------------------------------------------------------------------------------


def test_a_composition_has_its_own_config_hash_and_names_both_parts(tmp_path, monkeypatch):
    monkeypatch.setenv("AUGBENCH_CACHE", str(tmp_path / "cache"))
    store = tmp_path / "runs.sqlite"
    assert smoke(store, "--tasks", "mnist", "--methods", "adversarial,vae,vae+adversarial",
                 "--param", "vae.ratio=0.25") == 0
    rows = {r["method"]: r for r in stored(store)}
    assert set(rows) == {"adversarial", "vae", "adversarial+vae"}  # parts sorted: one name per composition
    assert len({r["run_id"] for r in rows.values()}) == 3
    params = json.loads(rows["adversarial+vae"]["method_params"])
    assert params["vae"] == json.loads(rows["vae"]["method_params"]) and params["vae"]["ratio"] == 0.25
    assert params["adversarial"] == json.loads(rows["adversarial"]["method_params"])
    composed = rows["adversarial+vae"]
    assert composed["cas"] is not None and composed["guard_json"] is not None  # both parts' own metrics
    assert bool(composed["gen_cache_hit"]) is True  # the vae cell's generator: the same data, the same fit


@pytest.mark.parametrize("methods,needle", [
    ("cutmix+vae", "composition cutmix+vae cannot run on task trec: its part cutmix applies to image, audio tasks"),
    ("gan+vae", "gan and vae are both generators"),
    ("eda+vae", "eda edits raw items before featurization"),
    ("adversarial+mixup", "mixup returns probability targets"),
    ("vae+nosuch", "unknown method 'nosuch'"),
])
def test_a_composition_that_cannot_apply_is_refused_with_exit_2_and_no_store(methods, needle, tmp_path, capsys):
    store = tmp_path / "runs.sqlite"
    assert smoke(store, "--tasks", "trec", "--methods", methods) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not store.exists()


def test_canonical_names_sort_the_parts():
    assert canonical("vae+adversarial") == "adversarial+vae" == canonical("adversarial+vae")
    assert canonical("gan+classic") == "classic+gan"


def test_list_shows_how_to_write_a_composition(capsys):
    assert main(["list"]) == 0
    assert "adversarial+vae" in capsys.readouterr().out


# --- extra real examples and the exchange rate ---------------------------------------------------------------


def test_extra_real_adds_rows_outside_validation_and_the_cells_own(sources):
    task = TASKS.get("mnist")()
    y_train = _cached_arrays(task, sources["mnist"])[1]
    config = TrainConfig(train_pool=1000, test_limit=100)
    base, _ = task.select_rows(y_train, y_train[:100], 0.5, 3, config)
    more, _ = task.select_rows(y_train, y_train[:100], 0.5, 3, config.replace(extra_real=2.0))
    assert len(more) == 3 * len(base) and set(base) <= set(more)
    assert not set(more) & set(task.val_rows(y_train))
    counts = np.bincount(y_train[np.setdiff1d(more, base)], minlength=10)
    assert counts.min() >= 90  # stratified: about 100 per digit
    assert config.replace(extra_real=2.0).identity()["extra_real"] == 2.0 and "extra_real" not in config.identity()


def test_extra_real_beyond_the_split_is_a_planning_error(tmp_path, capsys):
    store = tmp_path / "runs.sqlite"
    assert smoke(store, "--tasks", "mnist", "--methods", "none", "--param", "train.extra_real=100") == 2
    assert "train.extra_real=100 asks for" in capsys.readouterr().err and not store.exists()


def test_read_off_interpolates_on_the_running_maximum():
    ks, accs = np.array([0, 100, 200, 400]), np.array([0.80, 0.90, 0.88, 0.94])
    assert read_off(ks, accs, 0.85) == pytest.approx(50)
    assert read_off(ks, accs, 0.90) == pytest.approx(100)
    assert read_off(ks, accs, 0.92) == pytest.approx(200 + 200 * (0.02 / 0.04))  # 0.88 dips: the envelope stays 0.90
    assert read_off(ks, accs, 0.80) == 0
    assert read_off(ks, accs, 0.79) == -math.inf
    assert read_off(ks, accs, 0.95) == math.inf  # never reached: "worth more than the largest k"
    assert worth_text(math.inf, 400) == "> 400" and worth_text(-math.inf, 400) == "< 0"


def _row(method, seed, acc, extra=0.0, params=None, n=100):
    config = {"epochs": 1} | ({"extra_real": extra} if extra else {})
    return {"task": "t", "profile": "quick", "fraction": 0.5, "method": method, "seed": seed, "status": "ok",
            "clean_acc": acc, "n_train": int(n * (1 + extra)), "train_config": json.dumps(config),
            "method_params": json.dumps(params or {})}


def test_exchange_rates_on_a_synthetic_curve():
    gen = {"ratio": 0.5, "steps": 10, "data": "pool"}
    rows = [_row("none", s, a) for s, a in enumerate([0.80, 0.81, 0.79])]
    rows += [_row("none", s, a, extra=1.0) for s, a in enumerate([0.90, 0.91, 0.89])]
    rows += [_row("none", s, a, extra=2.0) for s, a in enumerate([0.92, 0.93, 0.91])]
    rows += [_row("vae", s, a, params=gen) for s, a in enumerate([0.85, 0.86, 0.84])]  # half way to k = 100
    rows += [_row("gan", s, a, params=gen) for s, a in enumerate([0.97, 0.96, 0.98])]  # above the curve
    rows += [_row("wgan_gp", s, a, params={"ratio": 0.5, "steps": 10}) for s, a in enumerate([0.70, 0.72, 0.71])]
    worths = {w.method: w for w in exchange_rates(pd.DataFrame(rows))}
    assert worths["vae"].worth == pytest.approx(50) and worths["vae"].regime == "pool"
    assert worths["vae"].worth_low < 50 < worths["vae"].worth_high
    assert worths["gan"].worth == math.inf and worths["gan"].k_max == 200
    assert worths["wgan_gp"].worth == -math.inf and worths["wgan_gp"].regime == "scarce"
    table = _exchange(pd.DataFrame(rows))
    assert table.title == "Generated data in real examples (exchange rate)"
    assert {row[3]: row[7] for row in table.rows} == {"gan": "> 200", "vae": "50", "wgan_gp": "< 0"}
    labelled = with_labels(pd.DataFrame(rows).assign(data_variant="v", task_params="{}", data_checksum="c"))
    assert set(labelled["label"]) >= {"vae (pool)", "gan (pool)", "wgan_gp", "none"}  # the regime is named in the tables


def test_compare_by_method_name_leaves_out_pool_generators_and_curve_cells():
    """`make regress` compares a fresh core run with the baseline `--methods none,...,vae`: the baseline's pool
    generators and extra-real cells are other cells, not cells the run lost."""
    from augbench.cli import _select

    rows = pd.DataFrame([_row("none", 0, 0.8), _row("none", 0, 0.9, extra=1.0),
                         _row("vae", 0, 0.8, params={"ratio": 0.5, "steps": 10}),
                         _row("vae", 0, 0.8, params={"ratio": 0.5, "steps": 100, "data": "pool"})])
    kept = _select(rows, ["none", "vae"], None)
    assert len(kept) == 2 and set(kept["method"]) == {"none", "vae"}
    assert len(_select(rows, None, None)) == 4


def test_the_quality_threshold_is_the_lowest_cas_that_gained_or_says_none_did():
    from augbench.reporting.leaderboard import quality_threshold

    lines = pd.DataFrame({"label": ["gan", "vae (pool)", "wgan_gp", "adversarial+vae"], "method": ["gan", "vae", "wgan_gp", "adversarial+vae"],
                          "task": "mnist", "n_train": 600, "cas_mean": [0.40, 0.90, 0.70, 0.95],
                          "gain_mean": [-0.01, 0.004, 0.002, 0.02], "gain_q": [0.01, 0.03, 0.20, 0.001]})
    assert "is 90.0% (vae (pool), mnist, n_train=600; 1 of 3 generative lines gained)" in quality_threshold(lines)
    none_gained = lines.assign(gain_q=0.5)  # the adjusted p decides, as every star does
    assert "the data show no threshold" in quality_threshold(none_gained) and "up to 90.0%" in quality_threshold(none_gained)


def test_the_curve_is_a_monotone_fit_of_every_seeds_point():
    from augbench.reporting.exchange import monotone_fit

    ks = np.array([0, 0, 100, 100, 200, 200, 400, 400], dtype=float)
    accs = np.array([0.79, 0.81, 0.91, 0.89, 0.87, 0.89, 0.93, 0.95])
    distinct, fit = monotone_fit(ks, accs)
    assert list(distinct) == [0, 100, 200, 400]
    assert np.allclose(fit, [0.80, 0.89, 0.89, 0.94])  # the dip at 200 pools with 100 (least squares), never a running max
    assert (np.diff(fit) >= 0).all()


def test_a_gain_within_the_curves_noise_is_never_written_as_a_number():
    gen = {"ratio": 0.5, "steps": 10}
    rows = [_row("none", s, a) for s, a in enumerate([0.80, 0.81, 0.79])]
    rows += [_row("none", s, a, extra=1.0) for s, a in enumerate([0.80, 0.79, 0.81])]  # flat from k = 0 to 100
    rows += [_row("none", s, a, extra=2.0) for s, a in enumerate([0.90, 0.91, 0.89])]
    rows += [_row("vae", s, a, params=gen) for s, a in enumerate([0.806, 0.80, 0.809])]  # +0.5 pts, within noise
    rows += [_row("gan", s, a, params=gen) for s, a in enumerate([0.97, 0.96, 0.98])]  # never reached
    worths = {w.method: w for w in exchange_rates(pd.DataFrame(rows))}
    vae = worths["vae"]
    # The point read-off lands past the flat stretch (the running maximum's flaw: +0.5 pts "worth" 105 examples) ...
    assert vae.worth > 100
    # ... but the bootstrap holds 0, so the table says so instead of the number.
    assert vae.worth_low <= 0 <= vae.worth_high and vae.within_noise
    table = {row[3]: row for row in _exchange(pd.DataFrame(rows)).rows}
    assert table["vae"][7] == "within noise" and table["vae"][9] == "–"
    assert table["gan"][7] == "> 200" and not worths["gan"].within_noise
    assert worths["gan"].worth_low == worths["gan"].worth_high == math.inf
    again = {w.method: w for w in exchange_rates(pd.DataFrame(rows))}
    assert (again["vae"].worth_low, again["vae"].worth_high) == (vae.worth_low, vae.worth_high)  # seeded


def test_worth_as_a_share_of_the_labels_a_scarce_arm_consumed():
    rows = [_row("none", s, a) for s, a in enumerate([0.80, 0.81, 0.79])]
    rows += [_row("none", s, a, extra=1.0) for s, a in enumerate([0.90, 0.91, 0.89])]
    rows += [_row("vae", s, a, params={"ratio": 0.5, "steps": 10}) for s, a in enumerate([0.85, 0.86, 0.84])]
    (vae,) = exchange_rates(pd.DataFrame(rows))
    assert vae.worth == pytest.approx(50) and vae.share_of_labels == pytest.approx(0.5)  # 50 of its 100 labels
    assert _exchange(pd.DataFrame(rows)).rows[0][9] == "50%"


def test_the_vectorized_isotonic_fit_and_read_off_equal_the_plain_ones():
    from sklearn.isotonic import IsotonicRegression

    from augbench.reporting.exchange import isotonic, read_off_many

    rng = np.random.default_rng(0)
    ks = np.array([0.0, 150, 300, 600, 1200])
    values, weights = rng.normal(0.9, 0.03, size=(200, 5)), np.array([5.0, 3, 3, 3, 2])
    fits = isotonic(values, weights)
    for row, fit in zip(values, fits):
        assert np.allclose(fit, IsotonicRegression().fit(ks, row, sample_weight=weights).predict(ks))
    accs = rng.normal(0.9, 0.04, size=200)
    assert np.array_equal(read_off_many(ks, fits, accs), [read_off(ks, f, a) for f, a in zip(fits, accs)])
