#!/usr/bin/env bash
# Share and confidence filter on validation for CIFAR-10's and FSDD's vae (the generator tuned on every task), both
# regimes, at the smaller quick size, 3 seeds, one torch thread: ratio {0.25, 0.5} x filter_tau {0, 0.5}, the
# default (0.5, 0) included so the comparison is paired by seed on one thread. Usage: share_filter_task.sh TASK
set -u
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=1 AUGBENCH_DATA=${AUGBENCH_DATA:-../shared/data}
task=$1
for data in pool scarce; do for ratio in 0.5 0.25; do for tau in 0 0.5; do
  .venv/bin/python -m bench run --profile quick --device cpu --tasks $task --seeds 3 --fractions 0.5 \
    --store results/generated/$task-share-filter.sqlite --no-progress --methods vae \
    --param vae.data=$data --param vae.ratio=$ratio --param vae.filter_tau=$tau
done; done; done
