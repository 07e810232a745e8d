#!/usr/bin/env bash
# Issue 34 point 7: the madry2018-mnist reproduction's settings through the suite's own path for the first 3 of its
# 100 epochs (what one CPU thread affords in minutes), beside the plain loop of studies/reproductions/
# madry2018_reference_loop.py. Evaluated with PGD-50, step 0.01, one start, on 1,000 test digits (the
# reproduction: 10 starts on the whole split).
# usage: studies/reproductions/madry2018_cpu_check.sh   (about 8 min on one thread of the 2-core VM)
set -eu
cd "$(dirname "$0")/../.."
export AUGBENCH_DATA=${AUGBENCH_DATA:-../shared/data}
STORE=results/reproductions/madry2018-cpu-check.sqlite
rm -f $STORE
OMP_NUM_THREADS=1 .venv/bin/python -m bench run --profile full --device cpu --tasks mnist --methods adversarial --seeds 1 \
  --fractions 1 --threads 1 --workers 1 \
  --param mnist.arch=wong2020 --param adversarial.attack=pgd --param adversarial.eps=0.3 --param adversarial.steps=40 \
  --param adversarial.alpha=0.01 --param adversarial.share=1.0 --param adversarial.early_stop=true \
  --param train.epochs=3 --param train.batch_size=50 --param train.optimizer=adam --param train.lr=0.0001 \
  --param train.schedule=flat --param train.warmup=0 --param train.weight_decay=0 --param train.label_smoothing=0 \
  --param train.train_pool=none --param train.test_limit=none \
  --param robust.pgd_steps=50 --param robust.pgd_alpha=0.01 --param robust.restarts=1 --param robust.samples=1000 \
  --store $STORE --no-progress
.venv/bin/python - "$STORE" > results/reproductions/madry2018-cpu-check.md <<'PY'
import json
import sys

sys.path.insert(0, ".")
from augbench.results.export import read_rows

row = read_rows(sys.argv[1]).iloc[0]
loop = [json.loads(line) for line in open("results/reproductions/madry2018-reference-loop.txt") if line.startswith("{")]
print("# madry2018-mnist on the CPU: the first 3 of 100 epochs, the suite's path beside a plain loop\n")
print(f"The reproduction's settings (PGD-40, step 0.01, eps 0.3, Wong et al.'s early stop of the walk, Adam at a flat "
      f"1e-4, batch 50, Wong et al.'s network, 59,000 training digits) for 3 epochs, seed 0, one thread "
      f"(`studies/reproductions/madry2018_cpu_check.sh`, commit {row['git_commit'][:8]}, {row['status']}).\n")
print("| path | epoch 1 | epoch 2 | epoch 3 | PGD-50 (1 start, 1,000 test digits) | training s |")
print("|---|---|---|---|---|---|")
curve = json.loads(row["val_curve"])
print(f"| the suite (validation split, 1,000 digits) | {100 * curve[0]:.1f} | {100 * curve[1]:.1f} | {100 * curve[2]:.1f} | "
      f"{100 * row['pgd_acc']:.1f} | {row['train_s']:.0f} |")
for variant in ("early_stop", "every_step"):
    points = {round(p["epoch"], 3): p for p in loop if p["variant"] == variant}
    at = [min(points, key=lambda e: abs(e - k)) for k in (1, 2, 3)]
    print(f"| plain loop, {variant.replace('_', ' ')} (first 1,000 test digits) | "
          + " | ".join(f"{100 * points[e]['clean_acc_first_1000']:.1f}" for e in at) + f" | – | {points[at[-1]]['seconds']:.0f} |")
print(f"\nThe suite's row: clean {100 * row['clean_acc']:.2f}% on the whole test split, FGSM {100 * row['fgsm_acc']:.1f}%, "
      f"PGD-50 {100 * row['pgd_acc']:.1f}% on 1,000 digits. The plain loop without the early stop predicts one class "
      "for the 3 epochs (12.6%), as the suite's earlier madry2018 run without it did for 5 (11.35%).")
PY
cat results/reproductions/madry2018-cpu-check.md
