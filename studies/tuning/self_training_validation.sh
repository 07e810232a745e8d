#!/usr/bin/env bash
# Issue 36 point 2: self_training's `keep` (share of the pool kept, per label) and `share` (of each batch) chosen on
# the validation split, 3 seeds, at the image tasks' smaller quick sizes (MNIST 600, CIFAR-10 500).
# usage: studies/tuning/self_training_validation.sh   (about 10 min on the 2-core VM); summary:
#   .venv/bin/python studies/tuning/self_training_validation.py results/tuning/self-training-validation.sqlite
set -eu
cd "$(dirname "$0")/../.."
export AUGBENCH_DATA=${AUGBENCH_DATA:-../shared/data}
STORE=results/tuning/self-training-validation.sqlite
rm -f $STORE
for keep in 0.25 0.5 1; do for share in 0.25 0.5; do
  .venv/bin/python -m bench run --profile quick --device cpu --tasks mnist,cifar10 --methods self_training --seeds 3 \
    --fractions 0.5 --param self_training.keep=$keep --param self_training.share=$share --store $STORE --no-progress
done; done
.venv/bin/python studies/tuning/self_training_validation.py $STORE > results/tuning/self-training-validation.md
