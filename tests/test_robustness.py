"""The sanity checks that run inside evaluation, and what a failed check does to the row."""

from __future__ import annotations

from bench.cli import main
from bench.evaluation.robustness import masking_problems, ordering_problems
from bench.results.store import Store


def test_ordering_check():
    assert ordering_problems(clean=0.9, fgsm_acc=0.5, pgd_acc=0.3, tolerance=0.03) == []
    assert ordering_problems(clean=0.9, fgsm_acc=0.5, pgd_acc=0.52, tolerance=0.03) == []  # within tolerance
    (problem,) = ordering_problems(clean=0.9, fgsm_acc=0.5, pgd_acc=0.6, tolerance=0.03)
    assert "PGD accuracy 0.600 exceeds FGSM accuracy 0.500" in problem
    (problem,) = ordering_problems(clean=0.5, fgsm_acc=0.7, pgd_acc=0.1, tolerance=0.03)
    assert "FGSM accuracy 0.700 exceeds clean accuracy 0.500" in problem


def test_gradient_masking_check_allows_noise_but_not_a_jump():
    assert masking_problems(single=0.40, double=0.42, n=200, tolerance=0.03) == []
    (problem,) = masking_problems(single=0.40, double=0.60, n=200, tolerance=0.03)
    assert "gradient masking" in problem


def test_a_broken_attack_fails_the_row_but_keeps_its_numbers(tmp_path, monkeypatch):
    import bench.evaluation.robustness as robustness

    monkeypatch.setattr(robustness, "pgd", lambda model, x, *args, **kwargs: x.clone())  # an attack that never attacks
    path = tmp_path / "runs.sqlite"
    assert main(["run", "--profile", "smoke", "--tasks", "mnist", "--methods", "none", "--store", str(path), "--no-progress"]) == 1
    with Store(path) as store:
        (row,) = store.records()
    assert row["status"] == "failed"
    assert "RobustnessCheckFailed" in row["error"] and "exceeds FGSM accuracy" in row["error"]
    assert "the attack is not working" in row["error"]
    assert row["pgd_acc"] is not None and row["clean_acc"] is not None
