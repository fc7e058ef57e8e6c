"""The README's configuration table is the operator's reference: it must name every setting."""

from pathlib import Path

from bff.settings import Settings

README = Path(__file__).resolve().parents[3] / "README.md"


def test_every_setting_is_documented_in_the_readme() -> None:
    text = README.read_text()
    prefix = Settings.model_config.get("env_prefix", "")

    variables = [f"{prefix}{name}".upper() for name in Settings.model_fields]
    missing = [variable for variable in variables if f"`{variable}`" not in text]

    assert missing == []
