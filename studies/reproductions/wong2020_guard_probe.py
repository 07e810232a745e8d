"""Why the guard never tripped in the wong2020-mnist reproduction: validation PGD accuracy during training.

Trains the reproduction's network with its settings (FGSM-RS, eps 0.3, step 0.375, Adam 0 -> 5e-3 -> 0,
batch 100) for 5 of the 10 epochs and prints the guard's measure (PGD-5, step eps/4, on 500 fixed
validation examples) every 50 steps and after each epoch. Output: wong2020-guard-probe.txt.
Run from the repo root: `AUGBENCH_DATA=../shared/data .venv/bin/python studies/reproductions/wong2020_guard_probe.py`.
"""
import torch, json
from pathlib import Path
from augbench.tasks.verify import resolve_data_root
from augbench.config.profiles import TrainConfig
from augbench.training.trainer import train
from augbench.methods.adversarial import Adversarial, AdversarialParams
from augbench.methods.base import FitContext
from augbench.tasks import TASKS
from augbench.core.seeding import seed_everything
torch.set_num_threads(1)
task = TASKS.get("mnist")(TASKS.get("mnist").Params(arch="wong2020"))
cfg = TrainConfig(epochs=10, batch_size=100, optimizer="adam", lr=0.005, warmup=0.4, weight_decay=0, label_smoothing=0)
data = task.load(task.source(resolve_data_root(None)), 1.0, 0, cfg, torch.device("cpu"))
seed_everything(0)
model = task.classifier(cfg)
m = Adversarial(AdversarialParams(attack="fgsm_rs", eps=0.3, alpha=0.375, guard=False), task, 0)
m.fit(data.train, FitContext(cell={}, profile="full", device=torch.device("cpu"), cache_dir=Path("/tmp"), val=data.val))
g = Adversarial(AdversarialParams(attack="fgsm_rs", eps=0.3, alpha=0.375, guard=True, guard_samples=500), task, 0)
g.fit(data.train, FitContext(cell={}, profile="full", device=torch.device("cpu"), cache_dir=Path("/tmp"), val=data.val))
state = {"step": 0}
orig = m.augment
def aug(x, y, model):
    state["step"] += 1
    if state["step"] % 50 == 0:
        print("step", state["step"], "guard pgd acc", [round(a, 3) for a in g.guard_accuracy(model)], flush=True)
    return orig(x, y, model)
m.augment = aug
train(model, task, data.train, m, cfg, 0, False, on_epoch_end=lambda e: print("epoch", e, [round(a, 3) for a in g.guard_accuracy(model)], flush=True) or e >= 5)
