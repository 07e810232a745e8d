"""A cell's numbers do not depend on what ran before it: a cold cache and a warm one give the same row.

Generative methods cache their generator (and feature tasks their features); a resumed sweep finds them
on disk. Two things drew from the cell's global RNG stream only when they were not cached: fitting the
generator, and training FID's reference classifier (dropout masks of the text MLP) just before the CAS
classifier. So TREC's clean accuracy and CAS differed cold vs warm, while MNIST's and FSDD's nets, which
have no dropout, did not. `fit` and `evaluate` now run on a forked stream, and the reference and CAS
classifiers each on their own seeded one.
"""

from __future__ import annotations

import pytest

from augbench.cli import main
from augbench.results.store import Store

# What a cell measured; timings, provenance and the row's own bookkeeping may differ run to run. gen_fit_s
# is the generator's own fit time (kept in the cache entry), so it is the same; gen_cache_hit says where the
# generator came from and is the one field that must differ.
RESULT_FIELDS = ("run_id", "n_train", "n_test", "clean_acc", "fgsm_acc", "pgd_acc", "corruption_acc", "corruption_json",
                 "fid", "cas", "val_acc", "val_curve", "converged", "stopped_epoch", "guard_json", "near_chance", "status", "gen_fit_s",
                 "generator_data", "gen_filter_kept")


def _rows(path):
    with Store(path) as store:
        return {r["run_id"]: {k: r[k] for k in RESULT_FIELDS} for r in store.records()}


@pytest.mark.parametrize("task", ["trec", "mnist"])
def test_generative_cells_are_identical_with_a_cold_and_a_warm_cache(task, tmp_path, monkeypatch):
    monkeypatch.setenv("AUGBENCH_CACHE", str(tmp_path / "cache"))
    args = ["run", "--profile", "smoke", "--tasks", task, "--methods", "gan,wgan_gp,vae,diffusion", "--no-progress"]
    assert main([*args, "--store", str(tmp_path / "cold.sqlite")]) == 0
    assert (tmp_path / "cache").is_dir()
    assert main([*args, "--store", str(tmp_path / "warm.sqlite")]) == 0
    cold, warm = _rows(tmp_path / "cold.sqlite"), _rows(tmp_path / "warm.sqlite")
    assert len(cold) == 4 and cold == warm


def test_a_warm_cell_records_the_cache_hit_and_the_original_fit_time(tmp_path, monkeypatch):
    """gen_fit_s is what the generator cost to fit, whether this cell fitted it or loaded it; gen_cache_hit says which."""
    monkeypatch.setenv("AUGBENCH_CACHE", str(tmp_path / "cache"))
    args = ["run", "--profile", "smoke", "--tasks", "mnist", "--methods", "vae,none", "--no-progress"]
    assert main([*args, "--store", str(tmp_path / "cold.sqlite")]) == 0
    assert main([*args, "--store", str(tmp_path / "warm.sqlite")]) == 0
    with Store(tmp_path / "cold.sqlite") as store:
        cold = {r["method"]: r for r in store.frame().to_dict(orient="records")}
    with Store(tmp_path / "warm.sqlite") as store:
        warm = {r["method"]: r for r in store.frame().to_dict(orient="records")}
    assert cold["vae"]["gen_cache_hit"] is False and warm["vae"]["gen_cache_hit"] is True
    assert cold["vae"]["gen_fit_s"] > 0.01 and warm["vae"]["gen_fit_s"] == cold["vae"]["gen_fit_s"]
    assert cold["none"]["gen_cache_hit"] is None and warm["none"]["gen_cache_hit"] is None  # no generator


def test_time_waiting_for_a_cache_lock_is_counted_so_a_cell_can_leave_it_out(tmp_path):
    """A cell that waits while another fits the generator it shares reports its own work only: the lock's wait is
    measured (augbench/runner/sweep.py subtracts it from the cell's total and evaluation seconds)."""
    import threading
    import time

    from augbench.core.cache import cache_lock, lock_wait_s

    entry = tmp_path / "generators" / "entry.pt"
    entry.parent.mkdir(parents=True)
    held = threading.Event()

    def fit_elsewhere() -> None:  # another cell holding the entry while it fits
        with cache_lock(entry):
            held.set()
            time.sleep(0.4)

    other = threading.Thread(target=fit_elsewhere)
    other.start()
    held.wait()
    before = lock_wait_s()
    with cache_lock(entry):
        waited = lock_wait_s() - before
    other.join()
    assert 0.25 < waited < 2.0
    before = lock_wait_s()
    with cache_lock(entry):  # free: no wait
        pass
    assert lock_wait_s() - before < 0.05
