# Two commands do all the set-up on a fresh machine (see README):
#   make demo   installs everything, builds the index and answers a sample question
#   make test   installs everything and runs the full test suite (what CI runs)
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
QUESTION ?= Who denied involvement in the attack?

.PHONY: install demo test test-fast lint bench eval clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# torch first: 2.13.0 is a local CPU build; anything else pulls CUDA wheels.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/newsdesk index build
	$(BIN)/newsdesk index status
	$(BIN)/newsdesk ask "$(QUESTION)"

test: install
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

eval: install
	$(BIN)/newsdesk eval

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) .newsdesk .pytest_cache .mypy_cache .ruff_cache
