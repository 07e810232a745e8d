#!/usr/bin/env bash
# Issue 24 measurements on MNIST (quick profile, 3 seeds, both quick sizes), one torch thread, in one store:
# Gowal et al.'s claim (adversarial+vae, both regimes), the pool regime of every generator, the exchange-rate
# curve (none with train.extra_real), then the share/filter candidates on validation (fraction 0.5).
set -u
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=1 AUGBENCH_DATA=${AUGBENCH_DATA:-../shared/data}
STORE=results/generated/mnist.sqlite
run() { .venv/bin/python -m bench run --profile quick --device cpu --tasks mnist --seeds 3 --store $STORE --no-progress "$@"; }
run --methods adversarial+vae --fractions 0.5,1
run --methods adversarial+vae --param vae.data=pool --fractions 0.5,1
run --methods gan,wgan_gp,vae --param gan.data=pool --param wgan_gp.data=pool --param vae.data=pool --fractions 0.5,1
for k in 0.5 1 2 4; do run --methods none --param train.extra_real=$k --fractions 0.5,1; done
for data in scarce pool; do for ratio in 0.25 0.5; do for tau in 0 0.9; do
  run --methods vae --param vae.data=$data --param vae.ratio=$ratio --param vae.filter_tau=$tau --fractions 0.5
done; done; done
