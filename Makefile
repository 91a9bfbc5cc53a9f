# Procure: every set-up step lives here, so that a fresh machine needs only
# `make run` or `make test`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

# Debian packages pip cannot bring. Installed when running as root and missing;
# otherwise the README names them.
# The Noto families give every script a glyph in PDFs and charts (Latin, Greek, Cyrillic,
# Arabic, Hebrew in fonts-noto-core; Chinese, Japanese, Korean in fonts-noto-cjk).
# xmlsec1 checks the signatures of SAML assertions (pysaml2 calls it).
DEB_RUNTIME := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
	fonts-noto-core fonts-noto-cjk xmlsec1
# qpdf checks the PDFs; Java runs the Nu HTML validator (vnu.jar, from npm); Node.js
# runs the OpenID Connect provider of the sign-in tests (oidc-provider, from npm); slapd
# is their LDAP directory.
DEB_TEST := chromium poppler-utils postgresql-client qpdf openjdk-17-jre-headless \
	nodejs slapd ldap-utils
DEB_BENCH := wrk

.PHONY: help install install-test run test test-sqlite test-postgres lint format bench clean fuzz soak \
	system-packages system-test-packages system-bench-packages

help:
	@echo "make run      set up and serve the demo on http://$(HOST):$(PORT) (SQLite)"
	@echo "make test     set up and run the whole suite (SQLite and PostgreSQL, browser)"
	@echo "make install  create .venv with what production needs"
	@echo "make lint     ruff check and ruff format --check"
	@echo "make fuzz     schemathesis against the API: many examples, a random seed"
	@echo "make soak     load with faults on gunicorn and PostgreSQL (5 min; SOAK_SECONDS)"

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# The independent checkers of the suite (package.json): vnu.jar, axe-core, Spectral.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: system-packages $(VENV)/.installed

install-test: system-packages system-test-packages $(VENV)/.installed-test node_modules/.installed

define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Please install these Debian packages:$$missing"; \
	  fi; \
	fi
endef

system-packages:
	$(call apt_install,$(DEB_RUNTIME))

system-test-packages:
	$(call apt_install,$(DEB_TEST))

system-bench-packages:
	$(call apt_install,$(DEB_BENCH))

# Links in pages and e-mails (quote links, decisions) use the address really served.
run: export PROCURE_BASE_URL ?= http://$(HOST):$(PORT)
run: install
	$(FLASK) init-db
	$(FLASK) seed-demo
	$(FLASK) run --host $(HOST) --port $(PORT)

# The whole suite on SQLite (with the browser journeys), then on PostgreSQL; each in
# TEST_WORKERS processes (pytest-xdist), a test file to a process: module-wide servers
# (identity providers, live apps) start once. TEST_WORKERS=0 runs in this process.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

test: install-test
	$(BIN)/ruff check .
	$(PYTEST) --db sqlite
	$(PYTEST) --db postgres -m "not e2e or every_database"

test-sqlite: install-test
	$(PYTEST) --db sqlite

test-postgres: install-test
	$(PYTEST) --db postgres -m "not e2e or every_database"

# The API fuzzing of the suite at length: FUZZ_EXAMPLES calls per operation, input
# kind and user, with a random seed (FUZZ_SEED=N replays one run; every run prints its seeds).
FUZZ_EXAMPLES ?= 300
FUZZ_SEED ?= random
fuzz: install-test
	PROCURE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) PROCURE_FUZZ_SEED=$(FUZZ_SEED) PROCURE_FUZZ_VERBOSE=1 \
	  $(BIN)/pytest --db sqlite -p no:logging tests/test_api_fuzz.py

# Load with faults: 32 connections for SOAK_SECONDS (300), workers killed, the
# database connections cut; writes the "Load with faults" section of docs/reliability.md.
soak: system-packages $(VENV)/.installed-bench
	SOAK_REPORT=1 $(BIN)/python bench/soak.py

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(TRYTON_VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info

$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $@

# Tryton 8.2's purchase requisition, the workflow benchmark's outside yardstick: a venv
# of its own (trytond pins its own libraries), driven by bench/tryton_worker.py.
TRYTON_VENV := .venv-tryton
$(TRYTON_VENV)/.installed:
	$(PYTHON) -m venv $(TRYTON_VENV)
	$(TRYTON_VENV)/bin/pip install --quiet --upgrade pip
	$(TRYTON_VENV)/bin/pip install --quiet 'trytond>=8.2' 'trytond-purchase-requisition>=8.2'
	touch $@

# Benchmarks: ratios measured in one run (never timed assertions in the tests). The
# HTTP ones need PostgreSQL (BENCH_PG); docs/performance.md says how to tune them.
bench: system-packages system-bench-packages $(VENV)/.installed-bench $(TRYTON_VENV)/.installed
	$(BIN)/python bench/pdf.py
	$(BIN)/python bench/workflow.py
	$(BIN)/python bench/http.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/memory.py
	$(BIN)/python bench/reports.py
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/pagetime.py
