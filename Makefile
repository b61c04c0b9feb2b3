# fenpei — the verbs people expect. Everything installs into ./.venv on first use.
SHELL  := /bin/bash
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test lint fmt bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Start the web UI on a fresh embedded SQLite file with the Maven CRM data loaded.
demo: install
	$(BIN)/fenpei serve --demo

## Lint, type-check and run the whole suite (SQLite, PostgreSQL and the browser tests).
test: install
	. scripts/postgres-for-tests.sh && . scripts/browser-for-tests.sh && \
	  $(MAKE) --no-print-directory lint && \
	  $(BIN)/python -m pytest -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

fmt: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: install
	. scripts/postgres-for-tests.sh && $(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info src/*.egg-info
