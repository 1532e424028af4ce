# Two entry points: `make demo` and `make test`. Both set up everything they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test setup clean

demo: setup
	$(BIN)/python manage.py demo

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

setup: $(STAMP) node_modules/.package-lock.json

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

clean:
	rm -rf $(VENV) node_modules var staticfiles
