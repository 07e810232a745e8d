#!/usr/bin/env bash
# Issue 34 point 3: how much PGD's last iterate overstates robustness against its strongest iterate, beside
# AutoAttack, on the quick profile's image cells. The cells are the committed baseline's seed-0 cells of none,
# classic and adversarial on MNIST and CIFAR-10 at both quick sizes, rerun with robust.pgd_iterate=strongest and
# robust.autoattack=fast: training is the baseline's, the PGD walk is the same (same seeds), only which iterate
# is reported changes.
# usage: studies/robustness/pgd_strongest_quick.sh   (about 10 min on the 2-core VM)
set -eu
cd "$(dirname "$0")/../.."
export AUGBENCH_DATA=${AUGBENCH_DATA:-../shared/data}
STORE=results/robustness/pgd-strongest-quick.sqlite
mkdir -p results/robustness
rm -f $STORE
.venv/bin/python -m bench run --profile quick --device cpu --tasks mnist,cifar10 --methods none,classic,adversarial \
  --seeds 1 --param robust.pgd_iterate=strongest --param robust.autoattack=fast --store $STORE --no-progress
.venv/bin/python studies/robustness/pgd_strongest_quick.py $STORE > results/robustness/pgd-strongest-quick.md
