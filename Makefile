# fenpei — the verbs people expect. Everything installs into ./.venv on first use.
SHELL  := /bin/bash
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test lint fmt bench mutation clean

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
	  $(BIN)/python -m pytest -n 2 --dist loadfile --durations=25

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

fmt: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: install
	. scripts/postgres-for-tests.sh && $(BIN)/python -m bench

## Mutation testing (mutmut) of the engine and the routing and assignment services, against
## the fast test layers only (tests/unit, tests/services: fakes, no database, no browser).
## Slow, so not part of `make test`; run it before resolving an issue that changes the engine.
## MODULE=src/fenpei/engine/strategies (packages or .py files, space-separated) narrows it.
## Each run starts afresh in mutants/; the score per module and every mutant not killed end
## the output and stay in mutants/report.txt (`$(BIN)/mutmut show NAME` prints one mutant's diff).
MODULE           ?=
MUTATION_JOBS    ?= 2
MUTATION_TIMEOUT ?= 30m
MUTANT_PREFIXES   = $(foreach m,$(MODULE),$(subst /,.,$(patsubst src/%,%,$(basename $(m:/=)))))

mutation: install
	rm -rf mutants && mkdir mutants
	timeout --kill-after=30s $(MUTATION_TIMEOUT) \
	  $(BIN)/mutmut run --max-children $(MUTATION_JOBS) $(foreach p,$(MUTANT_PREFIXES),'$(p).*') \
	  > mutants/run.log 2>&1; status=$$?; \
	if [ $$status -ne 0 ]; then tail -n 30 mutants/run.log; echo "mutmut exited $$status"; fi; \
	$(BIN)/mutmut results --all true | awk -F': ' -v want='$(MUTANT_PREFIXES)' ' \
	  BEGIN { n = split(want, prefixes, " "); PROCINFO["sorted_in"] = "@ind_str_asc" } \
	  { name = substr($$1, 5); status = $$2; module = name; sub(/\.x(_|ǁ).*/, "", module) } \
	  { keep = n == 0; for (i = 1; i <= n; i++) if (index(name, prefixes[i] ".") == 1) keep = 1 } \
	  !keep || status == "not checked" { next } \
	  { total[module]++; if (status == "killed") killed[module]++; else rest = rest "\n" name ": " status } \
	  END { printf "%-48s %s\n", "module", "killed/total"; \
	        for (m in total) { printf "%-48s %d/%d\n", m, killed[m], total[m]; k += killed[m]; t += total[m] } \
	        printf "%-48s %d/%d\n\nnot killed:%s\n", "all", k, t, rest ? rest : " none" }' \
	  | tee mutants/report.txt; \
	exit $$status

clean:
	rm -rf $(VENV) mutants .pytest_cache .mypy_cache .ruff_cache build *.egg-info src/*.egg-info
