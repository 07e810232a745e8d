#!/usr/bin/env bash
# Issue 24 measurements on one task (quick profile, 3 seeds, both quick sizes), one torch thread: the pool regime of
# every generator and the exchange-rate curve (none with train.extra_real = each K at each size; a K the task's
# train split cannot supply at a size is left out of that size).
# usage: studies/generated/task.sh TASK "K values at fraction 0.5" "K values at fraction 1"
set -u
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=1 AUGBENCH_DATA=${AUGBENCH_DATA:-../shared/data}
TASK=$1; STORE=results/generated/$TASK.sqlite
run() { .venv/bin/python -m bench run --profile quick --device cpu --tasks $TASK --seeds 3 --store $STORE --no-progress "$@"; }
run --methods gan,wgan_gp,vae --param gan.data=pool --param wgan_gp.data=pool --param vae.data=pool --fractions 0.5,1
for k in $2; do run --methods none --param train.extra_real=$k --fractions 0.5; done
for k in $3; do run --methods none --param train.extra_real=$k --fractions 1; done
