# Two entry points: `make run` (example catalog) and `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run run-cli test test-fast check lint typecheck format install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Applies the example catalog, runs its Projects with the `dobo` command (those
# not done yet), then serves them in the Dagster UI (dagster dev) until Ctrl-C;
# the UI shows those Runs as materializations. `make run PORT=3001` picks the port.
PORT ?= 3000
run: $(STAMP)
	$(BIN)/python scripts/dagster_dev.py --run-example --port $(PORT)

# The same Runs without the UI.
run-cli: $(STAMP)
	$(BIN)/python scripts/run_example.py

test: $(STAMP)
	$(BIN)/python scripts/test_suite.py $(PYTEST_ARGS)

# Skips the slow end-to-end tests (CI runs everything through `make test`).
test-fast: $(STAMP)
	$(BIN)/python scripts/test_suite.py -m "not slow" $(PYTEST_ARGS)

# The quality gate (CI runs it before `make test`): lint, format check, strict types, fast tests.
check: lint typecheck test-fast

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Rewrites files: fixes what ruff can fix and formats the tree.
format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .dobo .pytest_cache
