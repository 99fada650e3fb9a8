# SupportDesk: `make run` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= $(shell command -v python3.11 || command -v python3)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: venv run test lint fmt migrate seed clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

migrate: venv
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo --if-empty

## Install, migrate, seed demo data once, then run the web server (daphne) and the worker (qcluster); Ctrl-C stops both.
run: seed
	@echo
	@echo "  SupportDesk is starting at http://$(HOST):$(PORT)/"
	@echo "  Log in as agent / agent (or admin / admin for /admin/)."
	@echo
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) manage.py qcluster & \
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) config.asgi:application & \
	wait

## Install and run the whole suite (CI runs this against PostgreSQL and Redis).
test: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run --settings=config.settings.test
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

fmt: venv
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var/db.sqlite3* var/staticfiles
