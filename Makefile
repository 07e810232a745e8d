# Two entry points: `make bench` and `make test`. Both create .venv on first use and reinstall only when
# pyproject.toml or the lock changes (the stamp file records the last install). The venv holds exactly what
# requirements.lock pins, nothing resolved at install time; `make lock` regenerates the lock.
SHELL  := /bin/bash
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.augbench-installed
LOCK   := requirements.lock
# uv installs the lock at the version the lock itself pins (so the installer is locked too).
UV_PIN := $(shell sed -n 's/^uv==\([^ ]*\).*/\1/p' $(LOCK))

# The shared data root sits beside the checkout; an AUGBENCH_DATA set by the user wins.
ifeq ($(strip $(AUGBENCH_DATA)),)
ifneq ($(wildcard ../shared/data),)
export AUGBENCH_DATA := $(abspath ../shared/data)
endif
endif

.PHONY: lock bench bench-all bench-generated test docs readme ci-cells ci-check ci-reference history regress baseline baseline-clean microbench perf bench-full venv clean-results validate

# `make bench` runs the core methods: the ones the question is about (none, the classic recipe, the three
# generators, adversarial training) and RandAugment, the cheap recipe with the largest validation gain over
# `none` in the 3-seed baseline (results/tuning/core-set.md); `make bench-all` adds every other registered
# method (mixup, CutMix, Cutout, TrivialAugment, diffusion, self-training, EDA, waveaug, adversarial_word and
# adversarial_wave). docs/quick-profile.md.
CORE_METHODS := none,classic,gan,wgan_gp,vae,adversarial,randaugment
QUICK_GRID   := --profile quick --device cpu --tasks all --methods $(CORE_METHODS)
ALL_GRID     := --profile quick --device cpu --tasks all --methods all
REGRESS    := results/regress

# On a machine whose packages are preinstalled and that has no package index (a GPU box), skip the venv:
#   make bench-full NOVENV=1 PY=python3        make perf NOVENV=1 PY=python3
SETUP := $(if $(NOVENV),,$(STAMP))

venv: $(STAMP)

# The install: every package at the version and hash requirements.lock pins (`uv pip sync` also removes what
# the lock does not hold), then the project itself with no dependencies and no build environment, so nothing
# is resolved and a release upstream cannot change a fresh install. uv installs in 22 s what takes pip 86 s on
# the 2-core VM (torch's CUDA wheels are 5 GB unpacked); where uv cannot be had, pip installs the same lock.
# uv compiles the packages' bytecode at install (`--compile-bytecode`; pip does so by default): where the machine
# sets PYTHONDONTWRITEBYTECODE, as this project's VMs do, Python would otherwise compile torch, pandas and the
# rest from source in every process it starts (9 s of CPU per process here against 4 s from bytecode).
# The marker file says "this venv was installed from the lock": in it the environment check (augbench/core/
# environment.py, `augbench env`) fails on any version that differs from the lock; it runs last here, first in
# `make test` and at the start of every `augbench run`.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@if $(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_PIN)" 2>/dev/null; then \
	  $(VENV)/bin/uv pip sync --quiet --python $(PY) --require-hashes --compile-bytecode $(LOCK) && \
	  $(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps --no-build-isolation -e .; \
	else \
	  $(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r $(LOCK) && \
	  $(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .; \
	fi
	@sha256sum $(LOCK) | cut -c1-64 > $(VENV)/augbench-lock.sha256
	@$(PY) -m bench env
	@touch $(STAMP)

# Resolve pyproject.toml's ranges (with the dev and slurm extras and lock-tools.in) for Python 3.11 on Linux
# x86-64 into requirements.lock, with hashes. Versions already in the lock are kept where the ranges allow;
# `make lock UPGRADE=1` takes the newest releases instead. uv where it can be had, pip-tools otherwise
# (pip-compile resolves for the machine it runs on, which must then be Python 3.11 on Linux x86-64). uv applies
# lock-overrides.txt (a dependency's stale pin replaced; the file says why); pip-compile has no overrides, so
# without uv the lock cannot be regenerated while that file is not empty.
LOCK_INPUTS := pyproject.toml lock-tools.in --extra dev --extra slurm --extra ray --extra docs
lock:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@if test -x $(VENV)/bin/uv || $(PY) -m pip install --quiet --disable-pip-version-check uv 2>/dev/null; then \
	  $(VENV)/bin/uv pip compile --quiet $(LOCK_INPUTS) --overrides lock-overrides.txt --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	    --generate-hashes --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) -o $(LOCK); \
	else \
	  $(PY) -m pip install --quiet --disable-pip-version-check pip-tools && \
	  $(VENV)/bin/pip-compile --quiet $(LOCK_INPUTS) --allow-unsafe --generate-hashes $(if $(UPGRADE),--upgrade) -o $(LOCK); \
	fi
	@echo "lock: $(LOCK) pins $$(grep -c '^[A-Za-z0-9]' $(LOCK)) packages; commit it with pyproject.toml"

# The leaderboard is written even when a cell failed (failed cells are listed in it); the run's
# exit status is kept, so a failure still fails `make bench`.
bench: $(STAMP)
	@status=0; $(PY) -m bench run $(QUICK_GRID) --seeds 1 --calibrate || status=$$?; \
	$(PY) -m bench report && $(PY) -m bench export --output results/latest.json && exit $$status

# Every registered method on every task it applies to, into the same store (the core cells already there are kept),
# then the generated-data grid (docs/methods/generated-data.md).
bench-all: $(STAMP)
	@status=0; $(PY) -m bench run $(ALL_GRID) --seeds 1 --calibrate || status=$$?; \
	$(MAKE) --no-print-directory bench-generated SEEDS=1 || status=$$?; \
	$(PY) -m bench report && exit $$status

# augbench/config/generated_grid.py holds the same grid for the baseline check (a test compares the two).
# The generators fitted on each task's whole train split (pool regime), Gowal et al.'s adversarial training on
# batches mixed with generated samples (both regimes), and the exchange-rate curve: `none` on n_train + K x n_train
# real examples, each K as far as the task's train split allows at that size (TASK:FRACTIONS:K,K,...); CIFAR-10 stops
# at 2 (a cell of 5,000 images for 40 epochs takes about 5 min on the 2-core VM).
SEEDS    ?= 1
POOL_ARGS := --param gan.data=pool --param wgan_gp.data=pool --param vae.data=pool
EXCHANGE := mnist:0.5,1:0.5,1,2,4 cifar10:0.5,1:1,2 sst2:0.5,1:0.5,1,2,4 trec:0.5:0.5,1,2,3 trec:1:0.5,1 \
            fsdd:0.5,1:0.5,1,2,4
bench-generated: $(STAMP)
	@status=0; run="$(PY) -m bench run --profile quick --device cpu --seeds $(SEEDS) $(if $(STORE),--store $(STORE))"; \
	$$run --tasks all --methods gan,wgan_gp,vae $(POOL_ARGS) || status=$$?; \
	$$run --tasks mnist --methods adversarial+vae || status=$$?; \
	$$run --tasks mnist --methods adversarial+vae --param vae.data=pool || status=$$?; \
	for point in $(EXCHANGE); do IFS=: read -r task fractions ks <<< "$$point"; \
	  for k in $${ks//,/ }; do $$run --tasks $$task --methods none --fractions $$fractions --param train.extra_real=$$k || status=$$?; done; \
	done; exit $$status

# The environment against the lock (one line and exit 2 when a package differs or does not load), the layering contract, the docs
# site in strict mode (a dead link or anchor fails), the committed baseline against the effects the literature agrees on (so a new
# baseline that breaks a known effect cannot land; seconds), then the suite, with the CI reference check beside it
# (ci-check: one torch thread on the second core while pytest runs torch on one; its log is printed after pytest's).
test: $(STAMP)
	$(PY) -m bench env
	$(VENV)/bin/lint-imports
	@$(MAKE) --no-print-directory docs
	$(PY) -m bench validate results/baselines/quick-cpu.json
	@mkdir -p $(CI_DIR); $(MAKE) --no-print-directory ci-check > $(CI_LOG) 2>&1 & check=$$!; \
	$(PY) -m pytest -q -m "not slow and not microbench"; tests=$$?; \
	wait $$check; checked=$$?; echo "--- make ci-check ($(CI_LOG))"; cat $(CI_LOG); \
	exit $$(( tests != 0 ? tests : checked ))

# The documentation site from docs/ (mkdocs.yml) into site/ (git-ignored; open site/index.html). --strict: a dead
# link, a broken anchor or a page missing from the navigation fails the build; make test runs it. Material for
# MkDocs prints a notice about its successor unless told not to.
# (Not --quiet: it silences the warnings that --strict counts, and a dead link then passes.)
docs: $(STAMP)
	@start=$$(date +%s); set -o pipefail; NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict 2>&1 | sed '/^INFO /d' && \
	echo "docs: site/ built in $$(( $$(date +%s) - start )) s (strict)"

# The README's headline table from the committed baseline (augbench/reporting/headline.py), with the published
# leaderboard made from the same rows; tests/test_readme.py fails when the README no longer matches the baseline.
readme: $(STAMP)
	$(PY) -m bench report --store results/baselines/quick-cpu.json --output results/published/quick-cpu.md \
		--html $(REGRESS)/baseline-report.html --no-plots --readme README.md

# The CI reference (docs/compare.md, "CI reference"): seed 0 of six quick cells that cover the stages a regression could hide
# in (MNIST: none, classic, adversarial training with its FGSM/PGD evaluation, the vae with its FID, CAS and
# confidence filter, RandAugment's per-sample policy; TREC: a feature task), about 2 min on one thread of the 2-core
# VM (the execution policy's one thread per cell, one cell at a time: the second core is pytest's). ci-cells runs them
# fresh, in a store and cache of their own; ci-check compares them with the committed
# reference row by row (identical on the reference's hardware, within measured tolerances elsewhere; timings never
# fail); ci-reference makes the reference: run it in the commit of a change that is meant to move a number.
CI_DIR  := results/ci
CI_WORK := $(CI_DIR)/work
CI_LOG  := $(CI_DIR)/ci-check.log
CI_RUN   = AUGBENCH_CACHE=$(CI_WORK)/cache $(PY) -m bench run --profile quick --device cpu --seeds 1 \
           --fractions 0.5 --no-progress --store $(CI_WORK)/runs.sqlite --workers 1
ci-cells: $(STAMP)
	rm -rf $(CI_WORK) && mkdir -p $(CI_WORK)
	$(CI_RUN) --tasks mnist --methods none,classic,adversarial,vae,randaugment
	$(CI_RUN) --tasks trec --methods none

ci-check: ci-cells
	$(PY) -m bench compare --exact $(CI_DIR)/reference.json $(CI_WORK)/runs.sqlite --output $(CI_WORK)/compare.md

ci-reference: ci-cells
	$(PY) -m bench export --store $(CI_WORK)/runs.sqlite --output $(CI_DIR)/reference.json

# Which cells of the CI reference and of the committed baseline moved in each commit that changed them (git), and
# one metric's history drawn (results/plots/history-*.png).
history: $(STAMP)
	$(PY) -m bench history

# A fresh quick run (its own store, nothing reused) compared with the committed baseline on the cells it runs
# (the baseline also holds every other method and the text tasks' third size): exit 1 when something regressed. The comparison and the report land in results/regress/.
regress: $(STAMP)
	rm -rf $(REGRESS) && mkdir -p $(REGRESS)
	@status=0; $(PY) -m bench run $(QUICK_GRID) --seeds 1 --store $(REGRESS)/runs.sqlite --no-progress || status=$$?; \
	$(PY) -m bench report --store $(REGRESS)/runs.sqlite --output $(REGRESS)/leaderboard.md && \
	$(PY) -m bench export --store $(REGRESS)/runs.sqlite --output $(REGRESS)/latest.json && \
	$(PY) -m bench compare results/baselines/quick-cpu.json $(REGRESS)/latest.json --output $(REGRESS)/compare.md \
		--methods $(CORE_METHODS) --fractions 0.5,1 --timings report \
	&& exit $$status

# The committed baseline checked against effects the literature agrees on, and results/reproductions/*.json
# against their published numbers: exit 1 when one fails (the effects: augbench/reporting/validate.py, EFFECTS).
validate: $(STAMP)
	$(PY) -m bench validate results/baselines/quick-cpu.json

# Refresh the committed baseline from a fresh quick run: the core grid over CORE_SEEDS seeds (5: what the corrected
# verdicts need, docs/metrics.md#statistics), every other method and a third size of the text tasks (500 sentences,
# fraction 0.25; `none` and `eda`, where EDA's gain is largest in the paper, validate (f)) over 3, and the
# generated-data grid (bench-generated) over 3. Measured on the 2-core VM: the core grid about 15 min a seed, the other
# methods 19 min, the generated-data grid about 85 min: about 3 h in all. It resumes: the store in BASELINE_RUN keeps
# every finished cell and a rerun skips them, so an interrupted `make baseline` goes on where it stopped; after a
# change that moves numbers, `make baseline-clean` first. Commit the JSON afterwards. The published leaderboard and
# the validate report are made from the same store.
BASELINE_RUN := results/baseline-run
CORE_SEEDS   ?= 5
baseline: $(STAMP)
	mkdir -p $(BASELINE_RUN)
	$(PY) -m bench run $(QUICK_GRID) --seeds $(CORE_SEEDS) --store $(BASELINE_RUN)/runs.sqlite --no-progress
	$(PY) -m bench run $(ALL_GRID) --seeds 3 --store $(BASELINE_RUN)/runs.sqlite --no-progress
	$(PY) -m bench run --profile quick --device cpu --tasks trec,sst2 --methods none,eda --fractions 0.25 --seeds 3 \
		--store $(BASELINE_RUN)/runs.sqlite --no-progress
	$(MAKE) --no-print-directory bench-generated SEEDS=3 STORE=$(BASELINE_RUN)/runs.sqlite
	$(PY) -m bench export --store $(BASELINE_RUN)/runs.sqlite --output results/baselines/quick-cpu.json
	$(PY) -m bench report --store $(BASELINE_RUN)/runs.sqlite --output results/published/quick-cpu.md \
		--html $(BASELINE_RUN)/report.html --plots-dir $(BASELINE_RUN)/plots --readme README.md
	-$(PY) -m bench validate results/baselines/quick-cpu.json --output results/published/validate-quick-cpu.md

baseline-clean:
	rm -rf $(BASELINE_RUN)

# Throughput of every method's augment (or sampling) on a fixed batch per task; each run is saved
# under results/microbench/ so `pytest-benchmark --storage file://results/microbench compare` diffs commits.
microbench: $(STAMP)
	$(PY) -m pytest -q -m microbench --benchmark-only --benchmark-autosave --benchmark-storage=file://results/microbench \
		--benchmark-columns=mean,ops,rounds

# Augmentation throughput of augbench vs the torchvision DataLoader pipeline (and Kornia when installed),
# the trainer eager vs torch.compile, and time-to-accuracy on a GPU; the table lands in results/perf-<device>.md.
PERF_DEVICE ?= auto
perf: $(SETUP)
	$(PY) -m bench perf --device $(PERF_DEVICE) --output results/perf-$$($(PY) -c "import torch; print('cuda' if '$(PERF_DEVICE)' != 'cpu' and torch.cuda.is_available() else 'cpu')").md

# The full leaderboard, meant for a GPU: every method x every task x 3 seeds x fractions 0.01/0.1/1 in the
# full profile. Writes results/leaderboard-full.md, results/report-full.html, results/full.json and
# results/costs-full.md (the wall time and where it went, per method: generator fit, training, evaluation).
# Rerunning resumes: cells already in results/full/runs.sqlite are skipped. EXECUTOR_ARGS spreads the
# cells, e.g. EXECUTOR_ARGS='--workers 4' (several cells share one GPU) or a Slurm array.
FULL          := results/full
FULL_GRID     ?= --profile full --tasks all --methods all --seeds 3 --fractions 0.01,0.1,1
EXECUTOR_ARGS ?=
bench-full: $(SETUP)
	@mkdir -p $(FULL); start=$$(date +%s); status=0; \
	$(PY) -m bench run $(FULL_GRID) --store $(FULL)/runs.sqlite --no-progress $(EXECUTOR_ARGS) 2>&1 | tee $(FULL)/run.log; status=$${PIPESTATUS[0]}; \
	wall=$$(( $$(date +%s) - start )); echo "bench-full: wall time $$wall s"; \
	$(PY) -m bench report --store $(FULL)/runs.sqlite --output results/leaderboard-full.md \
		--html results/report-full.html --plots-dir $(FULL)/plots && \
	$(PY) -m bench export --store $(FULL)/runs.sqlite --output results/full.json && \
	$(PY) -m bench costs --store $(FULL)/runs.sqlite --wall-s $$wall --output results/costs-full.md && exit $$status

clean-results:
	rm -rf results/runs.sqlite results/leaderboard.md results/report.html results/plots $(REGRESS)
