# SupportDesk: `make run` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
# The newest Python 3.11 or later found: python3.13, python3.12, python3.11, then python3 if it is recent enough.
PYTHON ?= $(shell for candidate in python3.13 python3.12 python3.11 python3; do \
	"$$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { command -v "$$candidate"; break; }; \
	done)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# `make test` spreads the suite over one pytest-xdist worker per core (each with its own test database and Redis
# database), a test file per worker at a time, in two passes: the tests that commit for real empty every table when
# they end, so they run after the others (tests/conftest.py marks them); PYTEST_WORKERS=0 runs each pass in one
# process. Exit status 5 is a pass that selected no test.
PYTEST_WORKERS ?= auto
# migrate, seed and run use the development settings (DEBUG on, the simulator, this install's own secret key);
# manage.py, daphne and gunicorn default to config.settings.production.
SETTINGS ?= config.settings.local
LOCAL := DJANGO_SETTINGS_MODULE=$(SETTINGS)

# `make run` wires the bundled WhatsApp simulator unless you point these elsewhere (e.g. at Meta).
RUN_ENV = WHATSAPP_GRAPH_URL=$${WHATSAPP_GRAPH_URL:-http://$(HOST):$(PORT)/simulator/graph/v23.0} \
	WHATSAPP_APP_SECRET=$${WHATSAPP_APP_SECRET:-demo-app-secret} \
	WHATSAPP_VERIFY_TOKEN=$${WHATSAPP_VERIFY_TOKEN:-demo-verify-token} \
	WHATSAPP_SIMULATOR_WEBHOOK_URL=$${WHATSAPP_SIMULATOR_WEBHOOK_URL:-http://$(HOST):$(PORT)/whatsapp/webhook/} \
	SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)}

.PHONY: venv run test lint fmt migrate seed clean messages

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || test -n "$(PYTHON)" || { \
		echo "SupportDesk needs Python 3.11, 3.12 or 3.13: none of python3.13, python3.12, python3.11 or python3 on PATH is one." >&2; \
		echo "Install one (e.g. apt-get install python3, or from python.org), or name it: make run PYTHON=/path/to/python3.12" >&2; \
		exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

migrate: venv
	$(LOCAL) $(PY) manage.py migrate --noinput

seed: migrate
	$(LOCAL) $(PY) manage.py seed_demo --if-empty
	$(LOCAL) $(PY) manage.py seed_whatsapp_demo

## Install, migrate, seed demo data once, then run the web server (daphne) and the worker (qcluster); Ctrl-C (or TERM
## to make) stops both within 5 s, quietly (config/run.py). Settings: config.settings.local (DEBUG is true); without
## SECRET_KEY the first command makes this install's random key in var/secret_key (config/env.py). Without REDIS_URL the worker finds daphne by itself.
run: seed
	@echo
	@echo "  SupportDesk is starting at http://$(HOST):$(PORT)/"
	@echo "  Log in as agent / agent (or admin / admin for /admin/ and the simulator)."
	@echo "  WhatsApp simulator (the customer's phone, admins only): http://$(HOST):$(PORT)/simulator/"
	@echo
	@export $(LOCAL) $(RUN_ENV); exec $(PY) config/run.py --host $(HOST) --port $(PORT)

## Install and run the whole suite (CI runs this against PostgreSQL and Redis).
test: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run --settings=config.settings.test
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile -m "not transactional" $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile -m transactional $(PYTEST_ARGS) || [ $$? -eq 5 ]

lint: venv
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

fmt: venv
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var/db.sqlite3* var/staticfiles

## Benchmarks against the local PostgreSQL + Redis (bench/README.md); each appends a dated section to docs/BENCHMARKS.md.
## One script alone: `make bench BENCH=ingest` (ingest, pages, banners, rules, faults); extra flags in BENCH_ARGS.
BENCH ?= ingest pages banners rules faults
BENCH_ARGS ?=

.PHONY: bench scaleout bench-deps

bench-deps: venv
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	@command -v nginx >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null) || \
		echo "nginx not installed: bench/ingest.py measures gunicorn directly"

bench: bench-deps
	@for script in $(BENCH); do \
		echo "== bench/$$script.py $(BENCH_ARGS)"; \
		$(PY) bench/$$script.py $(BENCH_ARGS) || exit 1; \
	done

## 2 daphne + 2 qcluster on PostgreSQL + Redis: banners fan out, nothing is processed twice (docs/operations.md).
scaleout: bench-deps
	$(PY) bench/scaleout.py

## Update the translation catalogues from the source, then compile them (needs GNU gettext: apt-get install gettext).
## Translate the new entries in locale/<lang>/LC_MESSAGES/*.po and run it again; docs/i18n.md has the details.
MESSAGES_IGNORE := --ignore=.venv --ignore=tests --ignore=bench --ignore=var --ignore=docs --ignore=static/vendor
messages: venv
	$(LOCAL) $(PY) manage.py makemessages --all --no-obsolete --add-location=file $(MESSAGES_IGNORE)
	$(LOCAL) $(PY) manage.py makemessages --all --no-obsolete --add-location=file -d djangojs $(MESSAGES_IGNORE)
	$(LOCAL) $(PY) manage.py compilemessages --ignore=.venv
