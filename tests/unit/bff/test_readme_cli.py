"""README's command-line section is rendered from the real parser, so it cannot drift from it.

The section must hold, verbatim, what ``cli_reference()`` renders: per command its usage line and
one row per option with the help text `bff COMMAND --help` prints (defaults included). When an
option changes, the failure shows the block to paste.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from bff.cli import build_parser

README = Path(__file__).resolve().parents[3] / "README.md"


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("bff has no sub-commands")


def _option(action: argparse.Action) -> str:
    if isinstance(action, argparse.BooleanOptionalAction):
        return " / ".join(action.option_strings)
    metavar = action.metavar or action.dest.upper()
    return " / ".join(f"{option} {metavar}" for option in action.option_strings)


def cli_reference() -> str:
    """Markdown for README: each command's description, usage and options."""
    out: list[str] = []
    for name, command in _commands(build_parser()).items():
        usage = " ".join(command.format_usage().removeprefix("usage:").split())
        out += [f"`bff {name}`: {command.description}", "", "```sh", usage, "```", ""]
        out += ["| option | meaning |", "|---|---|"]
        for action in command._actions:
            if isinstance(action, argparse._HelpAction) or action.help == argparse.SUPPRESS:
                continue
            assert action.help, f"bff {name} {action.option_strings} has no help text"
            out.append(f"| `{_option(action)}` | {action.help} |")
        out.append("")
    return "\n".join(out)


def test_every_option_has_help_that_names_its_default() -> None:
    for name, command in _commands(build_parser()).items():
        for action in command._actions:
            # A suppressed option is for tests, not people (demo's --web-dir).
            if isinstance(action, argparse._HelpAction) or action.help == argparse.SUPPRESS:
                continue
            assert action.help, (name, action.option_strings)
            assert re.search(r"\(default: [^)]+\)", action.help), (name, action.help)


def test_the_readme_command_line_section_is_the_parser_s() -> None:
    expected = cli_reference()

    assert expected in README.read_text(), (
        "README's command-line section differs from bff's parser; paste this there:\n\n" + expected
    )


def test_the_top_level_help_has_no_markup() -> None:
    text = build_parser().format_help()

    assert "``" not in text
    assert all(name in text for name in ("serve", "simulator", "demo", "openapi"))
