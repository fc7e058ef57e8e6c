"""The production image is the service alone: no simulator, no project tooling."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import pytest

from bff import cli

ROOT = Path(__file__).resolve().parents[3]


def test_the_image_copies_the_service_packages_only() -> None:
    copies = [
        line.split()[1]
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY ") and "--from" not in line
    ]

    assert copies == ["requirements/runtime.txt", "pyproject.toml", "bff", "clients", "schemas"]


def test_the_openapi_guard_is_tooling_not_product() -> None:
    assert not (ROOT / "bff" / "openapi_diff.py").exists()
    assert (ROOT / "tools" / "openapi_diff.py").is_file()


def test_without_the_simulator_the_demo_says_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_import = builtins.__import__

    def no_simulator(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "simulator" or name.startswith("simulator."):
            raise ModuleNotFoundError(f"No module named {name!r}", name="simulator")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_simulator)

    assert cli.main(["simulator"]) == 2
    assert "not installed here" in capsys.readouterr().err
