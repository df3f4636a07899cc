# research-governance: `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
# What the tests need from the system: Chromium for browser tests, TrueType Japanese
# fonts and Pango for WeasyPrint, gettext for `make messages`.
SYSTEM_PACKAGES := chromium fonts-ipaexfont-gothic fonts-ipaexfont-mincho libpango-1.0-0 libpangoft2-1.0-0 \
	libharfbuzz-subset0 poppler-utils gettext
TEST_ENV := SECRET_KEY=test-secret-key-not-for-production DEBUG=0 \
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/research_governance \
	REDIS_URL=redis://127.0.0.1:6379/15 MEDIA_ROOT=$(CURDIR)/var/test-media \
	SITE_URL=http://testserver
RUN_ENV := DEBUG=1
# Test processes (pytest-xdist): CI has 2 cores; each process has its own test database.
PYTEST_WORKERS ?= 2

.PHONY: run test install install-dev system-packages services translations messages lint format bench clean

run: $(RUNTIME_STAMP) translations
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput -v0
	$(RUN_ENV) $(BIN)/python manage.py seed_demo
	$(RUN_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(DEV_STAMP) system-packages services translations
	$(TEST_ENV) $(BIN)/python manage.py collectstatic --noinput -v0
	$(TEST_ENV) $(BIN)/ruff check .
	$(TEST_ENV) $(BIN)/ruff format --check .
	$(TEST_ENV) $(BIN)/lint-imports
	$(TEST_ENV) $(BIN)/mypy
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run -v0
	$(TEST_ENV) $(BIN)/pytest -n $(PYTEST_WORKERS)

install: $(RUNTIME_STAMP)
install-dev: $(DEV_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(RUNTIME_STAMP) $@

translations: $(RUNTIME_STAMP)
	$(RUN_ENV) $(BIN)/python manage.py compiletranslations -v0

# Installs missing Debian packages when run as root; otherwise says what is missing.
system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			echo "Installing system packages:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "Missing system packages:$$missing (run as root, or: sudo apt-get install$$missing)"; exit 1; \
		fi; \
	fi

# PostgreSQL and Redis on 127.0.0.1; started here when they are installed but down.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -n1) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
		pg_isready -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not reachable on 127.0.0.1:5432"; exit 1; }
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 -::1 \
		--port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
	@for i in $$(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done; \
		redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { echo "Redis is not reachable on 127.0.0.1:6379"; exit 1; }

# The English catalogue is the source strings themselves (msgen would keep stale fuzzy matches).
define ENGLISH_CATALOGUE
import polib
po = polib.pofile("locale/en/LC_MESSAGES/django.po")
for e in po:
    e.msgstr = e.msgid
    if e.msgid_plural:
        e.msgstr_plural = {0: e.msgid, 1: e.msgid_plural}
    e.flags = [f for f in e.flags if f != "fuzzy"]
    e.previous_msgid = e.previous_msgid_plural = None
po.metadata_is_fuzzy = False
po.save()
endef
export ENGLISH_CATALOGUE

# Refresh the catalogues after changing user-facing strings (needs GNU gettext). The
# English catalogue repeats the English source strings; translate new "ja" entries by hand.
messages: $(DEV_STAMP)
	$(RUN_ENV) $(BIN)/python manage.py makemessages -l ja -l en --no-location \
		--ignore=.venv --ignore=bench --ignore=var --ignore=tests --ignore=docker
	for lang in ja en; do msgattrib --no-obsolete -o locale/$$lang/LC_MESSAGES/django.po locale/$$lang/LC_MESSAGES/django.po; done
	$(BIN)/python -c "$$ENGLISH_CATALOGUE"
	@msgattrib --only-fuzzy locale/ja/LC_MESSAGES/django.po | grep -c '^msgid' >/dev/null && echo "Translate the fuzzy/new entries in locale/ja/LC_MESSAGES/django.po" || true

lint: $(DEV_STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports && $(BIN)/mypy

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

bench: $(DEV_STAMP) services
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var db.sqlite3
