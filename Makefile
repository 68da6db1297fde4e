# Two commands do all the set-up on a fresh clone: `make book` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.aacr-installed
# Python writes each module's bytecode into .venv when it is first imported, even where the
# shell sets PYTHONDONTWRITEBYTECODE: the install compiles none of the 20,000 files (the book
# imports about a quarter of them), and without cached bytecode every kernel and worker would
# compile torch and transformers again (`scripts/install_env.py --compile-bytecode`: all now).
export PYTHONDONTWRITEBYTECODE :=

.PHONY: setup book test lint format demo lab clean

# uv when it can be had (with pip's configuration passed on), plain pip otherwise; the stamp
# says which ran. `AACR_INSTALLER=pip make setup` forces pip.
$(STAMP): pyproject.toml scripts/install_env.py
	$(PYTHON) scripts/install_env.py --venv $(VENV) --extras dev

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

## JupyterLab on the project's environment (open notebooks/; `LAB_ARGS="--port 9999"` to pass options).
## As root (containers, CI) Jupyter refuses to start without --allow-root.
lab: setup
	$(BIN)/jupyter lab notebooks $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

## Only the demo dataset (data/clothomix).
demo: setup
	$(BIN)/aacr data demo

clean:
	rm -rf _build
