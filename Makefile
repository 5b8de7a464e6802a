# Two commands: `make run` and `make test`. Everything else is set up by them.
# Both are idempotent: the virtual environment is rebuilt only when the lock file changes.
# It is installed from requirements/dev.txt (every package pinned, each file's SHA-256
# required); `make lock` compiles the lock files from pyproject.toml, `make upgrade`
# moves every package to its newest allowed version, `make audit` checks them.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install migrate demo lint format migrations-check deploy-check ci clean messages compilemessages lock upgrade audit image

LOCK := requirements/dev.txt
COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	--no-emit-index-url --no-emit-find-links

$(STAMP): $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (found " + sys.version.split()[0] + ")")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
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

# The lock files, compiled from pyproject.toml's ranges: runtime (the image) and dev
# (make run, make test, CI). Each is stamped with the SHA-256 of the dependencies it
# was compiled from; a test fails when pyproject.toml changed since.
lock: install
	$(COMPILE) -o requirements/runtime.txt pyproject.toml
	$(COMPILE) --extra dev -o requirements/dev.txt pyproject.toml
	$(PY) .ci/lockfile.py stamp

upgrade: install
	$(COMPILE) --upgrade -o requirements/runtime.txt pyproject.toml
	$(COMPILE) --upgrade --extra dev -o requirements/dev.txt pyproject.toml
	$(PY) .ci/lockfile.py stamp

# The production image, labelled with the version and the lock file's SHA-256.
image:
	docker build --build-arg VERSION=$$(git describe --always --dirty) \
		--build-arg LOCK_SHA256=$$(sha256sum requirements/runtime.txt | cut -d' ' -f1) \
		-t institute-cases:latest .

# Exit 0: checked, nothing known; 1: vulnerabilities (listed); 3: not checked (said so).
audit: install
	$(PY) .ci/audit.py

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
