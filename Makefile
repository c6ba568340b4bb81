# Two commands on a fresh machine: `make run` and `make test`.
# The distribution's python3.11 when it can make a virtual environment (Debian builds it with
# PGO and LTO: smsgate's hot paths run about 1.4x faster than on a plain source build), else
# python3. Override with `make PYTHON=...`.
PYTHON ?= $(shell for p in /usr/bin/python3.11 python3; do \
	$$p -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit kannel browser bench fuzz clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "make: no Python 3.11 or newer with venv found" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/smsgate serve

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(STAMP)
	$(BIN)/mypy

# pytest exits 5 when it collected nothing: that is neither a pass nor a test failure.
# Three workers: most tests wait on sockets and timers rather than the CPU, so even two cores
# run three at once in well under half the time; the tests that must not crowd each other
# share one worker (tests/conftest.py). TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 3
unit: $(STAMP) kannel browser
	@$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests, refusing to call that a pass" >&2; fi; \
	exit $$rc

# Kannel is a real SMPP client for the interop tests: installed where missing and possible (root
# with apt-get); where not, those tests say why they are skipped (and fail under CI=true).
kannel:
	@if ! command -v bearerbox >/dev/null 2>&1 && [ ! -x /usr/sbin/bearerbox ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get -y -qq install kannel >/dev/null 2>&1 || \
	    { apt-get -qq update >/dev/null 2>&1 && apt-get -y -qq install kannel >/dev/null 2>&1; } || \
	    echo "make: apt-get could not install Kannel; its interop tests will be skipped" >&2; \
	  else \
	    echo "make: Kannel is missing and needs root with apt-get to install; its interop tests will be skipped" >&2; \
	  fi; \
	fi

# Chromium and its driver run the console's browser tests (Selenium, headless): installed like
# Kannel where missing and possible; where not, those tests say why they are skipped (and fail
# under CI=true).
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get -y -qq install chromium chromium-driver >/dev/null 2>&1 || \
	    { apt-get -qq update >/dev/null 2>&1 && apt-get -y -qq install chromium chromium-driver >/dev/null 2>&1; } || \
	    echo "make: apt-get could not install Chromium; the console's browser tests will be skipped" >&2; \
	  else \
	    echo "make: Chromium is missing and needs root with apt-get to install; the console's browser tests will be skipped" >&2; \
	  fi; \
	fi

bench: $(STAMP)
	$(BIN)/smsgate bench codec

fuzz: $(STAMP)
	$(BIN)/smsgate bench fuzz --count 1000000

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
