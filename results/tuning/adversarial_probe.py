"""Validation PGD accuracy of adversarial-training settings for the quick profile (MNIST, smallest size).

Run from the repo root: `.venv/bin/python results/tuning/adversarial_probe.py`. Each setting trains the
task's quick classifier at fraction 0.4 (seed 0, the sweep's own loop) and reports clean and PGD-10
accuracy on the validation split (never the test split), plus training seconds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

from bench.config.params import apply_overrides
from bench.core.device import place_model
from bench.core.seeding import make_generator, seed_everything
from bench.evaluation.accuracy import accuracy
from bench.evaluation.attacks import default_pgd_alpha, pgd
from bench.training.trainer import train
from methods.adversarial import Adversarial, AdversarialParams
from methods.base import FitContext
from tasks import TASKS

SETTINGS = {
    "fgsm_rs alpha=1.25eps": {"attack": "fgsm_rs"},
    "fgsm_rs alpha=1.0eps": {"attack": "fgsm_rs", "alpha": "0.3"},
    "pgd steps=3": {"attack": "pgd", "steps": "3"},
    "pgd steps=7": {"attack": "pgd", "steps": "7"},
}


def main(task_name: str = "mnist", data_root: str = "../shared/data", only: str = "") -> None:
    torch.set_num_threads(1)
    task = TASKS.get(task_name)()
    config = task.train_config("quick")
    data = task.load(task.source(Path(data_root)), 0.4, 0, config, torch.device("cpu"))
    x, y = task.prepare(data.val.x[:500]), data.val.y[:500]
    print(f"{task_name}: n_train={len(data.train)}, validation examples attacked: {len(y)}, eps={task.attack_eps}")
    for name, overrides in SETTINGS.items():
        if only and name not in only.split(","):
            continue
        seed_everything(0)
        model = place_model(task.classifier(config), torch.device("cpu"), image_input=True)
        params = apply_overrides(AdversarialParams, overrides, "adversarial", Adversarial.default_params("quick", task))
        method = Adversarial(params, task, 0)
        method.fit(data.train, FitContext(cell={}, profile="quick", device=torch.device("cpu"), cache_dir=Path("/tmp"), val=data.val))
        start = time.perf_counter()
        stats = train(model, task, data.train, method, config, 0, False,
                      on_epoch_end=lambda epoch: method.end_epoch(model, epoch))
        seconds = time.perf_counter() - start
        eps = task.attack_eps
        adv = pgd(model, x, y, eps, default_pgd_alpha(eps, 10), 10, make_generator(0, "probe"), task.input_range)
        with torch.inference_mode():
            model.eval()
            robust = (model(adv).argmax(1) == y).float().mean().item()
        clean = accuracy(model, task, data.val)
        print(f"  {name:24s} val clean {100 * clean:5.1f}%  val PGD-10 {100 * robust:5.1f}%  "
              f"stopped_epoch {method.stopped_epoch}  train {seconds:5.1f}s ({stats.steps} steps)", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
