#!/bin/sh
# test-latest.sh [PYTHON]: the suite on the newest releases that pyproject.toml's ranges allow,
# which is what `pip install bff` gives a library user tonight, while the lock (make test) keeps
# the service on the versions it was last tested with. A failure here is the next break, seen
# before a user sees it: fix the code (or narrow a range), then `make upgrade` moves the lock.
#
# The environment is a throwaway venv under $TMPDIR, removed on exit; .venv is left alone.
set -eu
python=${1:-python3}
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$(mktemp -d "${TMPDIR:-/tmp}/bff-latest.XXXXXX")
trap 'rm -rf "$venv"' EXIT INT TERM

cd "$root"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet --upgrade-strategy eager -e '.[dev,bench,docs]'
echo "newest allowed versions:"
"$venv/bin/python" -m pip list --format=freeze \
    | grep -i -E '^(fastapi|starlette|uvicorn|httpx|httpcore|aiohttp|pydantic|pydantic-settings|redis|mypy|pytest|mkdocs-material)=='
"$venv/bin/mypy" --strict bff clients schemas simulator bench tools
PATH="$venv/bin:$PATH" "$venv/bin/pytest"
