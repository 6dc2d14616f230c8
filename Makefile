# Two commands: `make demo` and `make test`. Both set up .venv first and are
# quick when everything is already in place (stamp files remember each step).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TORCH_VERSION := 2.13.0
FASHION_DIR := /usr/share/datasets/fashion-mnist

.PHONY: setup data chromium demo test bench clean-venv

setup: $(VENV)/.installed

# torch goes in first, pinned, so the resolver never reaches for a CUDA build.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==$(TORCH_VERSION)
	$(BIN)/python -m pip install -q -e ".[torch,data,test,lessons,tensorboard,tune,lab]"
	touch $@

# Fashion-MNIST ships as a Debian package; install it when apt is at hand.
$(VENV)/.fashion-mnist: | setup
	@if [ ! -d $(FASHION_DIR) ] && command -v apt-get >/dev/null; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null || \
	  echo "note: could not install dataset-fashion-mnist; 'neuralab data fetch fashion-mnist' will try upstream"; \
	fi
	touch $@

# The report's browser test drives Debian's chromium through Playwright (never a downloaded browser).
# No stamp: the check is instant, and a failed install is retried next time.
chromium:
	@if ! command -v chromium >/dev/null && command -v apt-get >/dev/null; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null || \
	  echo "note: could not install chromium; the report's browser test will fail"; \
	fi

data: setup $(VENV)/.fashion-mnist
	$(BIN)/neuralab data fetch mnist fashion-mnist digits iris

demo: data
	$(BIN)/neuralab demo

test: data chromium
	$(BIN)/python -m pytest -q

bench: data
	$(BIN)/python bench/run.py

clean-venv:
	rm -rf $(VENV)
