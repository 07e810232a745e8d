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

.PHONY: bench test venv clean-results

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# The leaderboard is written even when a cell failed (failed cells are listed in it); the run's
# exit status is kept, so a failure still fails `make bench`.
bench: $(STAMP)
	@status=0; $(PY) -m bench run --profile quick --device cpu --tasks all --methods all --seeds 1 || status=$$?; \
	$(PY) -m bench report && exit $$status

test: $(STAMP)
	$(PY) -m pytest -q -m "not slow" --benchmark-disable-gc --benchmark-columns=mean,ops

clean-results:
	rm -f results/runs.sqlite results/leaderboard.md
