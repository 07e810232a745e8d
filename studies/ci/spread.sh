#!/usr/bin/env bash
# The cross-hardware spread behind reference_check.CROSS_HARDWARE: the CI reference cells rerun on two torch
# threads instead of one, and on one thread with AVX2 kernels instead of AVX-512 (ATEN_CPU_CAPABILITY=avx2;
# OpenBLAS's Haswell kernels, OPENBLAS_CORETYPE), each into its own store and cache (exported to results/ci/spread/
# NAME.json); spread.py prints every number's move against results/ci/reference.json. Run from the repository root on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
export AUGBENCH_DATA=${AUGBENCH_DATA:-../shared/data}
run() {  # NAME ENV...: the six CI cells with ENV set
  local name=$1; shift
  rm -rf results/ci/spread/$name && mkdir -p results/ci/spread/$name
  for grid in "--tasks mnist --methods none,classic,adversarial,vae,randaugment" "--tasks trec --methods none"; do
    env "$@" AUGBENCH_CACHE=results/ci/spread/$name/cache .venv/bin/python -m bench run --profile quick --device cpu \
      --seeds 1 --fractions 0.5 --no-progress --store results/ci/spread/$name/runs.sqlite $grid
  done
}
run threads2 OMP_NUM_THREADS=2
run avx2 OMP_NUM_THREADS=1 ATEN_CPU_CAPABILITY=avx2 OPENBLAS_CORETYPE=Haswell
for name in threads2 avx2; do  # the stores stay git-ignored; their rows are committed as exports
  .venv/bin/python -m bench export --store results/ci/spread/$name/runs.sqlite --output results/ci/spread/$name.json
done
.venv/bin/python studies/ci/spread.py results/ci/spread/threads2.json results/ci/spread/avx2.json
