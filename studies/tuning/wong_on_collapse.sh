#!/bin/sh
# on_collapse chosen on validation (issue 23): the wong2020-mnist reproduction's cell on seeds 0-4 with the
# guard's two answers to catastrophic overfitting. Selection reads the validation split only: each row's
# guard_json holds the guard's final look at the kept weights (PGD-5, step eps/4, 512 fixed validation
# images). The test-split numbers come from a cheap evaluation (PGD-10 on 500 images) and are not read.
# Run from the repo root: sh studies/tuning/wong_on_collapse.sh [STORE]; summary: wong_on_collapse_summary.py.
set -e
STORE=${1:-results/tuning/wong-on-collapse.sqlite}
COMMON="--profile full --tasks mnist --methods adversarial --fractions 1 --store $STORE --no-progress
  --param mnist.arch=wong2020 --param adversarial.attack=fgsm_rs --param adversarial.eps=0.3
  --param adversarial.alpha=0.375 --param adversarial.share=1.0 --param adversarial.guard=true
  --param adversarial.guard_samples=512 --param adversarial.clamp_start=false
  --param train.epochs=10 --param train.batch_size=100 --param train.optimizer=adam --param train.lr=0.005
  --param train.warmup=0.4 --param train.weight_decay=0 --param train.label_smoothing=0
  --param train.train_pool=none --param train.test_limit=none
  --param robust.samples=500 --param robust.pgd_steps=10 --param robust.restarts=1 --param robust.check_samples=200"
SEEDS=${SEEDS:-5}
# 1. stop (the behaviour before the option existed), every seed
.venv/bin/augbench run $COMMON --seeds "$SEEDS"
# 2. shrink_step at two factors, on the seeds whose guard tripped in 1. (where it never trips, shrink_step is
# the same computation as stop: tests/test_guard.py checks it)
TRIPPED=$(.venv/bin/python -c "
import json, sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute('select seed, guard_json from runs').fetchall()
seeds = [str(s) for s, g in sorted(rows) if g and json.loads(g)['events']]
print(','.join(seeds) + (',' if len(seeds) == 1 else ''))" "$STORE")
echo "guard tripped with stop on seeds: ${TRIPPED:-none}"
if [ -n "$TRIPPED" ]; then
  for factor in 0.5 0.8; do
    .venv/bin/augbench run $COMMON --seeds "$TRIPPED" --param adversarial.on_collapse=shrink_step \
      --param adversarial.shrink_factor=$factor
  done
fi
