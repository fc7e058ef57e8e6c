"""The configuration reference is the operator's: it is generated from ``Settings`` when the docs
are built (docs/hooks/reference.py), so it names every setting with its default and meaning."""

from __future__ import annotations

from pathlib import Path

from support import docs_reference_hook

from bff.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
PAGE = ROOT / "docs" / "reference" / "configuration.md"


reference = docs_reference_hook()


def test_the_configuration_page_is_generated_from_the_settings() -> None:
    assert "<!-- settings-table -->" in PAGE.read_text().splitlines()


def test_the_generated_table_has_a_row_for_every_setting() -> None:
    prefix = Settings.model_config.get("env_prefix", "")
    variables = [f"{prefix}{name}".upper() for name in Settings.model_fields]
    rows = reference.settings_table().splitlines()

    missing = [v for v in variables if not any(row.startswith(f"| `{v}` |") for row in rows)]

    assert missing == []
    assert len(rows) == 2 + len(variables)


def test_each_row_holds_the_field_s_default_and_description() -> None:
    table = reference.settings_table()

    assert "| `BFF_REQUEST_TIMEOUT` | `10.0` | Deadline of one incoming request" in table
    assert "| `BFF_CACHE_REDIS_URL` | unset |" in table
    assert "| `BFF_HEDGE_SERVICES` | empty |" in table
    assert "| `BFF_CACHE_ENABLED` | `true` |" in table


def test_the_placeholder_is_replaced_by_the_table() -> None:
    rendered = reference.render(PAGE.read_text())

    assert "<!-- settings-table -->" not in rendered
    assert reference.settings_table() in rendered
