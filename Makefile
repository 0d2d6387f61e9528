# rolegate — `make` prints this help.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install serve test lint typecheck migrations-check bench bench-growth bench-smoke outage \
	bench-pgbouncer bench-read-replica pgbouncer-path failover clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@# An editable install leaves src/ uncompiled (a wheel's install compiles it), and with
	@# PYTHONDONTWRITEBYTECODE set every start compiles it again: ~0.2 s of serve's start.
	$(BIN)/python -m compileall -q src migrations
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install rolegate with its dev tools

serve: $(STAMP) ## Serve on 127.0.0.1:8080 with the embedded PostgreSQL and the demo seed
	$(BIN)/rolegate serve --demo

test: $(STAMP) ## Run the test suite (embedded PostgreSQL, two workers)
	$(BIN)/pytest -n 2 -q

lint: $(STAMP) ## ruff, import-linter
	$(BIN)/ruff check src tests migrations $(wildcard bench)
	$(BIN)/lint-imports

typecheck: $(STAMP) ## mypy --strict
	$(BIN)/mypy

bench: $(STAMP) ## Benchmark every PATCH and read against pgbench, logins, cold start (bench/README.md)
	$(BIN)/python bench/run.py

bench-growth: $(STAMP) ## How each cost grows with the data: series and fitted exponents
	$(BIN)/python bench/growth.py

outage: $(STAMP) ## Kill PostgreSQL under PATCH load and count (see docs/reliability.md)
	$(BIN)/python -m bench.outage

bench-pgbouncer: $(STAMP) ## Endpoint A direct vs ROLEGATE_DB__PGBOUNCER vs through PgBouncer
	$(BIN)/python bench/pgbouncer.py

bench-read-replica: $(STAMP) ## Reads (GA EP PC GE) without and with ROLEGATE_DATABASE_READ_URL on a hot standby
	$(BIN)/python bench/read_replica.py

pgbouncer-path: $(STAMP) ## migrate, seed, serve and tests/api through PgBouncer (CI step)
	bash .ci/pgbouncer-path.sh

failover: $(STAMP) ## Kill the primary under PATCH load, promote its sync standby, count (docs/scaling.md)
	$(BIN)/python bench/failover.py

bench-smoke: $(STAMP) ## Every part of the benchmark in short points, to prove it runs
	$(BIN)/python bench/run.py --smoke
	$(BIN)/python bench/growth.py --smoke
	$(BIN)/python bench/read_replica.py --smoke

clean: ## Remove the venv and local data
	rm -rf $(VENV) .rolegate .rolegate-test
