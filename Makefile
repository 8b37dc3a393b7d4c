# Two commands: `make run` serves the app, `make test` proves it. Everything else is a helper.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_BIN := $(firstword $(wildcard /usr/lib/postgresql/*/bin))
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test test-sqlite test-postgres fuzz bench bench-postgres bench-scale bench-scale-postgres bench-tools audit soak lint format install install-dev browser clean

run: $(VENV)/.installed  ## set up, migrate and serve on http://$${HOST:-127.0.0.1}:$${PORT:-8000}
	$(BIN)/python -m app

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

install-dev: $(VENV)/.installed-dev

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Debian's Chromium drives the browser tests; Playwright's own browser download cannot work offline.
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Chromium for the browser tests (apt-get)..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "Could not install Chromium."; \
	  else \
	    echo "Chromium is missing: install Debian's 'chromium' package to run the browser tests."; \
	  fi; \
	fi

test: install-dev browser  ## the whole suite on SQLite, then again on a throwaway PostgreSQL
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

# With REPORT_DIR set (CI), each pass also writes a JUnit report there for the closing count.
test-sqlite: install-dev
	$(BIN)/python -m pytest $(if $(REPORT_DIR),--junitxml=$(REPORT_DIR)/pytest-sqlite.xml)

test-postgres: install-dev
	@if [ -z "$(PG_BIN)" ]; then \
	  if [ -n "$$CI" ]; then echo "PostgreSQL binaries not found: the PostgreSQL pass cannot run in CI."; exit 1; fi; \
	  echo "*** PostgreSQL pass SKIPPED: no PostgreSQL binaries under /usr/lib/postgresql (apt-get install postgresql). ***"; \
	else \
	  TEST_DATABASE=postgresql PG_BIN=$(PG_BIN) $(BIN)/python -m pytest $(if $(REPORT_DIR),--junitxml=$(REPORT_DIR)/pytest-postgres.xml); \
	fi

# Schemathesis against the real app on a free loopback port, with the test SMTP sink as its mail server:
# every check, a fixed seed, a user pass and an admin pass (both always run; either failing fails).
# Takes minutes, not seconds: 5 to 10 measured on a shared 2-core machine.
fuzz: install-dev
	$(BIN)/python -m tests.fuzz

# Benchmarks print numbers; they are not tests and CI does not run them (see bench/RESULTS.md).
bench: install-dev bench-tools
	$(BIN)/python bench/run.py

bench-postgres: install-dev bench-tools
	PG_BIN=$(PG_BIN) $(BIN)/python bench/run.py --postgres

# One ledger grown through the CSV import to 10k, 100k and ROWS expenses, each figure timed at each
# size with its growth (bench/scale.py); about 15 minutes a database at 1,000,000.
ROWS ?= 1000000
bench-scale: install-dev bench-tools
	$(BIN)/python bench/scale.py --rows $(ROWS)

bench-scale-postgres: install-dev bench-tools
	PG_BIN=$(PG_BIN) $(BIN)/python bench/scale.py --rows $(ROWS) --postgres

# 50 simulated users, mixed reads and writes, for DURATION seconds: per-minute p50/p95 and RSS.
DURATION ?= 1200
soak: install-dev
	$(BIN)/python bench/soak.py --seconds $(DURATION)

# wrk generates the load and sqlite3 gives the export floor; without wrk an asyncio client stands in.
bench-tools:
	@if ! command -v wrk >/dev/null || ! command -v sqlite3 >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk sqlite3 >/dev/null) \
	      || echo "Could not install wrk/sqlite3; using the Python load generator."; \
	  fi; \
	fi

# Lighthouse's four scores for the log-in page and the dashboard (bench/audit.py); CI does not run it.
# Lighthouse 12.8.2 is the last release that runs on Node 20; installed from its lock file.
LIGHTHOUSE := tools/lighthouse
audit: install-dev browser $(LIGHTHOUSE)/node_modules/.installed
	CHROME_PATH=$(CHROMIUM) $(BIN)/python bench/audit.py

$(LIGHTHOUSE)/node_modules/.installed: $(LIGHTHOUSE)/package.json $(LIGHTHOUSE)/package-lock.json
	cd $(LIGHTHOUSE) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
