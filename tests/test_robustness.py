"""The sanity checks that run inside evaluation, and what a failed check does to the row."""

from __future__ import annotations

import torch

from augbench.cli import main
from augbench.evaluation.robustness import masking_problems, ordering_problems
from augbench.results.store import Store


def test_ordering_check():
    assert ordering_problems(clean=0.9, fgsm_acc=0.5, pgd_acc=0.3, tolerance=0.03) == []
    assert ordering_problems(clean=0.9, fgsm_acc=0.5, pgd_acc=0.52, tolerance=0.03) == []  # within tolerance
    (problem,) = ordering_problems(clean=0.9, fgsm_acc=0.5, pgd_acc=0.6, tolerance=0.03)
    assert "PGD accuracy 0.600 exceeds FGSM accuracy 0.500" in problem
    (problem,) = ordering_problems(clean=0.5, fgsm_acc=0.7, pgd_acc=0.1, tolerance=0.03)
    assert "FGSM accuracy 0.700 exceeds clean accuracy 0.500" in problem


def _outcomes(n: int, both: int, single_only: int, double_only: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-example survival under PGD and PGD with twice the steps."""
    single, double = torch.zeros(n, dtype=torch.bool), torch.zeros(n, dtype=torch.bool)
    single[:both + single_only] = True
    double[:both] = True
    double[both + single_only:both + single_only + double_only] = True
    return single, double


def test_gradient_masking_check_allows_noise_but_not_a_jump():
    assert masking_problems(*_outcomes(200, 80, 0, 4), tolerance=0.03) == []  # 0.40 -> 0.42
    (problem,) = masking_problems(*_outcomes(200, 80, 0, 40), tolerance=0.03)  # 0.40 -> 0.60: 40 vs 0
    assert "gradient masking" in problem and "40 examples survive only the longer attack" in problem


def test_gradient_masking_check_near_zero_needs_more_than_a_few_examples_that_switched():
    # Measured: PGD-10 left 0 of 100 MNIST digits standing, PGD-20 from other random starts 4 (McNemar p = 0.06).
    assert masking_problems(*_outcomes(100, 0, 0, 4), tolerance=0.03) == []
    # Many examples that switched one way only is masking, even from zero.
    (problem,) = masking_problems(*_outcomes(100, 0, 0, 12), tolerance=0.03)
    assert "from 0.000 to 0.120" in problem
    # A rise the single attack's own noise covers is not flagged, however lopsided the switches.
    assert masking_problems(*_outcomes(100, 50, 0, 5), tolerance=0.03) == []  # 0.50 -> 0.55, 2 SE = 0.10


def test_a_broken_attack_fails_the_row_but_keeps_its_numbers(tmp_path, monkeypatch):
    import augbench.evaluation.robustness as robustness

    monkeypatch.setattr(robustness, "pgd", lambda model, x, *args, **kwargs: x.clone())  # an attack that never attacks
    path = tmp_path / "runs.sqlite"
    assert main(["run", "--profile", "smoke", "--tasks", "mnist", "--methods", "none", "--store", str(path), "--no-progress"]) == 1
    with Store(path) as store:
        (row,) = store.records()
    assert row["status"] == "failed"
    assert "RobustnessCheckFailed" in row["error"] and "exceeds FGSM accuracy" in row["error"]
    assert "the attack is not working" in row["error"]
    assert row["pgd_acc"] is not None and row["clean_acc"] is not None


def test_image_tasks_take_autoattack_and_their_benchmark_by_default_and_one_flag_turns_each_back():
    """The quick and full profiles measure images with AutoAttack, PGD's strongest iterate and CIFAR-10-C / MNIST-C
    (Task.robust_defaults); text and audio keep their real-input attacks and own corruptions; `--param robust.*`
    still wins."""
    from augbench.runner.sweep import robustness_config
    from augbench.tasks import TASKS

    for name in ("mnist", "cifar10"):
        task = TASKS.get(name)()
        quick = robustness_config("quick", task, {})
        assert (quick.autoattack, quick.aa_examples, quick.pgd_iterate, quick.corruptions) == \
            ("fast", "survivors", "strongest", "benchmark")
        full = robustness_config("full", task, {})
        assert (full.autoattack, full.aa_examples, full.samples) == ("standard", "correct", None)
        assert robustness_config("quick", task, {"autoattack": "off"}).autoattack == "off"
        assert robustness_config("smoke", task, {}).autoattack == "off"
    folder = TASKS.get("images:any")()  # a user's image folder: AutoAttack too, on the suite's own corruptions
    quick = robustness_config("quick", folder, {})
    assert (quick.autoattack, quick.aa_examples, quick.pgd_iterate, quick.corruptions) == \
        ("fast", "survivors", "strongest", "suite")
    assert robustness_config("full", folder, {}).autoattack == "standard"
    for name in ("sst2", "trec", "fsdd"):
        task = TASKS.get(name)()
        identity = robustness_config("quick", task, {}).identity_for(task)
        assert not {"autoattack", "corruptions", "pgd_iterate"} & set(identity), "their run_ids must not move"
