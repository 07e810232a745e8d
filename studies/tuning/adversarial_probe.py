"""Validation PGD accuracy of adversarial-training settings for the quick profile.

Run from the repo root: `.venv/bin/python studies/tuning/adversarial_probe.py [TASK] [DATA] [SETTINGS] [FRACTIONS] [SEEDS] [AUTOATTACK]`
(comma-separated; defaults: mnist, ../shared/data, all settings, 0.5, 0, off). Each setting trains the task's
quick classifier at each fraction and seed (the sweep's own loop) and reports clean and PGD-10 accuracy
on the validation split (never the test split), plus training seconds; with AUTOATTACK `fast` or `standard`,
also AutoAttack's accuracy on the same validation examples (issue 34: the choice re-made under the attack the
field accepts). A setting's keys override the
task's quick defaults (`Adversarial.default_params`), so keys it leaves out keep the quick value.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

from augbench.config.params import apply_overrides
from augbench.core.device import place_model
from augbench.core.seeding import make_generator, seed_everything
from augbench.evaluation.accuracy import accuracy
from augbench.evaluation.attacks import default_pgd_alpha, pgd
from augbench.evaluation.autoattack import AutoAttackConfig, autoattack
from augbench.training.trainer import train
from augbench.methods.adversarial import Adversarial, AdversarialParams
from augbench.methods.base import FitContext
from augbench.tasks import TASKS

SETTINGS = {
    "fgsm_rs alpha=1.25eps": {"attack": "fgsm_rs"},
    "fgsm_rs alpha=1.0eps": {"attack": "fgsm_rs", "alpha": "0.3"},
    "pgd steps=3": {"attack": "pgd", "steps": "3"},
    "pgd steps=7": {"attack": "pgd", "steps": "7"},
    "pgd steps=3 eps_warmup=5": {"attack": "pgd", "steps": "3", "eps_warmup": "5"},
    "pgd steps=3 eps_warmup=10": {"attack": "pgd", "steps": "3", "eps_warmup": "10"},
    "pgd steps=3 eps_warmup=15": {"attack": "pgd", "steps": "3", "eps_warmup": "15"},
    "fgsm_rs eps_warmup=0": {"attack": "fgsm_rs", "eps_warmup": "0"},  # plain FGSM-RS where the task's quick default warms up
    "fgsm_rs eps_warmup=5": {"attack": "fgsm_rs", "eps_warmup": "5"},
    "fgsm_rs eps_warmup=8": {"attack": "fgsm_rs", "eps_warmup": "8"},
    "fgsm_rs eps_warmup=10": {"attack": "fgsm_rs", "eps_warmup": "10"},
}


def main(task_name: str = "mnist", data_root: str = "../shared/data", only: str = "", fractions: str = "0.5",
         seeds: str = "0", aa: str = "off") -> None:
    torch.set_num_threads(1)
    task = TASKS.get(task_name)()
    config = task.train_config("quick")
    for fraction in map(float, fractions.split(",")):
        for seed in map(int, seeds.split(",")):
            data = task.load(task.source(Path(data_root)), fraction, seed, config, torch.device("cpu"))
            probe(task, data, config, only, seed, aa)


def probe(task, data, config, only: str, seed: int, aa: str = "off") -> None:
    x, y = task.prepare(data.val.x[:500]), data.val.y[:500]
    print(f"{task.name}: n_train={len(data.train)}, seed {seed}, validation examples attacked: {len(y)}, eps={task.attack_eps}")
    for name, overrides in SETTINGS.items():
        if only and name not in only.split(","):
            continue
        seed_everything(seed)
        model = place_model(task.classifier(config), torch.device("cpu"), image_input=True)
        params = apply_overrides(AdversarialParams, overrides, "adversarial", Adversarial.default_params("quick", task))
        method = Adversarial(params, task, seed)
        method.fit(data.train, FitContext(cell={}, profile="quick", device=torch.device("cpu"), cache_dir=Path("/tmp"), val=data.val))
        start = time.perf_counter()
        stats = train(model, task, data.train, method, config, seed, False,
                      on_epoch_end=lambda epoch: method.end_epoch(model, epoch))
        seconds = time.perf_counter() - start
        eps = task.attack_eps
        adv = pgd(model, x, y, eps, default_pgd_alpha(eps, 10), 10, make_generator(0, "probe"), task.input_range)
        with torch.inference_mode():
            model.eval()
            robust = (model(adv).argmax(1) == y).float().mean().item()
        clean = accuracy(model, task, data.val)
        aa_text = ""
        if aa != "off":
            result = autoattack(model, x, y, eps, task.num_classes, AutoAttackConfig(version=aa), 500)
            aa_text = f"  val AutoAttack ({aa}) {100 * result.accuracy:5.1f}%"
        print(f"  {name:24s} val clean {100 * clean:5.1f}%  val PGD-10 {100 * robust:5.1f}%{aa_text}  "
              f"stopped_epoch {method.stopped_epoch}  guard trips {len(method.guard_events)}  train {seconds:5.1f}s ({stats.steps} steps)", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
