"""What a fresh clone installs: `make run` the service alone (from the runtime lock), under an
SPDX license string (the TOML-table form makes setuptools print a deprecation block on every
build); test, lint and benchmark tools only in the extras that `make install` adds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _names(requirements: list[str]) -> set[str]:
    return {
        re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower()
        for requirement in requirements
    }


def test_the_license_is_an_spdx_string() -> None:
    assert PROJECT["license"] == "MIT"


def test_the_runtime_holds_no_test_or_benchmark_tool() -> None:
    runtime = _names(PROJECT["dependencies"])
    extras = set().union(*(_names(group) for group in PROJECT["optional-dependencies"].values()))

    assert runtime & extras == set()
    assert {"pytest", "ruff", "mypy", "playwright", "schemathesis", "matplotlib"} <= extras


def test_matplotlib_is_in_the_bench_extra_only() -> None:
    extras = PROJECT["optional-dependencies"]

    assert "matplotlib" in _names(extras["bench"])
    assert "matplotlib" not in _names(extras["dev"])


def test_make_run_installs_the_service_without_extras() -> None:
    makefile = (ROOT / "Makefile").read_text()
    runtime_recipe = re.search(r"^\$\(RUNTIME_STAMP\): .*?\n\n", makefile, flags=re.M | re.S)

    assert runtime_recipe is not None
    assert "$(PIP_LOCKED) $(RUNTIME_LOCK)\n" in runtime_recipe.group(0)
    assert "$(DEV_LOCK)" not in runtime_recipe.group(0)
    assert "$(PIP_PROJECT) -e .\n" in runtime_recipe.group(0)
    for target in ("run", "serve", "simulator"):
        assert re.search(rf"^{target}: \$\(RUNTIME_STAMP\)$", makefile, flags=re.M), target
