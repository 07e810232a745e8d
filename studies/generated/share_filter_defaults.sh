#!/usr/bin/env bash
# The baseline rows of the vae's share/filter defaults chosen on validation (augbench/methods/vae.py, SHARE_FILTER):
# - the scarce vae cells of the core grid whose default changed (MNIST, CIFAR-10, FSDD), both quick sizes, 3 seeds,
#   on two threads like the rest of the core grid (make bench, make regress), into share-filter-defaults-core.sqlite,
#   with an empty cache as a fresh clone's make bench has (a generator cached by a one-thread run gives other digits);
# - the pool vae cells of SST-2 and TREC at the larger size (the tuning stores hold the smaller) and adversarial+vae
#   on MNIST (scarce: its vae takes MNIST's scarce default), 3 seeds, one thread like the rest of the generated-data
#   grid, into share-filter-defaults.sqlite.
# merge_share_filter.py then puts them into the baseline.
set -u
cd "$(dirname "$0")/../.."
export AUGBENCH_DATA=${AUGBENCH_DATA:-../shared/data}
run=".venv/bin/python -m bench run --profile quick --device cpu --seeds 3 --no-progress"
case "${1:-all}" in
  core) AUGBENCH_CACHE=$(mktemp -d) $run --store results/generated/share-filter-defaults-core.sqlite --tasks mnist,cifar10,fsdd --methods vae --fractions 0.5,1 ;;
  generated)
    export OMP_NUM_THREADS=1
    $run --store results/generated/share-filter-defaults.sqlite --tasks sst2,trec --methods vae --fractions 1 --param vae.data=pool
    $run --store results/generated/share-filter-defaults.sqlite --tasks mnist --methods adversarial+vae --fractions 0.5,1 ;;
  *) "$0" core && "$0" generated ;;
esac
