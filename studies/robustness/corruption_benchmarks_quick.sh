#!/usr/bin/env bash
# Issue 34 point 5: the quick profile's image cells scored on CIFAR-10-C and MNIST-C instead of the suite's own
# eight corruptions, and what that costs per cell. The cells are the committed baseline's cells of none, classic
# and adversarial on MNIST and CIFAR-10 at both quick sizes, seeds 0-2, rerun with robust.corruptions=benchmark:
# training and every other metric equal the baseline's (the corruptions run after them, on their own seeds), so
# the table compares the same models under both corruption sets.
# usage: studies/robustness/corruption_benchmarks_quick.sh   (about 30 min on the 2-core VM)
set -eu
cd "$(dirname "$0")/../.."
export AUGBENCH_DATA=${AUGBENCH_DATA:-../shared/data}
STORE=results/robustness/corruption-benchmarks.sqlite
mkdir -p results/robustness
rm -f $STORE  # every cell again: a changed default gives cells new identities, and old rows must not linger
.venv/bin/python -m bench run --profile quick --device cpu --tasks mnist,cifar10 --methods none,classic,adversarial \
  --seeds 3 --param robust.corruptions=benchmark --store $STORE --no-progress
.venv/bin/python studies/robustness/corruption_benchmarks_quick.py $STORE > results/robustness/corruption-benchmarks.md
