"""The smallest independent reference for madry2018-mnist: PGD adversarial training on MNIST as Wong et al.'s
train_mnist.py runs it (`--attack pgd --alpha 0.01 --lr-type flat --lr-max 0.0001 --epochs 100 --batch-size 50`,
Madry et al.'s mnist_challenge config: eps 0.3, 40 steps of 0.01 from a uniform random start), as a plain loop
on their network, with one thing switchable: whether an example's walk stops once the model misclassifies it.

Their loop updates the perturbation only of the examples the model still classifies correctly
(`I = output.max(1)[1] == y; delta.data[I] = ...`); Madry et al.'s TensorFlow attack moves every example every
step. The suite's madry2018 run moved every example and stayed at chance for 5 epochs (11.35%: every test digit
called "1"). This loop measures, from scratch on the CPU, whether and when each variant leaves chance: the clean
accuracy on the first 1,000 test digits every LOG_EVERY steps.

Run from the repo root (one thread each; the two variants side by side):
    AUGBENCH_DATA=../shared/data OMP_NUM_THREADS=1 .venv/bin/python studies/reproductions/madry2018_reference_loop.py \\
        early_stop EPOCHS SEED
    ... every_step EPOCHS SEED
prints one JSON line per checkpoint; results/reproductions/madry2018-reference-loop.txt keeps the committed run.
"""

from __future__ import annotations

import json
import sys
import time

import torch
import torch.nn.functional as F

from augbench.config.profiles import TrainConfig
from augbench.tasks import TASKS
from augbench.tasks.verify import resolve_data_root

BATCH, EPS, ALPHA, STEPS, LR = 50, 0.3, 0.01, 40, 1e-4
LOG_EVERY = 100  # optimizer steps between checkpoints
PROBE = 1000  # first test digits the checkpoints score


def adversarial_batch(model: torch.nn.Module, xb: torch.Tensor, yb: torch.Tensor, generator: torch.Generator,
                      early_stop: bool) -> torch.Tensor:
    """Their PGD: a uniform start in the eps-ball clipped into [0, 1], then STEPS signed steps of ALPHA, each
    clipped to the ball and the range; with `early_stop`, only the examples still classified correctly move."""
    delta = (torch.rand(xb.shape, generator=generator) * 2 - 1) * EPS
    delta = torch.max(torch.min(1 - xb, delta), -xb)
    for _ in range(STEPS):
        delta.requires_grad_(True)
        output = model(xb + delta)
        (grad,) = torch.autograd.grad(F.cross_entropy(output, yb), delta)
        moved = (delta.detach() + ALPHA * grad.sign()).clamp(-EPS, EPS)
        moved = torch.max(torch.min(1 - xb, moved), -xb)
        if early_stop:
            still = (output.detach().argmax(1) == yb).view(-1, 1, 1, 1)
            delta = torch.where(still, moved, delta.detach())
        else:
            delta = moved
    return (xb + delta.detach()).clamp(0, 1)


def main(variant: str, epochs: str = "2", seed: str = "0") -> None:
    if variant not in ("early_stop", "every_step"):
        raise SystemExit(f"variant {variant!r} is invalid: valid choices are early_stop, every_step")
    task = TASKS.get("mnist")(TASKS.get("mnist").Params(arch="wong2020"))
    config = TrainConfig(train_pool=None, test_limit=None)
    data = task.load(task.source(resolve_data_root(None)), 1.0, 0, config, torch.device("cpu"))
    x, y = task.prepare(data.train.x), data.train.y
    probe_x, probe_y = task.prepare(data.test.x[:PROBE]), data.test.y[:PROBE]
    torch.manual_seed(int(seed))
    model = task.classifier(config)
    generator = torch.Generator().manual_seed(int(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    steps_per_epoch, step, start = (len(y) + BATCH - 1) // BATCH, 0, time.perf_counter()
    for epoch in range(int(epochs)):
        order = torch.randperm(len(y), generator=generator)
        for i in range(steps_per_epoch):
            index = order[i * BATCH:(i + 1) * BATCH]
            model.train()
            adversarial = adversarial_batch(model, x[index], y[index], generator, variant == "early_stop")
            loss = F.cross_entropy(model(adversarial), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step % LOG_EVERY == 0 or step == int(epochs) * steps_per_epoch:
                model.eval()
                with torch.no_grad():
                    predictions = model(probe_x).argmax(1)
                print(json.dumps({"variant": variant, "seed": int(seed), "step": step, "epoch": round(step / steps_per_epoch, 3),
                                  "train_loss": round(float(loss.detach()), 4),
                                  "clean_acc_first_1000": float((predictions == probe_y).double().mean()),
                                  "distinct_predictions": int(predictions.unique().numel()),
                                  "seconds": round(time.perf_counter() - start, 1), "threads": torch.get_num_threads()}),
                      flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
