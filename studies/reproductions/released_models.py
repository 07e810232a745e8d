"""Wong et al.'s released MNIST models, measured by the suite's own evaluation: the reference the
reproductions compare with, and a check of the evaluator itself (their numbers, our PGD).

Their repository (github.com/locuslab/fast_adversarial, MNIST/models/) holds `fgsm.pth` (FGSM-RS, the
wong2020-mnist recipe) and `pgd_madry.pth` (PGD-40 adversarial training with Madry et al.'s settings on the
same network). Both are state dicts of their `mnist_net`, the suite's `mnist.arch=wong2020`. Each is
evaluated exactly as the reproductions evaluate (PGD-50, step 0.01, 10 restarts, the whole test split,
`augbench.evaluation.robustness`), and the result is written to released-models.json beside this script (a folder of its own: validate reads every JSON file of results/reproductions as a reproduction).

Run from the repo root, with the two files fetched from that repository:
    AUGBENCH_DATA=../shared/data .venv/bin/python studies/reproductions/released_models.py DIR_WITH_PTH_FILES
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import torch

from augbench.config.profiles import TrainConfig
from augbench.core.provenance import REPO_ROOT
from augbench.evaluation.accuracy import accuracy
from augbench.evaluation.robustness import RobustnessConfig, evaluate_robustness
from augbench.tasks import TASKS
from augbench.tasks.verify import resolve_data_root

MODELS = {"fgsm.pth": "FGSM-RS (train_mnist.py defaults: 10 epochs, eps 0.3, step 0.375, cyclic lr 5e-3)",
          "pgd_madry.pth": "PGD-40, step 0.01 (train_mnist.py --attack pgd --alpha 0.01 --lr-type flat "
                           "--lr-max 0.0001 --epochs 100 --batch-size 50)"}
SOURCE = "github.com/locuslab/fast_adversarial, MNIST/models/ (commit 54f728755e71857b632882ba6d6cef22f56e2172)"
EVAL = RobustnessConfig(samples=None, pgd_steps=50, pgd_alpha=0.01, restarts=10, check_samples=1000)


def main(folder: str) -> None:
    task = TASKS.get("mnist")(TASKS.get("mnist").Params(arch="wong2020"))
    config = TrainConfig(train_pool=None, test_limit=None)
    data = task.load(task.source(resolve_data_root(None)), 1.0, 0, config, torch.device("cpu"))
    results = {}
    for name, recipe in MODELS.items():
        path = Path(folder, name)
        state = torch.load(path, map_location="cpu", weights_only=True)
        model = task.classifier(config)
        model.net.load_state_dict(state)
        start = time.perf_counter()
        clean = accuracy(model, task, data.test)
        robust = evaluate_robustness(model, task, data.test, EVAL)
        results[name] = {"recipe": recipe, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                         "clean_acc": clean, "fgsm_acc": robust.metrics["fgsm_acc"], "pgd_acc": robust.metrics["pgd_acc"],
                         "n_test": len(data.test), "problems": robust.problems, "eval_s": round(time.perf_counter() - start, 1)}
        print(name, json.dumps(results[name]), flush=True)
    out = {"source": SOURCE, "evaluation": "PGD-50, step 0.01, 10 restarts, eps 0.3, the whole MNIST test split "
           "(augbench.evaluation.robustness, as the reproductions)", "models": results,
           "torch": torch.__version__}
    (REPO_ROOT / "results" / "reproductions" / "released" / "released-models.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
