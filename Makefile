# Two commands on a fresh machine with python3 and make: `make run` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench docs history browser clean juju-report

# The site tests open the built site in a real headless Chromium (Debian's package).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

run: $(STAMP)
	$(VENV)/bin/actionspec run --target all

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests
	$(VENV)/bin/mypy

test: lint browser
	$(VENV)/bin/pytest

browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo 'installing chromium for the site tests (apt-get install chromium)'; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Execute the notebooks that changed, refresh the matrix, and build the site into site/.
docs: $(STAMP)
	$(VENV)/bin/actionspec docs

# The suite across releases of ops, Harness and Scenario, each in a virtual environment
# built from PyPI on first use and cached after ($$ACTIONSPEC_ENVS, else ~/.cache/actionspec/envs).
history: $(STAMP)
	$(VENV)/bin/actionspec matrix --history --json docs/assets/release-history.json

bench: $(STAMP)
	$(VENV)/bin/actionspec bench --json docs/assets/bench.json

clean:
	rm -rf $(VENV) build dist site .cache src/*.egg-info

# The juju target through a box on this machine: the matrix's `juju` column.
juju-report: $(STAMP)
	$(VENV)/bin/actionspec box -- $(VENV)/bin/actionspec run --target juju \
		--report docs/assets/reports/juju-box.json
