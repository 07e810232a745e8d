# Two entry points: `make bench` and `make test`. Both create .venv on first use and reinstall
# only when pyproject.toml changes (the stamp file records the last install).
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.augbench-installed

# The shared data root sits beside the checkout; an AUGBENCH_DATA set by the user wins.
ifeq ($(strip $(AUGBENCH_DATA)),)
ifneq ($(wildcard ../shared/data),)
export AUGBENCH_DATA := $(abspath ../shared/data)
endif
endif

.PHONY: bench test regress baseline microbench venv clean-results

QUICK_GRID := --profile quick --device cpu --tasks all --methods all --seeds 1
REGRESS    := results/regress

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,slurm]'
	@touch $(STAMP)

# The leaderboard is written even when a cell failed (failed cells are listed in it); the run's
# exit status is kept, so a failure still fails `make bench`.
bench: $(STAMP)
	@status=0; $(PY) -m bench run --profile quick --device cpu --tasks all --methods all --seeds 1 || status=$$?; \
	$(PY) -m bench report && exit $$status

test: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not microbench"

# A fresh quick run (its own store, nothing reused) compared with the committed baseline:
# exit 1 when something regressed. The comparison and the report land in results/regress/.
regress: $(STAMP)
	rm -rf $(REGRESS) && mkdir -p $(REGRESS)
	@status=0; $(PY) -m bench run $(QUICK_GRID) --store $(REGRESS)/runs.sqlite --no-progress || status=$$?; \
	$(PY) -m bench report --store $(REGRESS)/runs.sqlite --output $(REGRESS)/leaderboard.md && \
	$(PY) -m bench export --store $(REGRESS)/runs.sqlite --output $(REGRESS)/latest.json && \
	$(PY) -m bench compare results/baselines/quick-cpu.json $(REGRESS)/latest.json --output $(REGRESS)/compare.md \
	&& exit $$status

# Refresh the committed baseline from a fresh quick run over 3 seeds (about 25 minutes on 2 cores;
# commit the JSON afterwards). More seeds than `regress` runs: the baseline's means should be steady.
baseline: $(STAMP)
	rm -rf $(REGRESS) && mkdir -p $(REGRESS)
	$(PY) -m bench run --profile quick --device cpu --tasks all --methods all --seeds 3 --store $(REGRESS)/runs.sqlite --no-progress
	$(PY) -m bench export --store $(REGRESS)/runs.sqlite --output results/baselines/quick-cpu.json

# Throughput of every method's augment (or sampling) on a fixed batch per task; each run is saved
# under results/microbench/ so `pytest-benchmark --storage file://results/microbench compare` diffs commits.
microbench: $(STAMP)
	$(PY) -m pytest -q -m microbench --benchmark-only --benchmark-autosave --benchmark-storage=file://results/microbench \
		--benchmark-columns=mean,ops,rounds

clean-results:
	rm -rf results/runs.sqlite results/leaderboard.md results/report.html results/plots $(REGRESS)
