"""Every install path takes exact versions from the lock, hash-checked, so a clone's result does not
depend on the day's releases; pyproject.toml keeps ranges for those who install bff as a library.

The lock (requirements/*.txt) names no index and no host: where packages come from is the
machine's configuration, not the repository's. The npm locks say the same of npm's registry.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[3]
RUNTIME = ROOT / "requirements" / "runtime.txt"
DEV = ROOT / "requirements" / "dev.txt"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
HOST = re.compile(r"https?://|--(extra-)?index-url|--find-links|--trusted-host")
NPM_LOCKS = [ROOT / folder / "package-lock.json" for folder in ("openapi", "examples/web")]


def pins(lock: Path) -> dict[str, str]:
    found = {}
    for line in lock.read_text().splitlines():
        if match := PIN.match(line):
            found[str(canonicalize_name(match.group(1)))] = match.group(2)
    return found


def requirements_blocks(lock: Path) -> list[str]:
    """One string per pinned requirement: its line and the continuation lines of its hashes."""
    blocks: list[str] = []
    for line in lock.read_text().splitlines():
        if PIN.match(line):
            blocks.append(line)
        elif blocks and line.startswith("    --hash="):
            blocks[-1] += "\n" + line
    return blocks


@pytest.mark.parametrize("lock", [RUNTIME, DEV], ids=["runtime", "dev"])
def test_every_pin_is_exact_and_carries_its_hashes(lock: Path) -> None:
    blocks = requirements_blocks(lock)

    assert len(blocks) > 20
    unhashed = [block.split()[0] for block in blocks if "--hash=sha256:" not in block]
    assert unhashed == []
    requirement_lines = [
        line for line in lock.read_text().splitlines() if line and not line.startswith(("#", " "))
    ]
    assert all(PIN.match(line) for line in requirement_lines), "only name==version lines"


@pytest.mark.parametrize("lock", [RUNTIME, DEV], ids=["runtime", "dev"])
def test_the_lock_names_no_index_and_no_host(lock: Path) -> None:
    assert HOST.findall(lock.read_text()) == []


def test_the_runtime_lock_has_the_dev_lock_s_versions() -> None:
    """The service `make run` installs is the one the suite ran against."""
    runtime, dev = pins(RUNTIME), pins(DEV)

    assert {name: dev.get(name) for name in runtime} == runtime


@pytest.mark.parametrize(
    ("lock", "groups"),
    [(RUNTIME, []), (DEV, ["dev", "bench", "docs", "lock"])],
    ids=["runtime", "dev"],
)
def test_the_lock_satisfies_pyproject_s_ranges(lock: Path, groups: list[str]) -> None:
    locked = pins(lock)
    wanted = [Requirement(text) for text in PROJECT["dependencies"]]
    for group in groups:
        wanted += [Requirement(text) for text in PROJECT["optional-dependencies"][group]]

    for requirement in wanted:
        name = str(canonicalize_name(requirement.name))
        assert name in locked, f"{name} is not in {lock.name}: run `make lock`"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"{name}=={locked[name]} is outside {requirement.specifier}: run `make lock`"
        )


def test_the_build_tools_are_locked_too() -> None:
    """The project is installed with --no-build-isolation, by the lock's own setuptools."""
    for lock in (RUNTIME, DEV):
        assert {"pip", "setuptools"} <= set(pins(lock))


def test_every_python_install_path_installs_from_the_lock_with_hashes() -> None:
    makefile = (ROOT / "Makefile").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert re.search(r"^PIP_LOCKED +:= .*pip install .*--require-hashes", makefile, flags=re.M)
    assert re.search(r"^PIP_PROJECT +:= .*--no-deps --no-build-isolation", makefile, flags=re.M)
    assert "pip install --quiet -e" not in makefile
    assert "--require-hashes --no-deps -r requirements/runtime.txt" in dockerfile
    assert "pip install --no-cache-dir --no-deps --no-build-isolation ." in dockerfile
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
    assert "pip install" not in ci


def test_the_lock_targets_regenerate_without_hosts() -> None:
    makefile = (ROOT / "Makefile").read_text()
    compile_line = re.search(r"^UV_COMPILE +:= ((?:.*\\\n)*.*)", makefile, flags=re.M)

    assert compile_line is not None
    assert "--generate-hashes" in compile_line.group(1)
    assert "--no-emit-index-url" in compile_line.group(1)
    assert re.search(r"^lock: ", makefile, flags=re.M)
    assert re.search(r"^upgrade: ", makefile, flags=re.M)
    assert re.search(r"^test-latest: ", makefile, flags=re.M)


@pytest.mark.parametrize("lock", NPM_LOCKS, ids=lambda path: path.parent.name)
def test_the_npm_lock_records_no_registry_and_is_installed_with_npm_ci(lock: Path) -> None:
    data = json.loads(lock.read_text())
    npmrc = (lock.parent / ".npmrc").read_text()
    makefile = (ROOT / "Makefile").read_text()
    folder = lock.parent.relative_to(ROOT)

    assert "omit-lockfile-registry-resolved=true" in npmrc.splitlines()
    packages = {path: entry for path, entry in data["packages"].items() if path}
    assert packages, "the lock holds the installed tree"
    assert [path for path, entry in packages.items() if "resolved" in entry] == []
    assert all("integrity" in entry for entry in packages.values() if not entry.get("link"))
    assert f"cd {folder} && npm ci " in makefile
    assert f"cd {folder} && npm install" not in makefile
