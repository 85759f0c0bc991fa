# The two commands of the README: `make demo` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The demo needs Garante alone, not the test tools: its own stamp, in the same venv.
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: demo test lint typecheck unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $(DEMO_STAMP)

# The test extra includes everything the demo needs, so it stamps both.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP) $(DEMO_STAMP)

## Replay the November 2025 scenario into garante-demo.db and print every decision; run again,
## serve that store as it is (FRESH=1 starts a new history under a new log key).
demo: $(DEMO_STAMP)
	$(BIN)/garante --db garante-demo.db demo $(if $(FRESH),--fresh,)

## Lint, type-check and run every test.
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy --strict src tests bench

# Most tests wait on a server, a browser or a subprocess, so two worker processes (pytest-xdist)
# keep two cores busy; each test file runs whole in one worker, in its order, the longest
# files handed out first (tests/conftest.py, LONGEST_FIRST).
WORKERS ?= 2

unit: $(STAMP)
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist loadfile --no-loadscope-reorder --durations=30
	$(BIN)/python bench/decide.py --quick
	$(BIN)/python bench/ledger.py --quick
	$(BIN)/python bench/simulate.py --quick
	$(BIN)/python bench/replay.py --quick
	$(BIN)/python bench/cli.py --quick
	$(BIN)/python bench/fanout.py --quick
	$(BIN)/python bench/orders.py --quick
	$(BIN)/python bench/ingest.py --quick
	$(BIN)/python bench/http_protocol.py --quick
	$(BIN)/python bench/api.py --quick
	$(BIN)/python bench/taxii.py --quick
	$(BIN)/python bench/scale.py --quick --check

## Benchmarks at full size (not part of `make test`: timing stays out of tests).
bench: $(STAMP)
	$(BIN)/python bench/decide.py
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/simulate.py
	$(BIN)/python bench/replay.py
	$(BIN)/python bench/cli.py
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/orders.py
	$(BIN)/python bench/http_protocol.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/taxii.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/scale.py

## decide() against the reference model on a million random pairs (not part of `make test`).
.PHONY: soak
soak: $(STAMP)
	$(BIN)/python bench/soak.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis garante-demo.db*
