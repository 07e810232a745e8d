#!/usr/bin/env bash
# Issue 36 point 2, a first measurement: self-training on the unlabelled pool beside `none` and the pool generators
# at the image tasks' smaller quick sizes (MNIST 600, CIFAR-10 500), 3 seeds, at the quick profile's settings (keep
# and share chosen on validation: studies/tuning/self_training_validation.sh). `none` and the generators are the
# committed baseline's rows of the same cells.
# usage: studies/generated/self_training_quick.sh   (about 10 min on the 2-core VM)
set -eu
cd "$(dirname "$0")/../.."
export AUGBENCH_DATA=${AUGBENCH_DATA:-../shared/data}
STORE=results/generated/self-training-quick.sqlite
rm -f $STORE
.venv/bin/python -m bench run --profile quick --device cpu --tasks mnist,cifar10 --methods self_training --seeds 3 \
  --fractions 0.5 --store $STORE --no-progress
.venv/bin/python studies/generated/self_training_quick.py $STORE > results/generated/self-training-quick.md
