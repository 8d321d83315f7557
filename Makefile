# Two commands do all the set-up on a fresh machine (see README):
#   make demo   installs everything, builds the index and answers a sample question
#   make test   installs everything and runs the full test suite (what CI runs, after `make lint`)
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
QUESTION ?= Who denied involvement in the attack?

# torch: a CPU build (PyPI's plain torch==2.13.0 pulls ~3 GB of CUDA packages). Chosen when
# installing, never when make parses this file: if pip's configured index offers
# torch==$(TORCH_VERSION)+cpu (`pip index versions torch`), that build; otherwise PyTorch's CPU
# index. Override:
#   make install TORCH_INDEX_URL=https://download.pytorch.org/whl/cu126   # a GPU build
#   make install TORCH_INDEX_URL=                                         # pip's own index, as is
TORCH_VERSION ?= 2.13.0
TORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu
ifeq ($(origin TORCH_INDEX_URL),undefined)
define install_torch
	@if $(PY) -m pip index versions torch 2>/dev/null | grep -Eq '[ ,]$(subst .,\.,$(TORCH_VERSION))\+cpu(,|$$)'; then \
		echo "torch: $(TORCH_VERSION)+cpu from pip's configured index"; \
		$(PY) -m pip install --quiet torch==$(TORCH_VERSION)+cpu; \
	else \
		echo "torch: pip's configured index has no $(TORCH_VERSION)+cpu; using $(TORCH_CPU_INDEX)"; \
		$(PY) -m pip install --quiet --index-url $(TORCH_CPU_INDEX) torch==$(TORCH_VERSION); \
	fi
endef
else
define install_torch
	$(PY) -m pip install --quiet $(if $(TORCH_INDEX_URL),--index-url $(TORCH_INDEX_URL)) torch==$(TORCH_VERSION)
endef
endif

.PHONY: install demo test test-fast lint bench eval clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# torch first, so the project's torch==$(TORCH_VERSION) pin is already met by the CPU build.
	$(install_torch)
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
