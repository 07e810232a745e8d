#!/usr/bin/env bash
# The feature tasks' share of issue 24's grid (one torch thread): TREC and SST-2 in full (task.sh); FSDD's pool
# regime for its one generator with class-faithful samples (vae, CAS 53% scarce), since on a feature task the
# pool generator is fitted per cell (10x steps: about 2.5 min a cell here), and FSDD's exchange-rate curve.
# (FSDD's 16-band task since 2026-12-07: the curve reaches K=4 at both sizes, as augbench/config/generated_grid.py;
# its vae share and filter: studies/tuning/fsdd_retune.sh, whose vae rows are results/generated/fsdd-share-filter.sqlite.)
set -u
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=1 AUGBENCH_DATA=${AUGBENCH_DATA:-../shared/data}
studies/generated/task.sh trec "0.5 1 2 3" "0.5 1"
studies/generated/task.sh sst2 "0.5 1 2 4" "0.5 1 2 4"
run() { .venv/bin/python -m bench run --profile quick --device cpu --tasks fsdd --seeds 3 --store results/generated/fsdd.sqlite --no-progress "$@"; }
for k in 0.5 1 2 4; do run --methods none --param train.extra_real=$k --fractions 0.5; done
for k in 0.5 1 2 4; do run --methods none --param train.extra_real=$k --fractions 1; done
run --methods vae --param vae.data=pool --fractions 0.5,1
