# edgefleet: `make run` and `make test` do all set-up on a fresh Debian machine (as root, or with sudo).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Build tools and OpenSSL for the native module, PostgreSQL for the tests, swtpm + tpm2-tools + TSS for
# real-TPM tests, wrk for the load benchmark, node/npm for the console's libraries, chromium and its
# driver for the console's browser tests. A package also counts as present when a command of its name is
# (NodeSource's nodejs package brings its own npm and conflicts with Debian's).
APT_PACKAGES := build-essential pkg-config libssl-dev libffi-dev postgresql swtpm swtpm-tools tpm2-tools \
                libtss2-dev wrk redis-server nodejs npm chromium chromium-driver
# The console's libraries, pinned in package-lock.json: npm ci, then only the minified files the server
# serves are copied next to the console's own modules (a gitignored directory).
CONSOLE_VENDOR := entrypoints/console/vendor
CONSOLE_FILES := node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css
SOURCES := pyproject.toml setup.py native/build.py $(wildcard native/src/*.c native/src/*.h)

.PHONY: run test lint deps fuzz sanitize bench clean

run: $(VENV)/.installed
	$(BIN)/edgefleet db upgrade
	$(BIN)/edgefleet demo seed
	$(BIN)/edgefleet demo run --host $(HOST) --port $(PORT) --devices 50

test: lint
	EDGEFLEET_REQUIRE_POSTGRES=1 EDGEFLEET_REQUIRE_SWTPM=1 EDGEFLEET_REQUIRE_BROWSER=1 $(BIN)/pytest

# Lint, layout and types (strict on domain/ and ports/, see [tool.mypy]); seconds with mypy's cache.
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	$(PYTHON) -c 'import venv, ensurepip' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	$(PYTHON) -c 'import os, sysconfig; assert os.path.exists(sysconfig.get_paths()["include"] + "/Python.h")' \
	  >/dev/null 2>&1 || missing="$$missing python3-dev"; \
	if [ -n "$$missing" ]; then \
	  echo "== installing Debian packages:$$missing"; \
	  sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(CONSOLE_VENDOR)/.copied: package.json package-lock.json | deps
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(CONSOLE_VENDOR)
	cp $(CONSOLE_FILES) $(CONSOLE_VENDOR)/
	touch $@

$(VENV)/.installed: $(SOURCES) $(CONSOLE_VENDOR)/.copied | deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	$(BIN)/pip install -q -e '.[server,agent,test]'
	touch $@

fuzz: $(VENV)/.installed
	native/tools/fuzz.sh

sanitize: $(VENV)/.installed
	native/tools/sanitize.sh

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) node_modules $(CONSOLE_VENDOR) build *.egg-info native/_edgefleet_native.* .hypothesis .mypy_cache
