#!/usr/bin/env bash
# The generated-data study (issue 24) from one command: every measurement script with the arguments that made the
# committed stores, then the summary page.
# The committed stores were made at earlier commits, whose cells have other identities than today's, so a run on top
# of them would add a second copy of every cell beside the old one. A run therefore starts by moving the stores it
# writes to results/generated/previous/ (nothing is deleted); RESUME=1 keeps them instead, for going on after a
# stopped run (each `bench run` skips the cells its store already holds).
# usage: studies/generated/all.sh  |  RESUME=1 studies/generated/all.sh
# Cost: the committed cells sum to 3.2 h of one core (results/generated/*.sqlite, total_s), about 2 h on the 2-core
# VM with its two workers.
set -eu
cd "$(dirname "$0")/../.."
export AUGBENCH_DATA=${AUGBENCH_DATA:-../shared/data}
STORES="mnist cifar10 trec sst2 fsdd mnist-pool-budget"
if [ "${RESUME:-0}" != 1 ]; then
  mkdir -p results/generated/previous
  for s in $STORES; do
    for f in results/generated/$s.sqlite results/generated/$s.sqlite-wal results/generated/$s.sqlite-shm; do
      if [ -e "$f" ]; then mv "$f" results/generated/previous/; fi
    done
  done
  echo "moved the existing stores to results/generated/previous/ (RESUME=1 keeps them)"
fi
studies/generated/mnist.sh                      # MNIST: adversarial+vae both regimes, pool generators, exchange curve, share/filter
studies/generated/task.sh cifar10 "1 2" "1 2"   # CIFAR-10: pool generators and the exchange-rate curve
studies/generated/features.sh                   # TREC, SST-2 (task.sh) and FSDD (vae pool, exchange curve)
studies/generated/pool_budget.sh                # the pool generators' step budget on validation
studies/generated/gan_pool.sh                   # the gan's pool cells at the budget pool_budget.sh chose
.venv/bin/python studies/generated/summary.py > results/generated/generated-data.md
echo "generated-data study: results/generated/generated-data.md"
