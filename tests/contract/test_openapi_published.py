"""The committed contract is the app's contract: regenerate with `make openapi` when it drifts."""

from __future__ import annotations

import difflib
from pathlib import Path

from bff.cli import render_openapi

SPEC = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def test_committed_openapi_matches_the_app() -> None:
    expected = render_openapi()
    committed = SPEC.read_text(encoding="utf-8")

    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            expected.splitlines(keepends=True),
            fromfile="openapi/openapi.json (committed)",
            tofile="openapi.json (from the app)",
            n=2,
        )
    )
    assert not diff, f"the contract drifted; run `make openapi` and review:\n{diff[:6000]}"
