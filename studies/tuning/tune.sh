#!/usr/bin/env bash
# Quick-profile tuning on the validation split: each candidate (epochs, peak lr, batch, width) trains `none` and
# `classic` at the task's smaller quick size (fraction 0.5; round 1 ran at 0.4 of the then larger pools), seed 0;
# the rows (val_acc, val_curve) land in results/tuning/round2.sqlite and `studies/tuning/summary.py` tabulates
# them. The test split is never looked at for the choice.
# Usage: studies/tuning/tune.sh TASK "EPOCHS:LR[:BATCH[:WIDTH]] ..."
set -euo pipefail
cd "$(dirname "$0")/../.."
task=$1; shift
for candidate in $1; do
  IFS=: read -r epochs lr batch width <<< "$candidate"
  .venv/bin/python -m bench run --profile quick --device cpu --tasks "$task" --methods none,classic --seeds 1 \
    --fractions 0.5 --param train.epochs="$epochs" --param train.lr="$lr" ${batch:+--param train.batch_size="$batch"} \
    ${width:+--param train.width="$width"} \
    --param robust.samples=100 --param robust.check_samples=50 \
    --store results/tuning/round2.sqlite --no-progress
done
