"""Wong et al.'s released MNIST models under the suite's AutoAttack, beside the AutoAttack authors' own code and
their published table (issue 34): the check that the suite's robust accuracy is the one the field accepts.

The AutoAttack authors list Wong et al.'s FGSM-RS model (`fgsm.pth`) at 82.93% (standard version, L-inf 0.3,
the whole MNIST test split; github.com/fra31/auto-attack README, "MNIST - Linf", where the paper reported
88.77%). `pgd_madry.pth` (PGD-40 on the same network) is not in their table; it is measured beside it. Madry et
al.'s own model (88.50% in the same table) is a TensorFlow checkpoint in MadryLab/mnist_challenge_models, whose
zip files the stored mirror does not hold: not measured here.

Each model runs through `augbench.evaluation.autoattack` (torchattacks' attacks at the reference's settings) and,
when a checkout of github.com/fra31/auto-attack is given, through the reference's `run_standard_evaluation` on
the same examples, so the two implementations are compared example by example. Run from the repository root:

    AUGBENCH_DATA=../shared/data .venv/bin/python studies/reproductions/released_autoattack.py DIR_WITH_PTH \\
        [--samples N | --start S --stop E --output PART.json] [--reference AUTO_ATTACK_CHECKOUT] [--models fgsm.pth]
    .venv/bin/python studies/reproductions/released_autoattack.py --combine PART.json PART.json ...

It writes results/reproductions/released/released-autoattack.json (samples: the first N test digits; all by
default). The standard version takes about 0.3 s per example of one core on this network, and the authors' code as
long again, so on the 2-core VM the committed measurements are:
- autoattack-vs-reference.json: `--samples 300 --reference CHECKOUT --models fgsm.pth --output THAT`;
- the first 1,000 digits in two halves at once (`--start 0 --stop 500`, `--start 500 --stop 1000`, each with
  `--reference`), combined with `--combine A.json B.json --output released-autoattack-1000.json`;
- released-autoattack-apgd-full.log: the whole split in two halves, stopped after APGD-T;
- released-autoattack-full.json: the standard version on the whole split for fgsm.pth, in two halves side by side
  (`--models fgsm.pth --start 0 --stop 5000 --output A.json`, `--start 5000 --stop 10000 --output B.json`, one
  thread each, 25 minutes apiece), combined with `--combine A.json B.json --output THAT`: 82.92% against the
  published 82.93%. pgd_madry.pth on the whole split is left to a GPU session (`--models pgd_madry.pth`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, ".")
import augbench  # noqa: E402,F401  first: the execution policy pins the kernels before torch loads
import torch  # noqa: E402

from augbench.config.profiles import TrainConfig  # noqa: E402
from augbench.core.provenance import REPO_ROOT  # noqa: E402
from augbench.evaluation.autoattack import AutoAttackConfig, autoattack  # noqa: E402
from augbench.tasks import TASKS  # noqa: E402
from augbench.tasks.verify import resolve_data_root  # noqa: E402

PUBLISHED = {"fgsm.pth": {"autoattack": 0.8293, "reported": 0.8877, "clean": 0.9850,
                          "source": "fra31/auto-attack README, MNIST - Linf, row 9 (Wong et al., 2020)"}}
EPS = 0.3
OUTPUT = REPO_ROOT / "results" / "reproductions" / "released" / "released-autoattack.json"


def reference_autoattack(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, checkout: str) -> tuple[torch.Tensor, float]:
    """The authors' code, standard version, on the same examples: which survive, and its seconds."""
    sys.path.insert(0, checkout)
    from autoattack import AutoAttack

    attack = AutoAttack(model, norm="Linf", eps=EPS, version="standard", device="cpu", seed=0, verbose=False)
    start = time.perf_counter()
    adversarial = attack.run_standard_evaluation(x, y, bs=500)
    with torch.inference_mode():
        robust = model(adversarial).argmax(1) == y
    return robust, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", help="the folder holding fgsm.pth and pgd_madry.pth (locuslab/fast_adversarial, MNIST/models)")
    parser.add_argument("--samples", type=int, default=None, help="the first N test digits (default: all 10,000)")
    parser.add_argument("--reference", default=None, help="a checkout of github.com/fra31/auto-attack to run beside")
    parser.add_argument("--models", default="fgsm.pth,pgd_madry.pth")
    parser.add_argument("--start", type=int, default=0, help="first test digit (a part of a split run)")
    parser.add_argument("--stop", type=int, default=None, help="one past the last test digit")
    parser.add_argument("--output", default=str(OUTPUT))
    parser.add_argument("--combine", nargs="+", default=None, help="parts written with --output, combined into the result")
    args = parser.parse_args()
    if args.combine:
        return combine(args.combine, Path(args.output))

    task = TASKS.get("mnist")(TASKS.get("mnist").Params(arch="wong2020"))
    config = TrainConfig(train_pool=None, test_limit=None)
    data = task.load(task.source(resolve_data_root(None)), 1.0, 0, config, torch.device("cpu"))
    stop = args.stop if args.stop is not None else (len(data.test) if args.samples is None else args.samples)
    x, y = task.prepare(data.test.x[args.start:stop]), data.test.y[args.start:stop]
    aa_config = AutoAttackConfig(version="standard")
    results = {}
    for name in args.models.split(","):
        path = Path(args.folder, name)
        model = task.classifier(config)
        model.net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        model.eval()
        start = time.perf_counter()
        log = lambda attack, attacked, left: print(f"{name} {attack}: attacked {attacked}, robust {left} "
                                                   f"({time.perf_counter() - start:.0f} s)", flush=True)
        suite = autoattack(model, x, y, EPS, task.num_classes, aa_config, progress=log)
        with torch.inference_mode():
            clean = float((model(x).argmax(1) == y).double().mean())
        entry = {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "clean_acc": clean,
                 "autoattack_acc": suite.accuracy, "broken_by": suite.broken_by,
                 "seconds": round(time.perf_counter() - start, 1), "published": PUBLISHED.get(name)}
        if args.reference:
            robust, seconds = reference_autoattack(model, x, y, args.reference)
            entry["reference"] = {"autoattack_acc": float(robust.double().mean()), "seconds": round(seconds, 1),
                                  "robust_only_in_suite": int((suite.robust & ~robust).sum()),
                                  "robust_only_in_reference": int((robust & ~suite.robust).sum())}
        results[name] = entry
        print(name, json.dumps(entry), flush=True)
    out = {"evaluation": {**aa_config.describe(EPS), "examples": [args.start, stop]},
           "source": "github.com/locuslab/fast_adversarial, MNIST/models/ (commit 54f728755e71857b632882ba6d6cef22f56e2172)",
           "reference_code": "github.com/fra31/auto-attack (commit a39220048b3c9f2cca9a4d3a54604793c68eca7e)" if args.reference else None,
           "models": results, "torch": torch.__version__}
    Path(args.output).write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.output}")


def combine(parts: list[str], output: Path = OUTPUT) -> None:
    """Parts over disjoint example ranges, as one result: accuracies weighted by examples, counts and seconds summed."""
    loaded = [json.loads(Path(p).read_text()) for p in parts]
    ranges = sorted(tuple(part["evaluation"]["examples"]) for part in loaded)
    if any(a[1] != b[0] for a, b in zip(ranges, ranges[1:])):
        sys.exit(f"the parts' example ranges {ranges} are not contiguous")
    out = {**loaded[0], "evaluation": {**loaded[0]["evaluation"], "examples": [ranges[0][0], ranges[-1][1]]}, "models": {}}
    for name in loaded[0]["models"]:
        entries = [(part["models"][name], part["evaluation"]["examples"]) for part in loaded]
        total = sum(stop - start for _, (start, stop) in entries)
        weighted = lambda key: sum(e[key] * (stop - start) for e, (start, stop) in entries) / total
        entry = {**entries[0][0], "clean_acc": weighted("clean_acc"), "autoattack_acc": weighted("autoattack_acc"),
                 "broken_by": {a: sum(e["broken_by"][a] for e, _ in entries) for a in entries[0][0]["broken_by"]},
                 "seconds": round(sum(e["seconds"] for e, _ in entries), 1), "parts": len(entries)}
        entry.pop("reference", None)
        if all("reference" in e for e, _ in entries):
            references = [(e["reference"], r) for e, r in entries]
            entry["reference"] = {
                "autoattack_acc": sum(ref["autoattack_acc"] * (stop - start) for ref, (start, stop) in references) / total,
                "seconds": round(sum(ref["seconds"] for ref, _ in references), 1),
                "robust_only_in_suite": sum(ref["robust_only_in_suite"] for ref, _ in references),
                "robust_only_in_reference": sum(ref["robust_only_in_reference"] for ref, _ in references)}
        out["models"][name] = entry
    output.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {output} from {len(parts)} parts")


if __name__ == "__main__":
    main()
