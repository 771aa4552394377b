# Kith: `make run` opens Kith on a local vault; `make test` sets up and runs the checks and tests.
# Both create .venv on first use. Nothing here needs network access after `make setup`.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# A local vault for `make run`, kept out of the source tree's git history.
KITH_VAULT ?= $(CURDIR)/.kith-dev-vault
PYTEST_WORKERS ?= 2

.PHONY: setup run test check lint typecheck layers unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	KITH_VAULT="$(KITH_VAULT)" $(BIN)/kith tui

lint: setup
	$(BIN)/ruff check vault sync outreach geo tui relay intake tests bench

typecheck: setup
	$(BIN)/mypy --strict vault sync outreach geo relay intake

layers: setup
	$(BIN)/lint-imports

unit: setup
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -q

check: lint typecheck layers unit

test: check

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
