"""Quick-profile generator budgets on the validation split: CAS(val) and fit seconds per candidate.

Run from the repo root:
`.venv/bin/python studies/tuning/generator_probe.py [TASK] [DATA] [CANDIDATES] [FRACTION] [SEED]`, where
CANDIDATES is `;`-separated `method:key=value,key=value` (e.g. `wgan_gp:steps=100,lr=5e-4`); defaults: mnist,
../shared/data, the candidates below, 0.5, 0. Each candidate fits the method's generator on the cell's
training subset (the sweep's own code, a throwaway cache), then trains the task's quick classifier on as
many synthetic samples as the subset has (class-balanced) and reports its accuracy on the validation split:
CAS judged on validation, so that the test split plays no part in the choice. It also prints the time per
sample of drawing those (diffusion's samples cost `sample_steps` network passes each, twice with guidance).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import torch

from augbench.config.params import apply_overrides
from augbench.core.seeding import make_generator, seed_everything
from augbench.evaluation.generative_metrics import classification_accuracy_score
from augbench.methods import METHODS
from augbench.methods.base import FitContext
from augbench.tasks import TASKS
from augbench.tasks.base import Split

CANDIDATES = ("gan:steps=100;gan:steps=200;gan:steps=400;vae:steps=150;vae:steps=300;"
              "wgan_gp:steps=30;wgan_gp:steps=100;wgan_gp:steps=100,lr=5e-4;wgan_gp:steps=200,lr=5e-4,n_critic=2;"
              "diffusion:steps=150,guidance=2;diffusion:steps=300,guidance=2;diffusion:steps=600,guidance=2;"
              "diffusion:steps=300,guidance=0;diffusion:steps=300,guidance=1;diffusion:steps=300,guidance=3;"
              "diffusion:steps=300,guidance=2,sample_steps=8;diffusion:steps=300,guidance=2,lr=2e-3;"
              "diffusion:steps=300,guidance=2,prediction=eps;diffusion:steps=450,guidance=0;diffusion:steps=450,guidance=1")


def main(task_name: str = "mnist", data_root: str = "../shared/data", candidates: str = CANDIDATES,
         fraction: str = "0.5", seed: str = "0") -> None:
    torch.set_num_threads(1)
    device = torch.device("cpu")
    task = TASKS.get(task_name)()
    config = task.train_config("quick")
    data = task.load(task.source(Path(data_root)), float(fraction), int(seed), config, device)
    print(f"{task_name}: n_train={len(data.train)}, seed {seed}, CAS judged on {len(data.val)} validation examples")
    for candidate in candidates.split(";"):
        name, _, settings = candidate.partition(":")
        overrides = dict(item.split("=", 1) for item in settings.split(",") if item)
        cls = METHODS.get(name)
        params = apply_overrides(cls.Params, overrides, name, cls.default_params("quick", task))
        seed_everything(int(seed))
        method = cls(params, task, int(seed))
        with tempfile.TemporaryDirectory() as cache:
            cell = {"task": task.name, "task_params": task.params_dict(), "data_variant": data.source.variant,
                    "data_checksum": data.source.checksum, "profile": "quick", "train_config": {"train_pool": config.train_pool},
                    "fraction": float(fraction), "seed": int(seed)}
            start = time.perf_counter()
            method.fit(data.train, FitContext(cell=cell, profile="quick", device=device, cache_dir=Path(cache), val=data.val))
            fit_s = time.perf_counter() - start
        labels = torch.arange(len(data.train)) % task.num_classes
        start = time.perf_counter()
        synthetic = Split(method.sample(labels, make_generator(int(seed), f"{name}:cas", device)), labels)
        sample_ms = 1000 * (time.perf_counter() - start) / len(labels)
        cas = classification_accuracy_score(task, synthetic, data.val, "quick", int(seed), device, False)
        print(f"  {candidate:45s} CAS(val) {100 * cas:5.1f}%  fit {fit_s:5.1f}s  sample {sample_ms:5.2f} ms each", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
