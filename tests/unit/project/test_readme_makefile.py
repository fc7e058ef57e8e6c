"""Every Makefile target says what it runs (a `## target: ...` line above it), and README's table
of targets is exactly those lines, so a target cannot be added, dropped or changed unseen."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TARGET = re.compile(r"^([a-z][a-z0-9-]*):(?!=)")
DOC = re.compile(r"^## ([a-z][a-z0-9-]*): (.+)$")


def makefile_targets() -> list[tuple[str, str | None]]:
    """(target, its `##` line's text or None), in the Makefile's order."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    targets = []
    for number, line in enumerate(lines):
        if match := TARGET.match(line):
            doc = DOC.match(lines[number - 1]) if number else None
            text = doc.group(2) if doc and doc.group(1) == match.group(1) else None
            targets.append((match.group(1), text))
    return targets


def targets_table() -> str:
    rows = [f"| `make {name}` | {text} |" for name, text in makefile_targets()]
    return "\n".join(["| target | what it runs |", "|---|---|", *rows])


def test_the_makefile_has_the_targets_a_newcomer_needs() -> None:
    names = [name for name, _ in makefile_targets()]

    assert {"install", "run", "test", "clean", "bench", "bench-smoke"} <= set(names)
    assert len(names) == len(set(names))


def test_every_target_says_what_it_runs() -> None:
    undocumented = [name for name, text in makefile_targets() if text is None]

    assert undocumented == [], "add a '## target: what it runs' line above each"


def test_the_readme_lists_every_target_as_the_makefile_describes_it() -> None:
    expected = targets_table()

    assert expected in (ROOT / "README.md").read_text(), (
        "README's table of make targets differs from the Makefile's '##' lines; paste this:\n\n"
        + expected
    )
