#!/bin/bash
# FSDD strengths of waveaug, cutmix and cutout chosen on validation (issue 24, point 5): candidates at 300
# recordings (fraction 0.5), seeds 0-2, quick profile, one thread, one job at a time; `none` as the reference.
# Every tuned key is set explicitly, so the cells are the same whatever the defaults of the day (a value
# equal to the default is the same cell). Run from the repo root; summary: fsdd-strengths-summary.py.
set -u
export AUGBENCH_DATA=${AUGBENCH_DATA:-/work/shared/data} OMP_NUM_THREADS=1
S=${1:-results/tuning/fsdd-strengths.sqlite}
run() { echo "=== $*"; .venv/bin/python -m bench run --profile quick --device cpu --tasks fsdd --fractions 0.5 --seeds 3 --store "$S" --no-progress "$@"; echo "rc=$?"; }
wave() { echo "--param waveaug.noise=$1 --param waveaug.specaugment=$2 --param waveaug.snr_db_low=$3"; }
mix() { echo "--param cutmix.prob=$1 --param cutmix.alpha=$2"; }
# the defaults before this tuning: waveaug's common recipe, CutMix's alpha 1 and prob 1, Cutout's 14 cells
run --methods none,waveaug,cutmix,cutout $(wave true true 10) $(mix 1.0 1.0) --param cutout.size=14
run --methods waveaug,cutmix,cutout $(wave false true 10) $(mix 0.5 1.0) --param cutout.size=10
run --methods waveaug,cutmix,cutout $(wave true false 10) $(mix 0.25 1.0) --param cutout.size=7
run --methods waveaug,cutmix $(wave true true 20) $(mix 0.5 0.2)
run --methods waveaug $(wave false false 10)
run --methods cutout --param cutout.size=5  # added after the first four jobs: size 7, the smallest so far, led
