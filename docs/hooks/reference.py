"""MkDocs hook: the reference pages' tables, generated at build time so they cannot drift.

A page holds a placeholder line; ``on_page_markdown`` replaces it with what the code says:

- ``<!-- settings-table -->``: every field of ``bff.settings.Settings`` (variable, default,
  description), in the order of bff/settings.py;
- ``<!-- endpoints-table -->``: every operation of openapi/openapi.json, the published contract;
- ``<!-- cli-reference -->``: each ``bff`` command's description, usage and options, from the
  real parser (``bff COMMAND --help`` prints the same help texts);
- ``<!-- make-targets -->``: every Makefile target with its ``## target: text`` line.

``on_files`` also adds the benchmark chart (bench/results/latest.png, outside docs/) to the site
as ``assets/bench/latest.png``, so the benchmarks page can show it and ``--strict`` can check
the link. The tests import the generators below to check that they cover everything.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from pydantic import TypeAdapter
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from bff.cli import build_parser
from bff.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = ROOT / "openapi" / "openapi.json"
MAKEFILE = ROOT / "Makefile"
CHART = ROOT / "bench" / "results" / "latest.png"
CHART_URI = "assets/bench/latest.png"

TARGET = re.compile(r"^([a-z][a-z0-9-]*):(?!=)")
DOC = re.compile(r"^## ([a-z][a-z0-9-]*): (.+)$")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _cell(text: str) -> str:
    """Text safe inside one cell of a Markdown table."""
    return " ".join(text.split()).replace("|", "\\|")


# Settings.


def setting_variable(name: str) -> str:
    """The environment variable of a Settings field: ``BFF_<FIELD>``."""
    return f"{Settings.model_config.get('env_prefix', '')}{name}".upper()


def setting_variables() -> list[str]:
    return [setting_variable(name) for name in Settings.model_fields]


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value: Any = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "required"
    else:
        value = field.default
    if value is None:
        return "unset"
    if isinstance(value, tuple) and not value:
        return "empty"
    plain = TypeAdapter(Any).dump_python(value, mode="json")
    if isinstance(plain, list):
        return f"`{','.join(str(item) for item in plain)}`"
    if isinstance(plain, bool):
        return f"`{str(plain).lower()}`"
    if isinstance(plain, dict):
        return f"`{json.dumps(plain)}`"
    return f"`{plain}`"


def settings_table() -> str:
    """Markdown: one row per setting, its variable, its default and its description."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        assert field.description, f"Settings.{name} has no description"
        variable, default = setting_variable(name), _cell(_default(field))
        rows.append(f"| `{variable}` | {default} | {_cell(field.description)} |")
    return "\n".join(rows)


# Endpoints.


def openapi_operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) for every operation of the published contract, in its order."""
    spec = json.loads(OPENAPI.read_text())
    return [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def endpoints_table() -> str:
    """Markdown: one row per operation: method, path, operation id, summary, response statuses."""
    rows = [
        "| method | path | operationId | summary | responses |",
        "|---|---|---|---|---|",
    ]
    for method, path, operation in openapi_operations():
        statuses = ", ".join(sorted(operation.get("responses", {})))
        rows.append(
            f"| `{method}` | `{path}` | `{operation.get('operationId', '')}` "
            f"| {_cell(operation.get('summary', ''))} | {statuses} |"
        )
    return "\n".join(rows)


# The command line.


def cli_commands(
    parser: argparse.ArgumentParser | None = None,
) -> dict[str, argparse.ArgumentParser]:
    """``bff``'s sub-commands by name."""
    for action in (parser or build_parser())._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("bff has no sub-commands")


def documented_options(command: argparse.ArgumentParser) -> list[argparse.Action]:
    """A command's options meant for people (not --help, not the suppressed ones for tests)."""
    return [
        action
        for action in command._actions
        if not isinstance(action, argparse._HelpAction) and action.help != argparse.SUPPRESS
    ]


def option_label(action: argparse.Action) -> str:
    if isinstance(action, argparse.BooleanOptionalAction):
        return " / ".join(action.option_strings)
    metavar = action.metavar or action.dest.upper()
    return " / ".join(f"{option} {metavar}" for option in action.option_strings)


def cli_reference() -> str:
    """Markdown: each command's description, usage and options."""
    out: list[str] = []
    for name, command in cli_commands().items():
        usage = " ".join(command.format_usage().removeprefix("usage:").split())
        out += [f"`bff {name}`: {command.description}", "", "```sh", usage, "```", ""]
        out += ["| option | meaning |", "|---|---|"]
        for action in documented_options(command):
            assert action.help, f"bff {name} {action.option_strings} has no help text"
            out.append(f"| `{option_label(action)}` | {_cell(str(action.help))} |")
        out.append("")
    return "\n".join(out)


# Make targets.


def makefile_targets() -> list[tuple[str, str | None]]:
    """(target, its `##` line's text or None), in the Makefile's order."""
    lines = MAKEFILE.read_text().splitlines()
    targets = []
    for number, line in enumerate(lines):
        if match := TARGET.match(line):
            doc = DOC.match(lines[number - 1]) if number else None
            text = doc.group(2) if doc and doc.group(1) == match.group(1) else None
            targets.append((match.group(1), text))
    return targets


def targets_table() -> str:
    """Markdown: one row per Makefile target with the text of its `##` line."""
    rows = [f"| `make {name}` | {_cell(text or '')} |" for name, text in makefile_targets()]
    return "\n".join(["| target | what it runs |", "|---|---|", *rows])


# The hook.

PLACEHOLDERS: dict[str, Callable[[], str]] = {
    "<!-- settings-table -->": settings_table,
    "<!-- endpoints-table -->": endpoints_table,
    "<!-- cli-reference -->": cli_reference,
    "<!-- make-targets -->": targets_table,
}


def render(markdown: str) -> str:
    """The page's Markdown with every placeholder line replaced by its generated block."""
    lines = markdown.splitlines()
    out = [PLACEHOLDERS[line.strip()]() if line.strip() in PLACEHOLDERS else line for line in lines]
    return "\n".join(out) + ("\n" if markdown.endswith("\n") else "")


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    return render(markdown)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    files.append(File.generated(config, CHART_URI, abs_src_path=str(CHART)))
    return files
