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

.PHONY: install lock run demo test lint pytest system-packages fixtures clean

install: $(STAMP)

# constraints.txt pins every dependency to the versions CI tested, so a fresh clone gets them.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_QUIET) --upgrade pip 2>&1 | { grep -v '^WARNING: Location' || true; }
	$(BIN)/python -m pip install $(PIP_QUIET) -c constraints.txt -e '.[dev,bench,browser]' 2>&1 | { grep -v '^WARNING: Location' || true; }
	$(BIN)/python -c "import rightswatch, prefect, bs4, lxml, diff_match_patch"
	touch $(STAMP)

# After changing dependencies in pyproject.toml: re-resolve, test, then commit constraints.txt.
lock: install
	{ echo "# Versions CI tested; \`make install\` installs with these (pip -c). Regenerate: make lock"; \
	  $(BIN)/python -m pip freeze --exclude-editable --exclude rightswatch; } > constraints.txt

run: install
	$(BIN)/rightswatch check

demo: install
	$(BIN)/rightswatch demo

lint: install
	$(BIN)/ruff format --check src tests flows benchmarks deploy
	$(BIN)/ruff check src tests flows benchmarks deploy
	$(BIN)/python .ci/size_limits.py src flows
	$(BIN)/mypy

# Debian packages the tests drive: Chromium (report tests and `render: browser`, through
# Playwright) and PostgreSQL
# (the production test's Prefect server). Installed once, as root, if missing.
DEBIAN_PACKAGES := $(if $(shell command -v chromium),,chromium) \
                   $(if $(shell command -v pg_createcluster),,postgresql)
system-packages:
	@if [ -n "$(strip $(DEBIAN_PACKAGES))" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages: $(strip $(DEBIAN_PACKAGES))"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PACKAGES) >/dev/null; \
	  else echo "missing Debian packages: run 'sudo apt-get install $(strip $(DEBIAN_PACKAGES))'" >&2; exit 1; fi; fi

pytest: install system-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint pytest

fixtures: install
	$(BIN)/python tests/fixtures/build.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
