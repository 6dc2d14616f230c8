# Two commands: `make demo` and `make test`. Both set up .venv first and are
# quick when everything is already in place (stamp files remember each step).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TORCH_VERSION := 2.13.0
FASHION_DIR := /usr/share/datasets/fashion-mnist

.PHONY: setup data demo test bench clean-venv

setup: $(VENV)/.installed

# torch goes in first, pinned, so the resolver never reaches for a CUDA build.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==$(TORCH_VERSION)
	$(BIN)/python -m pip install -q -e ".[torch,data,test]"
	touch $@

# Fashion-MNIST ships as a Debian package; install it when apt is at hand.
$(VENV)/.fashion-mnist: | setup
	@if [ ! -d $(FASHION_DIR) ] && command -v apt-get >/dev/null; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null || \
	  echo "note: could not install dataset-fashion-mnist; 'neuralab data fetch fashion-mnist' will try upstream"; \
	fi
	touch $@

data: setup $(VENV)/.fashion-mnist
	$(BIN)/neuralab data fetch mnist fashion-mnist digits iris

demo: data
	$(BIN)/neuralab demo

test: data
	$(BIN)/python -m pytest -q

bench: data
	$(BIN)/python bench/run.py

clean-venv:
	rm -rf $(VENV)
