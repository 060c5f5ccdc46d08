PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STORE := var/saaslens.db

include make/sandbox.mk

.PHONY: install run test lint format clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "saaslens needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --constraint constraints.txt -e '.[dev]'
	touch $@

DEMO_EMAIL := demo@example.com
DEMO_PASSWORD := saaslens-demo

# A fresh development store: demo data and an admin to sign in with.
$(STORE): | install
	$(BIN)/saaslens db upgrade
	$(BIN)/saaslens demo --customers 2000 --seed 1
	printf '%s' '$(DEMO_PASSWORD)' | $(BIN)/saaslens users create \
		--email $(DEMO_EMAIL) --role admin --password-stdin

run: install $(STORE)
	$(BIN)/saaslens db upgrade
	$(BIN)/saaslens serve

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
