#!/bin/bash
# FSDD's log-mel band count chosen on validation (issue 33, 2026-12-07): 16 against 32 mel bands (the maps the
# suite used before), `none` and `classic` at 150, 300 and 600 recordings (the earlier pool of 600 held fixed by
# train.train_pool, so both band counts see the same recordings), and the three generators at 300, seeds 0-2,
# quick profile, the execution policy (one thread per cell, two cells at once). Run from the repo root;
# summary: .venv/bin/python studies/tuning/fsdd_mels_summary.py (writes results/tuning/fsdd-mels.md).
set -eu
export AUGBENCH_DATA=${AUGBENCH_DATA:-$(cd .. && pwd)/shared/data}
S=${1:-results/tuning/fsdd-mels.sqlite}
for mels in 16 32; do
  .venv/bin/python -m bench run --profile quick --device cpu --tasks fsdd --methods none,classic --fractions 0.25,0.5,1 \
    --seeds 3 --param fsdd.mels=$mels --param train.train_pool=600 --store "$S" --no-progress
  .venv/bin/python -m bench run --profile quick --device cpu --tasks fsdd --methods gan,wgan_gp,vae --fractions 0.5 \
    --seeds 3 --param fsdd.mels=$mels --param train.train_pool=600 --store "$S" --no-progress
done
