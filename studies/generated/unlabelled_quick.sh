#!/usr/bin/env bash
# Issue 36 point 1, a first measurement of the `unlabelled` regime: the vae (and on CIFAR-10 the wgan_gp, its best
# pool generator) fitted on the pool's inputs with their
# labels withheld, its samples labelled by a teacher trained on the cell's labels, at the image tasks' smaller quick
# sizes (MNIST 600, CIFAR-10 500), 3 seeds. Its confidence threshold (filter_tau 0, 0.5, 0.9) is chosen on
# validation; the pick's test accuracy is then set beside self-training on the same unlabelled pool
# (results/generated/self-training-quick.sqlite) and the baseline's `none`, scarce and pool rows of the same cells.
# usage: studies/generated/unlabelled_quick.sh   (about 30 min on the 2-core VM; a rerun skips the stored cells)
set -eu
cd "$(dirname "$0")/../.."
export AUGBENCH_DATA=${AUGBENCH_DATA:-../shared/data}
STORE=results/generated/unlabelled-quick.sqlite
for tau in 0 0.5 0.9; do
  .venv/bin/python -m bench run --profile quick --device cpu --tasks mnist,cifar10 --methods vae --seeds 3 \
    --fractions 0.5 --param vae.data=unlabelled --param vae.filter_tau=$tau --store $STORE --no-progress
  # CIFAR-10's best pool generator (wgan_gp, +2.76 with all labels) in the same regime
  .venv/bin/python -m bench run --profile quick --device cpu --tasks cifar10 --methods wgan_gp --seeds 3 \
    --fractions 0.5 --param wgan_gp.data=unlabelled --param wgan_gp.filter_tau=$tau --store $STORE --no-progress
done
.venv/bin/python studies/generated/unlabelled_quick.py $STORE > results/generated/unlabelled-quick.md
