#!/usr/bin/env bash
# Issue 34: what AutoAttack (the `fast` version: APGD-CE and APGD-T) finds beyond the suite's PGD on the quick
# profile's image cells, and what it costs per cell. The cells are the committed baseline's seed-0 cells of
# none, classic and adversarial on MNIST and CIFAR-10 at both quick sizes, rerun with robust.autoattack=fast:
# training and every other metric are the baseline's to the last digit (AutoAttack runs after them on its own
# random stream), so the table compares the same models under both attacks.
# usage: studies/robustness/autoattack_quick.sh   (about 10 min on the 2-core VM)
set -eu
cd "$(dirname "$0")/../.."
export AUGBENCH_DATA=${AUGBENCH_DATA:-../shared/data}
STORE=results/robustness/autoattack-quick.sqlite
mkdir -p results/robustness
rm -f $STORE  # every cell again: a changed default gives cells new identities, and old rows must not linger
.venv/bin/python -m bench run --profile quick --device cpu --tasks mnist,cifar10 --methods none,classic,adversarial \
  --seeds 1 --param robust.autoattack=fast --store $STORE --no-progress
.venv/bin/python studies/robustness/autoattack_quick.py $STORE > results/robustness/autoattack-quick.md
