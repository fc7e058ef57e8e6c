"""Every Makefile target says what it runs (a `## target: ...` line above it), and the docs' table
of targets is generated from exactly those lines (docs/hooks/reference.py), so a target cannot be
added, dropped or changed unseen."""

from __future__ import annotations

from pathlib import Path

from support import docs_reference_hook

ROOT = Path(__file__).resolve().parents[3]
PAGE = ROOT / "docs" / "reference" / "make.md"


reference = docs_reference_hook()


def test_the_makefile_has_the_targets_a_newcomer_needs() -> None:
    names = [name for name, _ in reference.makefile_targets()]

    assert {"install", "run", "test", "clean", "bench", "bench-smoke", "docs"} <= set(names)
    assert len(names) == len(set(names))


def test_every_target_says_what_it_runs() -> None:
    undocumented = [name for name, text in reference.makefile_targets() if text is None]

    assert undocumented == [], "add a '## target: what it runs' line above each"


def test_the_make_targets_page_is_generated_from_the_makefile() -> None:
    assert "<!-- make-targets -->" in PAGE.read_text().splitlines()


def test_the_generated_table_has_one_row_per_target_as_the_makefile_describes_it() -> None:
    rows = reference.targets_table().splitlines()[2:]
    targets = reference.makefile_targets()

    assert rows == [f"| `make {name}` | {text} |" for name, text in targets]
