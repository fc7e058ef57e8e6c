"""The command-line reference page is rendered from the real parser when the docs are built
(docs/hooks/reference.py: ``cli_reference()``), so it cannot drift from it: per command its
usage line and one row per option with the help text `bff COMMAND --help` prints."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from support import docs_reference_hook

from bff.cli import build_parser

ROOT = Path(__file__).resolve().parents[3]
PAGE = ROOT / "docs" / "reference" / "cli.md"


reference = docs_reference_hook()


def test_every_option_has_help_that_names_its_default() -> None:
    for name, command in reference.cli_commands().items():
        # A suppressed option is for tests, not people (demo's --web-dir).
        for action in reference.documented_options(command):
            assert action.help, (name, action.option_strings)
            assert re.search(r"\(default: [^)]+\)", action.help), (name, action.help)


def test_the_command_line_page_is_generated_from_the_parser() -> None:
    assert "<!-- cli-reference -->" in PAGE.read_text().splitlines()


def test_the_reference_covers_every_command_and_option() -> None:
    text = reference.cli_reference()

    for name, command in reference.cli_commands().items():
        usage = " ".join(command.format_usage().removeprefix("usage:").split())
        assert f"`bff {name}`: {command.description}" in text
        assert usage in text
        for action in reference.documented_options(command):
            assert f"| `{reference.option_label(action)}` |" in text


def test_the_reference_leaves_out_what_is_hidden_from_people() -> None:
    text = reference.cli_reference()

    for command in reference.cli_commands().values():
        for action in command._actions:
            if action.help == argparse.SUPPRESS:
                assert f"`{reference.option_label(action)}`" not in text
    assert "| `-h" not in text


def test_the_top_level_help_has_no_markup() -> None:
    text = build_parser().format_help()

    assert "``" not in text
    assert all(name in text for name in ("serve", "simulator", "demo", "openapi"))
