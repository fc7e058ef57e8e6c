# Every target bootstraps .venv on first use, so a fresh clone needs only `make run` or `make test`.
# Two stamps: the service alone (run, serve, simulator) and the service with the dev, bench and
# docs extras (tests, linters, benchmarks, the docs site), so `make run` installs no test tool.
# Both install from the lock (requirements/*.txt: exact versions with hashes, pip in
# --require-hashes mode), never from pyproject.toml's ranges, which are for library users:
# a clone gets the same versions whatever was released last night.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-stamp
DEV_STAMP     := $(VENV)/.dev-stamp
RUNTIME_LOCK  := requirements/runtime.txt
DEV_LOCK      := requirements/dev.txt
# The lock's pins, hash-checked; then the project itself, built by the locked setuptools (no
# build environment downloads an unpinned one).
PIP_LOCKED    := $(BIN)/python -m pip install --quiet --require-hashes --no-deps -r
PIP_PROJECT   := $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation
# make lock / make upgrade: one resolution for every platform and Python >= 3.11, with hashes and
# no index URL (no host is recorded); runtime.txt is held to dev.txt's versions, so the service
# that `make run` installs is the one the suite tested.
UV_COMPILE    := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 \
	--generate-hashes --no-emit-index-url --custom-compile-command 'make lock'
HOST   ?= 127.0.0.1
PORT   ?= 8000
SIMULATOR_PORT ?= 9100
DOCS_PORT ?= 8001
# Contract tooling: the TypeScript generator and compiler (npm, in openapi/node_modules) and the
# Debian chromium that the docs-page test drives. Installed only when missing.
NODE_STAMP   := openapi/node_modules/.installed-stamp
WEB_STAMP    := examples/web/node_modules/.installed-stamp
CHROMIUM     := /usr/bin/chromium
OPENAPI_REF  ?= HEAD
# Debian packages: apt-get as root or through sudo, starting no system service (scripts/apt-install.sh).
APT_INSTALL  := sh scripts/apt-install.sh

.PHONY: install run serve simulator test lint format typecheck unit integration openapi clean \
	lock upgrade test-latest docs docs-build system-tools node-tools openapi-check contract e2e screenshots bench bench-smoke bench-tools \
	bench-compression web-tools web

$(RUNTIME_STAMP): $(RUNTIME_LOCK) pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_LOCKED) $(RUNTIME_LOCK)
	$(PIP_PROJECT) -e .
	@echo "installed $(RUNTIME_LOCK): $$(grep -c '^[a-z]' $(RUNTIME_LOCK)) pins, every file hash-checked"
	@touch $@

# The dev install holds the runtime one too, so both stamps are fresh after it.
$(DEV_STAMP): $(DEV_LOCK) pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_LOCKED) $(DEV_LOCK)
	$(PIP_PROJECT) -e .
	@echo "installed $(DEV_LOCK): $$(grep -c '^[a-z]' $(DEV_LOCK)) pins, every file hash-checked"
	@touch $@ $(RUNTIME_STAMP)

## install: .venv from the lock: the service, the dev tools (pytest, ruff, mypy, ...), the bench and docs extras
install: $(DEV_STAMP)

## lock: re-resolve requirements/*.txt after pyproject.toml's ranges change, keeping every pin that still fits
lock: $(DEV_STAMP)
	$(UV_COMPILE) --extra dev --extra bench --extra docs --extra lock \
		pyproject.toml requirements/build.in -o $(DEV_LOCK)
	$(UV_COMPILE) -c $(DEV_LOCK) pyproject.toml requirements/build.in -o $(RUNTIME_LOCK)

## upgrade: move the lock to the newest versions the ranges allow, then run the whole suite on it
upgrade: $(DEV_STAMP)
	$(UV_COMPILE) --upgrade --extra dev --extra bench --extra docs --extra lock \
		pyproject.toml requirements/build.in -o $(DEV_LOCK)
	$(UV_COMPILE) -c $(DEV_LOCK) pyproject.toml requirements/build.in -o $(RUNTIME_LOCK)
	@$(MAKE) --no-print-directory test

## test-latest: the suite on the newest releases the ranges allow (a library user's install), in a throwaway venv; not in make test
test-latest: system-tools node-tools web-tools
	sh scripts/test-latest.sh $(PYTHON)

## system-tools: Debian packages the suite needs (chromium; nodejs + npm; redis-server; wrk), those missing in one apt-get run; no service left enabled or running
system-tools:
	@missing=""; \
	test -x $(CHROMIUM) || missing="$$missing chromium"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v wrk >/dev/null 2>&1 || missing="$$missing wrk"; \
	if [ -n "$$missing" ]; then $(APT_INSTALL) $$missing; fi

# Order-only: npm needs the Debian packages first, but their check alone never reinstalls these.
# npm ci installs exactly the committed package-lock.json (written without registry URLs, see
# the folder's .npmrc) and fails if it disagrees with package.json.
$(NODE_STAMP): openapi/package.json openapi/package-lock.json | system-tools
	cd openapi && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## node-tools: openapi-typescript and typescript, installed by npm ci from openapi/package-lock.json
node-tools: $(NODE_STAMP)

$(WEB_STAMP): examples/web/package.json examples/web/package-lock.json | system-tools
	cd examples/web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## web-tools: the example web app's npm packages (openapi-fetch, typescript), npm ci from examples/web/package-lock.json
web-tools: $(WEB_STAMP)

## web: rebuild the example web app (examples/web/site/js and site/vendor, committed)
web: web-tools
	cd examples/web && npm run --silent build

## run: the BFF on its embedded demo downstream (simulator on :9100, BFF on :8000, web app on :5173; PORT=, SIMULATOR_PORT=)
run: $(RUNTIME_STAMP)
	$(BIN)/bff demo --host $(HOST) --port $(PORT) --simulator-port $(SIMULATOR_PORT)

## serve: the BFF alone, downstream URLs from BFF_* settings
serve: $(RUNTIME_STAMP)
	$(BIN)/bff serve --host $(HOST) --port $(PORT)

## simulator: the DummyJSON-compatible simulator alone, on :9100 (SIMULATOR_PORT=)
simulator: $(RUNTIME_STAMP)
	$(BIN)/bff simulator --host $(HOST) --port $(SIMULATOR_PORT)

# The installs wait on the network and the disk more than on a core: pip runs beside apt-get and
# npm (npm after apt-get, which may bring it), which takes a fresh machine's setup from one sum
# to about its longest part.
## test: installs what is missing (the venv, system-tools, node-tools, web-tools, side by side), then lint and typecheck (side by side) and pytest: the whole suite
test:
	@$(MAKE) --no-print-directory -j4 --output-sync=target install system-tools node-tools web-tools
	@$(MAKE) --no-print-directory -j2 --output-sync=target lint typecheck
	$(BIN)/pytest

## docs: the documentation site on http://127.0.0.1:8001 (DOCS_PORT=), rebuilt on every change
docs: install
	$(BIN)/mkdocs serve --strict --dev-addr $(HOST):$(DOCS_PORT)

## docs-build: the documentation site, built with --strict into site/ (the suite builds it offline too)
docs-build: install
	$(BIN)/mkdocs build --strict --site-dir site

## lint: ruff check and ruff format --check
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## format: ruff's fixes and formatting, applied
format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## typecheck: mypy --strict on bff, clients, schemas, simulator, bench and tools
typecheck: install
	$(BIN)/mypy --strict bff clients schemas simulator bench tools

## unit: tests/unit alone (respx and in-process apps, no server started)
unit: install
	$(BIN)/pytest tests/unit

## integration: tests/integration alone (real loopback sockets; redis-server for the cache tier)
integration: install system-tools
	$(BIN)/pytest tests/integration

## openapi: regenerate the published contract and the TypeScript types generated from it
openapi: install node-tools
	$(BIN)/bff openapi --output openapi/openapi.json
	cd openapi && npm run --silent types

## openapi-check: classify the app's contract changes since git ref OPENAPI_REF (default HEAD)
openapi-check: install
	$(BIN)/python -m tools.openapi_diff --base-ref $(OPENAPI_REF)

## contract: tests/contract (published spec, compatibility, types, the web app's types, Schemathesis, downstream contracts)
contract: install system-tools node-tools web-tools
	$(BIN)/pytest tests/contract

## e2e: tests/e2e, the browser tests: the docs pages, the status page and the example web app in headless Chromium
e2e: install system-tools
	$(BIN)/pytest tests/e2e

## screenshots: run the browser tests and refresh docs/status.png and docs/web-app.png (README)
screenshots: install system-tools
	UPDATE_SCREENSHOTS=1 $(BIN)/pytest tests/e2e

## bench-tools: wrk, the benchmarks' load generator (Debian package), only when missing
bench-tools:
	@command -v wrk >/dev/null 2>&1 || $(APT_INSTALL) wrk

## bench: the BFF against its baselines on 127.0.0.1, three rounds, about 15 minutes; bench/results/latest.{md,json,png}
bench: install bench-tools
	$(BIN)/python -m bench --profile full

## bench-smoke: the same runner with tiny durations (seconds); bench/results/smoke.{md,json,png}
bench-smoke: install bench-tools
	$(BIN)/python -m bench --profile smoke

## bench-compression: bytes saved and CPU per request of each coding and level, a few seconds
bench-compression: install
	$(BIN)/python -m bench.compression --output bench/results/compression.md

## clean: remove .venv, the tools' caches, the built docs site, bench/out and the node_modules folders (system packages stay)
clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info openapi/node_modules \
		examples/web/node_modules site bench/out
