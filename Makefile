# Two commands do it all on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test lint format bench bench-smoke mutate screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

## run: set up, migrate, seed the demo (first time only) and serve on http://127.0.0.1:5000,
## with the mail worker beside the web server (both stop on Ctrl-C)
run: $(VENV)/.runtime-installed
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty
	$(BIN)/flask mail work & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(BIN)/flask run --host 127.0.0.1 --port 5000

## test: set up, lint, check formatting and run the whole suite, one pytest worker a core
## (PYTEST_ARGS="-n 0" runs it in one process)
test: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -c pyproject.toml -r app
	$(BIN)/pytest -n auto --dist worksteal $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/bandit -c pyproject.toml -r app

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## screenshots: renew the README's screenshots from the demo data (needs Debian's chromium)
screenshots: $(VENV)/.dev-installed
	$(BIN)/python docs/screenshots.py

## bench: the benchmark at scale `large` (needs wrk: apt-get install wrk); writes bench/results.md
## (set BENCH_DATABASE_URL=postgresql+psycopg://... to also run it on PostgreSQL)
bench: $(VENV)/.dev-installed
	$(BIN)/python bench/run.py

## bench-smoke: the benchmark end to end at `small` in under a minute; fails if a page's
## SQL statement count grows between `small` and `medium`
bench-smoke: $(VENV)/.dev-installed
	$(BIN)/python bench/run.py --smoke

## mutate: mutation testing of the rules (mutmut over app/services' core and app/mail/lease.py
## with the unit and functional tests; about 25 minutes on 2 cores; not in CI)
mutate: $(VENV)/.dev-installed
	rm -rf mutants
	$(BIN)/mutmut run || true
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
