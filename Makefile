# Two commands: `make run` and `make test`. Everything else is set up by them.
# Both are idempotent: the virtual environment is rebuilt only when pyproject.toml changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install migrate demo lint format migrations-check deploy-check ci clean messages compilemessages

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (found " + sys.version.split()[0] + ")")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo_data

run: demo
	@echo "Serving on http://$(HOST):$(PORT)/  (staff login: http://$(HOST):$(PORT)/staff/login/)"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

# The production settings must pass Django's deployment checklist with no warning.
deploy-check: install
	DJANGO_ENV=production DEBUG=false ALLOWED_HOSTS=cases.example.org EMAIL_HOST=smtp.example.org \
	DISCREET_FROM_EMAIL=no-reply@mail-desk.example.org TRUSTED_PROXY_HOPS=1 \
	SECRET_KEY=deploy-check-$$(printf '%064d' 0) \
	FIELD_ENCRYPTION_KEYS=$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') \
	RECEIPT_HASH_KEY=deploy-check-receipt-key-$$(printf '%032d' 0) \
	$(PY) manage.py check --deploy --fail-level WARNING

ci: lint migrations-check deploy-check test

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles

# Translations: `make messages` refreshes the catalogues from the code (then translate
# what is new), `make compilemessages` builds the .mo files, which are committed.
MESSAGES_IGNORE := --ignore='.venv/*' --ignore='tests/*' --ignore='bench/*' --ignore='*.egg-info/*' --ignore='staticfiles/*'

messages: install
	$(PY) manage.py makemessages -l nl -l fr -l de -l en --no-obsolete --add-location=file $(MESSAGES_IGNORE)
	# English is the source language: its entries are their own msgid.
	msgattrib --clear-fuzzy --empty -o locale/en/LC_MESSAGES/django.po locale/en/LC_MESSAGES/django.po
	msgen -o locale/en/LC_MESSAGES/django.po locale/en/LC_MESSAGES/django.po

compilemessages: install
	$(PY) manage.py compilemessages --ignore='.venv/*'
