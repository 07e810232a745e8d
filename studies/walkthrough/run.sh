#!/usr/bin/env bash
# The walkthrough of docs/walkthrough.md, run for real: three folders built from the shared data as a user's own
# data would look (make_folders.py: 500 MNIST digits as PNG files, 500 FSDD recordings by digit, 1,000 TREC questions
# as a CSV), each benchmarked with the quick profile over 3 seeds by the commands the page shows, then the
# leaderboards. Writes results/walkthrough/KIND/ (the store's rows as a JSON export, which `augbench report` and
# `validate` read as they read a store, and its leaderboard per kind) and results/walkthrough/times.txt; the SQLite
# stores stay beside the folders. From a clean checkout's root:
#     bash studies/walkthrough/run.sh            (about 25 minutes on the 2-core VM)
set -euo pipefail
PY=${PY:-.venv/bin/python}
OUT=results/walkthrough
DATA=${WALKTHROUGH_DATA:-/tmp/augbench-walkthrough}
mkdir -p "$OUT"
rm -rf "$DATA" "$OUT"/{images,text,audio}
$PY studies/walkthrough/make_folders.py "$DATA" --per-class 50 --questions 1000
: > "$OUT/times.txt"
bench() {  # KIND:PATH methods [--param ...]
  local task=$1 methods=$2 kind=${1%%:*} start=$SECONDS
  shift 2
  $PY -m augbench run --profile quick --tasks "$task" --methods "$methods" --seeds 3 --store "$DATA/$kind.sqlite" \
    --no-progress "$@"
  local took=$((SECONDS - start))
  mkdir -p "$OUT/$kind"
  $PY -m augbench export --store "$DATA/$kind.sqlite" --output "$OUT/$kind/runs.json"
  $PY -m augbench report --store "$OUT/$kind/runs.json" --output "$OUT/$kind/leaderboard.md" --no-plots \
    --html "$DATA/$kind-report.html"
  echo "$kind: $((took / 60)) min $((took % 60)) s for --methods $methods $* (quick, 3 seeds)" >> "$OUT/times.txt"
}
# a mirrored digit is another digit (or none): classic's flips off, as the walkthrough says
bench "images:$DATA/digits" none,classic,randaugment,trivialaugment,mixup,cutmix,cutout,adversarial,vae \
  --param images:digits.flip=false
bench "text:$DATA/questions.csv" none,classic,eda,mixup,adversarial,adversarial_word,vae
bench "audio:$DATA/spoken" none,classic,waveaug,mixup,cutmix,cutout,adversarial,adversarial_wave,vae
cat "$OUT/times.txt"
