# Hayek — every target does its own idempotent, pinned setup on a fresh machine.
SHELL := /bin/bash
PY_BOOT ?= python3
VENV := .venv
PY := $(VENV)/bin/python
APE := $(VENV)/bin/ape
export APE_DATA_FOLDER := $(CURDIR)/.build/ape
export SOLCX_BINARY_PATH := $(CURDIR)/.build/solcx
export PATH := $(CURDIR)/node_modules/@foundry-rs/anvil-linux-amd64/bin:$(CURDIR)/$(VENV)/bin:$(PATH)
SOLC_VERSION := 0.8.37

.PHONY: setup compile lint test unit integration demo bench clean
setup: $(VENV)/.installed node_modules/.installed $(SOLCX_BINARY_PATH)/solc-v$(SOLC_VERSION)

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(PY) || $(PY_BOOT) -m venv $(VENV)
	# requirements.lock pins every package (pip freeze of a working set); install it as is,
	# without re-resolving: eth-ape 0.8.51 declares packaging<24 while flwr 1.41 needs >=24,
	# and ape runs fine with packaging 25 (ape compile and its scripts are what we use).
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	# slither's solc-select drops a `solc` wrapper in the venv's bin (on PATH below) that tries
	# to download compilers and hangs offline; slither and ape use the solc-js launcher instead.
	rm -f $(VENV)/bin/solc
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# py-solc-x (ape-solidity) wants a native solc; give it a launcher around solc-js.
$(SOLCX_BINARY_PATH)/solc-v$(SOLC_VERSION): scripts/toolchain/solc.js
	mkdir -p $(SOLCX_BINARY_PATH)
	ln -sf $(CURDIR)/scripts/toolchain/solc.js $@

SOLIDITY := $(shell find contracts -name '*.sol' -not -path '*/.cache/*')
compile: setup .build/__local__.json
# ape does not rebuild dependants when only a library changes: rebuild everything.
.build/__local__.json: $(SOLIDITY) ape-config.yaml
	$(APE) compile --force
	touch $@

# Style and structure gates (CONTRIBUTING.md): ruff (lint + format), mypy on protocol/,
# the import-linter layers contract, slither on contracts/ (findings triaged in
# contracts/SLITHER.md and slither.config.json).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache
	bash scripts/slither.sh

# The suite starts its own anvil devnet (tests/conftest.py); ape's pytest plugin is not needed.
PYTEST := $(PY) -m pytest -p no:ape_test -p no:cacheprovider

unit: setup
	$(PYTEST) -m unit -q

integration: compile
	$(PYTEST) -m integration -q

test: compile
	$(PYTEST) -q tests

demo: compile
	$(VENV)/bin/hayek demo

bench: compile
	$(PY) scripts/bench.py
	$(PY) scripts/bench_zk.py
	$(PY) scripts/bench_fl.py
	$(PY) scripts/bench_round.py
	$(PY) scripts/sim_market.py
	$(PY) scripts/bench_market.py
	$(PY) scripts/bench_pool.py

clean:
	rm -rf .build contracts/.cache .pytest_cache
