# Two entry points do all set-up on a fresh machine:
#   make run    the main job on the embedded default (config/rightswatch.yaml, console digest)
#   make test   lint, type-check and the whole test suite
# Both create .venv and install the project into it on first use.

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PIP_QUIET := --quiet --disable-pip-version-check --no-warn-script-location

.PHONY: install run demo test lint pytest browser fixtures clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_QUIET) --upgrade pip 2>&1 | { grep -v '^WARNING: Location' || true; }
	$(BIN)/python -m pip install $(PIP_QUIET) -e '.[dev,bench]' 2>&1 | { grep -v '^WARNING: Location' || true; }
	$(BIN)/python -c "import rightswatch, prefect, bs4, lxml, diff_match_patch"
	touch $(STAMP)

run: install
	$(BIN)/rightswatch check

demo: install
	$(BIN)/rightswatch demo

lint: install
	$(BIN)/ruff check src tests flows benchmarks
	$(BIN)/mypy

# The report tests drive Debian's Chromium (headless) through Playwright.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: run 'sudo apt-get install chromium'" >&2; exit 1; fi; }

pytest: install browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint pytest

fixtures: install
	$(BIN)/python tests/fixtures/build.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
