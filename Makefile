# HuCares backend. `make run` serves the whole app; `make test` runs the suite.
SHELL := /bin/bash
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

# The test suite talks to the real services on localhost; each can be overridden.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/hucares
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1

# The hashed lock of every runtime dependency, transitive ones included
# (requirements.txt stays the hand-edited input). Index and find-links lines
# of this machine's pip configuration stay out of it.
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
# Application code scanned by bandit (tests and migrations excluded in pyproject.toml).
APP_DIRS := accounts analytics checkins groups hucares notifications streams realtime

.PHONY: install run serve test test-setup test-embedded lint typecheck schema openapi asyncapi client-tools clients web-check web-quality frame-types check clean lock lock-check bandit loadtest migrations-check migrations-release deploy rollback k8s-validate audit

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	scripts/run.sh

serve: install
	scripts/serve.sh

# PostgreSQL and Redis started, the Debian tools the tests drive installed
# (as root), or the one command that fixes it (scripts/test_setup.sh).
test-setup:
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) scripts/test_setup.sh

test: install test-setup
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/pytest --cov --cov-report=term $(PYTEST_ARGS)

# The suite again on the embedded layout `make run` uses with no environment
# (SQLite, in-memory channel layer, local-memory cache, inline tasks), without
# the tests about PostgreSQL or Redis themselves (marker services_only).
test-embedded: install
	TEST_SETUP_SERVICES=no scripts/test_setup.sh
	$(BIN)/pytest --ds=hucares.settings.embedded_test \
		-m "not services_only" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy .

schema: install
	DJANGO_SETTINGS_MODULE=hucares.settings.test $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

# The browser client (web/): the SDK's frame types (web/static/web/sdk/frames.d.ts) generated again
# from docs/asyncapi.yaml and compared with the committed ones, types generated from the committed
# OpenAPI schema (docs/openapi.yaml), `tsc --strict --checkJs` over the modules, the SDK's unit
# tests, and the vendored modules compared with the locked packages. Needs Node and npm;
# `make run` does not.
web-check:
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@tmp=$$(mktemp); (cd web && node scripts/frame-types.mjs ../docs/asyncapi.yaml) > "$$tmp"; \
	if diff -u web/static/web/sdk/frames.d.ts "$$tmp"; then rm -f "$$tmp"; \
	else rm -f "$$tmp"; echo "web/static/web/sdk/frames.d.ts is stale: run make frame-types" >&2; exit 1; fi
	cd web && npx openapi-typescript ../docs/openapi.yaml -o types/api.d.ts --silent
	cd web && npx tsc -p jsconfig.json
	cd web && node --test test/*.test.js
	cmp web/node_modules/openapi-fetch/dist/index.mjs web/static/web/vendor/openapi-fetch/index.mjs
	cmp web/node_modules/openapi-fetch/dist/index.d.mts web/static/web/vendor/openapi-fetch/index.d.mts

# Regenerate the SDK's frame types after a change of docs/asyncapi.yaml; commit the diff.
frame-types:
	(cd web && node scripts/frame-types.mjs ../docs/asyncapi.yaml) > web/static/web/sdk/frame-types.tmp
	mv web/static/web/sdk/frame-types.tmp web/static/web/sdk/frames.d.ts

# The client's measured quality (docs/web.md): axe and a 360 px overflow check on
# every screen, screenshots to artifacts/screens/, installability, Lighthouse.
# Its tools (web/quality/, pinned) stay out of web-check's install.
web-quality: install
	cd web/quality && npm ci --no-audit --no-fund --loglevel=error
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/pytest -q -p no:randomly web/tests/quality_check.py

lock: install
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile $(LOCK_FLAGS) --output-file=requirements.lock requirements.txt

# Fails when requirements.lock does not match requirements.txt: the lock is
# compiled again from its own pins into a copy and compared.
lock-check: install
	@tmp=$$(mktemp -d); cp requirements.lock "$$tmp/requirements.lock"; \
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile $(LOCK_FLAGS) --output-file="$$tmp/requirements.lock" requirements.txt; \
	if diff -u requirements.lock "$$tmp/requirements.lock"; then rm -rf "$$tmp"; \
	else rm -rf "$$tmp"; echo "requirements.lock is out of date: run make lock" >&2; exit 1; fi

# Client generators, each in its own environment from pinned versions: not the app's dependencies.
CLIENTS_VENV := .venv-clients
$(CLIENTS_VENV)/.installed: tools/clients/requirements.txt
	$(PY) -m venv $(CLIENTS_VENV)
	$(CLIENTS_VENV)/bin/pip install --quiet -r tools/clients/requirements.txt
	touch $@

tools/clients/node_modules/.installed: tools/clients/package.json tools/clients/package-lock.json
	cd tools/clients && npm ci --no-audit --no-fund --loglevel=error
	touch $@

client-tools: $(CLIENTS_VENV)/.installed tools/clients/node_modules/.installed

# The WebSocket protocol document against the official AsyncAPI 3.0 JSON schema (npm @asyncapi/specs, pinned).
asyncapi: install client-tools
	$(BIN)/check-jsonschema --schemafile tools/clients/node_modules/@asyncapi/specs/schemas/3.0.0.json docs/asyncapi.yaml

# Generate the Python client and the TypeScript types from the served schema; run the journey and tsc --strict.
clients: install client-tools
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) CLIENT_TOOLS_REQUIRED=1 \
		$(BIN)/pytest -q tests/test_generated_clients.py $(PYTEST_ARGS)

# The committed schema (docs/openapi.yaml): regenerate after an API change and commit the diff.
openapi: install
	DJANGO_SETTINGS_MODULE=hucares.settings.test $(BIN)/python manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml

# Expand/contract: an unreleased migration with an unmarked contract step fails (docs/operations.md, "Migrations").
migrations-check: install
	DJANGO_SETTINGS_MODULE=hucares.settings.test $(BIN)/python manage.py check_migrations

# At a release: every current migration joins deploy/released_migrations.txt (commit it with the tag).
migrations-release: install
	DJANGO_SETTINGS_MODULE=hucares.settings.test $(BIN)/python manage.py check_migrations --record

# Kubernetes (deploy/k8s/, docs/operations.md "Deploy" and "Rollback"):
# `make deploy ENV=staging IMAGE=ghcr.io/<owner>/hucares:<sha>`, `make rollback ENV=production [IMAGE=...]`.
deploy:
	scripts/deploy_k8s.sh $(ENV) $(IMAGE)

rollback:
	scripts/rollback.sh $(ENV) $(IMAGE)

k8s-validate: install
	scripts/k8s_validate.sh

# Known vulnerabilities in requirements.lock (pip-audit) and the npm lock files (npm audit).
audit: install
	scripts/audit_deps.sh

bandit: install
	$(BIN)/bandit -c pyproject.toml -q -r $(APP_DIRS) --severity-level medium

check: lint typecheck schema bandit web-check test

clean:
	rm -rf $(VENV) staticfiles .coverage htmlcov web/node_modules web/quality/node_modules web/types artifacts

# The seed-scale load test (loadtest/seed.py) against `make serve` (needs DATABASE_URL and REDIS_URL, or TARGET);
# PEAK_RATE, DURATION, USERS and GROUP_SIZE are in scripts/loadtest.sh.
loadtest: install
	scripts/loadtest.sh
