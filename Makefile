# Every target makes its own virtualenv in .venv, so a machine with only
# python3 can run them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := build/demo

.PHONY: demo test systemd mosquitto test-matrix test-reliability test-resources test-hostile postgres ab bench bench-growth clean

# The db feature's tests start a private PostgreSQL server; Debian's package
# provides initdb and pg_ctl.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## demo: install flaskproto, create a demo service, install it and serve it on 127.0.0.1:8000
demo: $(VENV)/.installed-test
	rm -rf $(DEMO_DIR)
	$(BIN)/flaskproto new "Demo Service" --output-dir $(DEMO_DIR) --no-input
	$(BIN)/python -m pip install --quiet -e '$(DEMO_DIR)/demo-service[test]'
	cd $(DEMO_DIR)/demo-service && ../../../$(BIN)/python -m pytest -q
	@echo "Serving on http://127.0.0.1:8000 (Ctrl-C to stop)"
	cd $(DEMO_DIR)/demo-service && FLASK_SECRET_KEY="$$(../../../$(BIN)/python -c 'import secrets; print(secrets.token_hex(32))')" ../../../$(BIN)/gunicorn --config gunicorn.conf.py 'demo_service:create_app()'

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

## test: install flaskproto with its test extras and run the whole suite but the reliability tests
test: $(VENV)/.installed-test postgres systemd mosquitto
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -m "not reliability"

## test-reliability: serve representative generated services with gunicorn and try load, faults and schemathesis
test-reliability: $(VENV)/.installed-test postgres ab
	$(BIN)/python -m pytest -m reliability

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

clean:
	rm -rf $(VENV) build
