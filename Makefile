# Two commands do all the set-up on a fresh clone: `make book` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.aacr-installed

.PHONY: setup book test lint format demo clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

## Install everything into .venv (created when missing).
setup: $(STAMP)

## The main job: build ClothoMix, run every notebook on the demo profile, build _build/html.
book: setup
	$(BIN)/aacr book --profile demo

## ruff (lint + format check), the import contract (layers, no cycles) and the test suite.
test: setup lint
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Only the demo dataset (data/clothomix).
demo: setup
	$(BIN)/aacr data demo

clean:
	rm -rf _build
