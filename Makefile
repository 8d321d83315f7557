# Two commands do all the set-up on a fresh machine (see README):
#   make demo   installs everything, builds the index and answers a sample question
#   make test   installs everything and runs the full test suite (what CI runs, after `make lint`)
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
QUESTION ?= Who denied involvement in the attack?

# torch: the CPU wheel from PyTorch's CPU index (PyPI's torch==2.13.0 pulls ~3 GB of CUDA packages).
# Used when that index answers; where it does not (an offline mirror, a proxy that only serves
# PyPI), pip's configured index is used, which must then offer a CPU build. Override:
#   make install TORCH_INDEX_URL=https://download.pytorch.org/whl/cu126   # a GPU build
#   make install TORCH_INDEX_URL=                                         # pip's own index
TORCH_VERSION ?= 2.13.0
TORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu
TORCH_INDEX_URL ?= $(shell python3 -c "import urllib.request as u; u.urlopen('$(TORCH_CPU_INDEX)/torch/', timeout=5).close(); print('$(TORCH_CPU_INDEX)')" 2>/dev/null)

.PHONY: install demo test test-fast lint bench eval clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# torch first, so the project's torch==$(TORCH_VERSION) pin is already met by the CPU build.
	$(PY) -m pip install --quiet $(if $(TORCH_INDEX_URL),--index-url $(TORCH_INDEX_URL)) torch==$(TORCH_VERSION)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/newsdesk index build
	$(BIN)/newsdesk index status
	$(BIN)/newsdesk ask "$(QUESTION)"

# The full suite: every tier, including the real model, real servers and the eval gate.
test: install
	$(BIN)/pytest

# The edit loop: everything not marked slow (no real model load, no server processes); < 2 min.
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
