#!/usr/bin/env bash
# How generated samples enter training (issue 36, point 4): replacing a share of each batch (the suite's default,
# at the share validation chose) against adding them beside the real batch (the literature's setting: Gowal et al.
# 2021 train on 70% generated per batch), for the vae fitted on the cell's own examples (scarce) and on the whole
# labelled train split (pool), on MNIST (600 digits) and CIFAR-10 (500 images), quick profile, 3 seeds, judged on
# the validation split. A rerun skips the cells the store holds. Then the summary:
#     bash studies/generated/mix_add_validation.sh
#     .venv/bin/python studies/generated/mix_add_validation.py results/tuning/mix-add-validation.sqlite \
#         > results/tuning/mix-add-validation.md
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
STORE=results/tuning/mix-add-validation.sqlite  # not results/generated/: summary.py reads every store there as its grid
run() { $PY -m augbench run --profile quick --tasks mnist,cifar10 --fractions 0.5 --seeds 3 --store $STORE --no-progress "$@"; }
run --methods none
run --methods vae                                                   # replace, at the share validation chose
run --methods vae --param vae.ratio=0.5                             # replace half
run --methods vae --param vae.mix=add --param vae.ratio=0.5         # add: the batch doubles
run --methods vae --param vae.mix=add --param vae.ratio=0.7         # add: 70% generated, the batch 3.3x
for data in pool; do                                                # one fitted generator per task, shared
  run --methods vae --param vae.data=$data
  run --methods vae --param vae.data=$data --param vae.mix=add --param vae.ratio=0.5
  run --methods vae --param vae.data=$data --param vae.mix=add --param vae.ratio=0.7
done
