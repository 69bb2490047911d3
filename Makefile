# riskregistry: `make run` serves the app with a demo portfolio, `make test` runs the whole suite.
# Everything installs into .venv in the repo root; system packages (Chromium for browser tests, Graphviz)
# are installed with apt-get when missing and we are root.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
PORT ?= 8000
HUB_PORT ?= 8765
# The suite runs on every core (pytest-xdist, a test database per process); PYTEST_PARALLEL= runs it in one.
PYTEST_PARALLEL ?= --numprocesses=auto --dist=worksteal

# Under CI the suite runs on the real services the machine provides.
ifeq ($(CI),true)
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
export RISKREGISTRY_TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
endif

.PHONY: install system-deps run demo-lineage serve test lint format bench clean

$(STAMP): pyproject.toml
	@# A .venv that is not a working environment (a copied folder, a dangling link) is made anew.
	test -x $(BIN)/python || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests need: Chromium (Playwright drives it; its own browser download is not used),
# Graphviz (lineage diagrams), a CJK font for names such as 杭州深度求索 in PDFs, and poppler-utils (PDF pages
# as images). Installed only when missing, and only where we may (root with apt-get).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v dot >/dev/null || missing="$$missing graphviz"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	fc-list 2>/dev/null | grep -qi wqy || missing="$$missing fonts-wqy-microhei"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "Missing system packages:$$missing (install them to run every test)"; \
	  fi; \
	fi

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_knowledge
	$(BIN)/python manage.py load_demo --with-users
	@$(MAKE) --no-print-directory demo-lineage
	@$(MAKE) --no-print-directory serve

# Resolves the demo portfolio's lineage once, against the local demo hub (or HF_ENDPOINT when you set it).
demo-lineage: install
	@if [ -n "$$HF_ENDPOINT" ]; then \
	  $(BIN)/python manage.py refresh_lineage --all; \
	else \
	  $(BIN)/python -m tests.fakehub --port $(HUB_PORT) >/dev/null 2>&1 & hub=$$!; \
	  trap "kill $$hub 2>/dev/null" EXIT; \
	  HF_ENDPOINT=http://127.0.0.1:$(HUB_PORT) $(BIN)/python manage.py refresh_lineage --all; \
	fi

# Serves the web app and the demo's local model hub; with REDIS_URL set, also a Celery worker and beat.
serve: install
	@echo ""
	@echo "  riskregistry is starting at http://127.0.0.1:$(PORT)/"
	@echo "  Sign in as analyst / riskregistry-demo (admin / riskregistry-demo for the admin role, viewer / riskregistry-demo read-only)"
	@echo "  Model hub: $${HF_ENDPOINT:-the local demo hub at http://127.0.0.1:$(HUB_PORT)}"
	@echo ""
	PATH="$(CURDIR)/$(BIN):$$PATH" PORT=$(PORT) HUB_PORT=$(HUB_PORT) HF_ENDPOINT=$${HF_ENDPOINT:-http://127.0.0.1:$(HUB_PORT)} \
	  $(BIN)/honcho start -f $(if $(REDIS_URL),docker/Procfile,docker/Procfile.embedded)

test: install system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	env -u REDIS_URL $(BIN)/python -m pytest $(PYTEST_PARALLEL)
	@# With DATABASE_URL on PostgreSQL (CI), the suite runs again on the embedded default that `make run` gives
	@# every new user: SQLite, tasks in-process: the tests that use the database. Left out: those that need
	@# PostgreSQL, the `make run` smoke test (which already used SQLite, driving the demo end to end), the browser
	@# tests, whose pages and forms the SQLite pass already runs through Django's test client without a browser,
	@# and the tests that use no database (pure functions, the fake hub), whose answer the first pass gave.
	@if [[ -n "$$DATABASE_URL" && "$$DATABASE_URL" != sqlite* ]]; then \
	  echo "The suite again on the embedded default (SQLite):"; \
	  env -u DATABASE_URL -u REDIS_URL $(BIN)/python -m pytest $(PYTEST_PARALLEL) -m "database and not postgres and not smoke and not browser" -p no:cacheprovider; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
