#!/usr/bin/env bash
# Share and confidence filter on validation for the text tasks' vae (their generator with the most class-faithful
# samples), both regimes, at the smaller quick size, 3 seeds, one torch thread (MNIST: mnist.sh and filter_tau.sh).
set -u
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=1 AUGBENCH_DATA=${AUGBENCH_DATA:-../shared/data}
for task in sst2 trec; do for data in scarce pool; do for ratio in 0.25 0.5; do for tau in 0 0.5; do
  .venv/bin/python -m bench run --profile quick --device cpu --tasks $task --seeds 3 --fractions 0.5 \
    --store results/generated/$task-share-filter.sqlite --no-progress --methods vae \
    --param vae.data=$data --param vae.ratio=$ratio --param vae.filter_tau=$tau
done; done; done; done
