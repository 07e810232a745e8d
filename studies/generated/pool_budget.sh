#!/usr/bin/env bash
# The pool generators' step budget on validation (MNIST, 600 digits, 3 seeds, one torch thread): 1x and 3x the
# scarce quick budget, next to the 10x that mnist.sh runs (POOL_STEPS); judged on the classifier's val_acc.
set -u
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=1 AUGBENCH_DATA=${AUGBENCH_DATA:-../shared/data}
run() { .venv/bin/python -m bench run --profile quick --device cpu --tasks mnist --seeds 3 --fractions 0.5 \
          --store results/generated/mnist-pool-budget.sqlite --no-progress "$@"; }
for x in 1 3; do
  run --methods gan,wgan_gp,vae --param gan.data=pool --param wgan_gp.data=pool --param vae.data=pool \
      --param gan.steps=$((200 * x)) --param wgan_gp.steps=$((100 * x)) --param vae.steps=$((300 * x))
done
