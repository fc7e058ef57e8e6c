# Every target bootstraps .venv on first use, so a fresh clone needs only `make run` or `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run serve simulator test lint format typecheck unit integration openapi clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## run: the BFF on its embedded demo downstream (simulator on :9100, BFF on :8000)
run: install
	$(BIN)/bff demo --host $(HOST) --port $(PORT)

## serve: the BFF alone, downstream URLs from BFF_* settings
serve: install
	$(BIN)/bff serve --host $(HOST) --port $(PORT)

simulator: install
	$(BIN)/bff simulator --host $(HOST) --port 9100

## test: lint, type-check, then the whole suite
test: install lint typecheck
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install
	$(BIN)/mypy --strict bff clients schemas simulator

unit: install
	$(BIN)/pytest tests/unit

integration: install
	$(BIN)/pytest tests/integration

## openapi: regenerate the published contract
openapi: install
	$(BIN)/bff openapi --output openapi/openapi.json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
