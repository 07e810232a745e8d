#!/bin/bash
# FSDD's tuned settings re-chosen on validation after the task moved to 16-band log-mel maps and 150/300 recordings
# (issue 33, 2026-12-07; results/tuning/fsdd-mels.md): the candidates of fsdd-strengths.sh (waveaug, cutmix,
# cutout; cutout also at 3 cells, a smaller square for the smaller map) and of the vae's share and filter
# (studies/generated/share_filter_task.sh: ratio {0.25, 0.5} x filter_tau {0, 0.5}, both regimes), at the smaller
# quick size (150 recordings), seeds 0-2, the execution policy (one thread per cell, two cells at once).
# Every tuned key is set explicitly, so the cells are the same whatever the defaults of the day.
# Run from the repo root; summary: .venv/bin/python studies/tuning/fsdd_retune_summary.py > results/tuning/fsdd-retune.md
set -eu
export AUGBENCH_DATA=${AUGBENCH_DATA:-$(cd .. && pwd)/shared/data}
S=${1:-results/tuning/fsdd-retune.sqlite}
run() { .venv/bin/python -m bench run --profile quick --device cpu --tasks fsdd --fractions 0.5 --seeds 3 --store "$S" --no-progress "$@"; }
wave() { echo "--param waveaug.noise=$1 --param waveaug.specaugment=$2 --param waveaug.snr_db_low=$3"; }
mix() { echo "--param cutmix.prob=$1 --param cutmix.alpha=$2"; }
run --methods none,classic,waveaug,cutmix,cutout $(wave true true 10) $(mix 1.0 1.0) --param cutout.size=14
run --methods waveaug,cutmix,cutout $(wave false true 10) $(mix 0.5 1.0) --param cutout.size=10
run --methods waveaug,cutmix,cutout $(wave true false 10) $(mix 0.25 1.0) --param cutout.size=7
run --methods waveaug,cutmix,cutout $(wave true true 20) $(mix 0.5 0.2) --param cutout.size=5
run --methods waveaug,cutout $(wave false false 10) --param cutout.size=3
for data in scarce pool; do for ratio in 0.5 0.25; do for tau in 0 0.5; do
  run --methods vae --param vae.data=$data --param vae.ratio=$ratio --param vae.filter_tau=$tau
done; done; done
