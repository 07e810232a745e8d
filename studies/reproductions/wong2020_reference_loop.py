"""The smallest independent reference for wong2020-mnist: Wong et al.'s FGSM-RS MNIST recipe as a plain loop
(their train_mnist.py's settings, written from the paper and that script's arguments, not through the
suite's trainer, method or seeding), evaluated by the suite's evaluation on the whole test split.

It differs from the suite's path only where the suite's machinery would come in: initialisation and data
order from `torch.manual_seed(seed)` (as their script), the learning rate interpolated per iteration
(theirs), no guard. The data are the same 59,000 training images (the suite's MNIST loader, 1,000 held
out) and the network is the same `WongNet`, so a gap between the two paths is the trainer's, not the data's.

Run from the repo root: AUGBENCH_DATA=../shared/data .venv/bin/python studies/reproductions/wong2020_reference_loop.py SEEDS
(comma-separated); prints one JSON line per seed; output: wong2020-reference-loop.txt beside this script.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from augbench.config.profiles import TrainConfig
from augbench.evaluation.accuracy import accuracy
from augbench.evaluation.robustness import RobustnessConfig, evaluate_robustness
from augbench.tasks import TASKS
from augbench.tasks.verify import resolve_data_root

EPOCHS, BATCH, EPS, ALPHA, LR_MAX = 10, 100, 0.3, 0.375, 5e-3
EVAL = RobustnessConfig(samples=None, pgd_steps=50, pgd_alpha=0.01, restarts=10, check_samples=1000)


def train_reference(x: torch.Tensor, y: torch.Tensor, model: torch.nn.Module, seed: int) -> None:
    """FGSM from a uniform random start, the gradient taken at the unclipped start, the step clipped to the
    eps-ball and the image into [0, 1]; trained on the adversarial batch only; Adam with the cyclic rate."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR_MAX)
    n = len(y)
    steps_per_epoch = (n + BATCH - 1) // BATCH
    model.train()
    for epoch in range(EPOCHS):
        order = torch.randperm(n, generator=generator)
        for i in range(steps_per_epoch):
            index = order[i * BATCH:(i + 1) * BATCH]
            xb, yb = x[index], y[index]
            lr = np.interp(epoch + (i + 1) / steps_per_epoch, [0, EPOCHS * 2 // 5, EPOCHS], [0, LR_MAX, 0])
            optimizer.param_groups[0]["lr"] = float(lr)
            delta = (torch.rand(xb.shape, generator=generator) * 2 - 1) * EPS
            delta.requires_grad_(True)
            loss = F.cross_entropy(model(xb + delta), yb)
            (grad,) = torch.autograd.grad(loss, delta)
            delta = (delta.detach() + ALPHA * grad.sign()).clamp(-EPS, EPS)
            delta = torch.max(torch.min(1 - xb, delta), -xb)
            loss = F.cross_entropy(model(xb + delta), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def main(seeds: str = "0") -> None:
    task = TASKS.get("mnist")(TASKS.get("mnist").Params(arch="wong2020"))
    config = TrainConfig(train_pool=None, test_limit=None)
    data = task.load(task.source(resolve_data_root(None)), 1.0, 0, config, torch.device("cpu"))
    x, y = task.prepare(data.train.x), data.train.y
    for seed in map(int, seeds.split(",")):
        torch.manual_seed(seed)
        model = task.classifier(config)
        start = time.perf_counter()
        train_reference(x, y, model, seed)
        train_s = time.perf_counter() - start
        model.eval()
        robust = evaluate_robustness(model, task, data.test, EVAL)
        print(json.dumps({"seed": seed, "n_train": len(y), "clean_acc": accuracy(model, task, data.test),
                          "val_acc": accuracy(model, task, data.val), "fgsm_acc": robust.metrics["fgsm_acc"],
                          "pgd_acc": robust.metrics["pgd_acc"], "problems": robust.problems,
                          "train_s": round(train_s, 1), "threads": torch.get_num_threads(),
                          "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
