"""The breaking-change guard, applied: the app's contract against the last committed one.

``test_openapi_published`` pins ``openapi/openapi.json`` to the app, so regenerating the file
would hide a breaking change from a comparison with the working tree; this compares with the
file as committed at ``HEAD`` instead (what frontends were last given). A breaking change
passes only together with a major bump of ``bff.__version__``. Run ``make openapi-check`` for
the same classification, or ``make openapi-check OPENAPI_REF=<tag>`` against a release.
"""

from __future__ import annotations

from pathlib import Path

from bff.cli import openapi_document
from tools.openapi_diff import committed, compare

ROOT = Path(__file__).resolve().parents[2]


def test_contract_changes_since_the_last_commit_are_versioned() -> None:
    report = compare(committed("HEAD", cwd=ROOT), openapi_document())
    assert report.ok, f"unversioned breaking change in the contract:\n{report.render()}"
