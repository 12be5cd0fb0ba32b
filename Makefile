# Every target sets itself up: a fresh machine needs only Python 3.11 and pip.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SHELL := /bin/bash
# Some machines' pip configuration names index folders that do not exist; pip warns once
# per package about them. Keep real errors, drop that noise, keep pip's exit code.
QUIET_PIP := 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }; exit $${PIPESTATUS[0]}

ARGS ?= --help

.PHONY: venv browser lab demo test test-unit test-lab test-e2e lint lint-python lint-ansible sanity docs docs-tables build bench clean

$(STAMP): requirements.txt lab/pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt $(QUIET_PIP)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e ./lab $(QUIET_PIP)
	touch $(STAMP)

venv: $(STAMP)
	@$(PY) tools/link_collection.py >/dev/null

# The lab's command line from any shell, no venv to activate (docs/lab.md), e.g.
#   make lab ARGS='start --hosts 3 --inventory lab.ini'    make lab ARGS=stop
# Paths in ARGS are relative to this directory; the run directory defaults to ./.lab.
lab: venv
	@$(PY) -m winra_lab $(ARGS)

# The main job: a lab fleet, audit, converge, audit again, report.
demo: venv
	$(PY) tools/demo.py

# The headless Chromium of the HTML report tests: installed with apt-get when root.
browser: venv
	@$(PY) tools/ensure_browser.py

# All tests. pytest's exit code 5 (no test collected) is a broken setup, not a pass.
test: venv browser
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: the test setup is broken"; exit 1; fi; \
	  exit $$rc

test-unit: venv
	$(PY) -m pytest tests/unit tests/contract $(PYTEST_ARGS)

test-lab: venv
	$(PY) -m pytest tests/lab -m "not slow" $(PYTEST_ARGS)

test-e2e: venv
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

# Counts that do not vary from run to run (round trips, bytes, registry writes), ours vs
# one win_regedit task per value; wall time as secondary information. BENCH_ARGS=--quick.
bench: venv
	$(PY) bench/run.py $(BENCH_ARGS)

# Lint: each part has its own target, so a developer can run one.
lint: lint-python lint-ansible sanity

lint-python: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

lint-ansible: venv
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/ansible-lint --profile production

# ansible-test sanity on exactly what the artifact ships (tools/sanity.py).
sanity: venv
	$(PY) tools/sanity.py

# Docs lint and the static site in docs/site/ (git-ignored).
docs: venv
	$(PY) tools/build_docs.py

# Rewrite the docs' generated tables from the code that defines their facts (tools/docs_tables.py).
docs-tables: venv
	$(PY) tools/docs_tables.py

# The Galaxy artifact in dist/, checked against tests/packaging/expected-artifact-files.txt.
build: venv
	$(PY) tools/build_and_check.py

clean:
	rm -rf $(VENV) collections build dist .pytest_cache .ruff_cache .lab reports .cache
