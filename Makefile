# The README's two commands. Each bootstraps .venv on a fresh clone.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first, pinned: the CPU build on this machine; an open range would pull a CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[all]'
	touch $(STAMP)

# A StarCraft II sub-task transfer on the built-in engine (MoveToBeacon teacher -> CollectMineralShards),
# 4 modes x 1 seed x 20 iterations (the scenario's budget is 60): the paper's table in a few minutes.
demo: $(STAMP)
	$(BIN)/repaint compare scenarios/sc2/beacon_to_shards_subtask.yaml --seeds 1 --iterations 20 --out compare/demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest tests

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) runs .pytest_cache
