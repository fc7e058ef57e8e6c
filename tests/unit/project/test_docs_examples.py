"""The docs' JSON examples of screens hold what the response models serve: a `meta` exactly as
the BFF serializes it (every section field present, `age` included), and data objects whose keys
are fields of their models (`"..."` marks what the example leaves out)."""

from __future__ import annotations

import json
import re
import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from schemas.responses.meta import Meta
from schemas.responses.screens import ProfileScreen

ROOT = Path(__file__).resolve().parents[3]
SCREENS: dict[frozenset[str], type[BaseModel]] = {
    frozenset(f.alias or name for name, f in ProfileScreen.model_fields.items()): ProfileScreen
}


def _json_blocks() -> list[Any]:
    pages = sorted((ROOT / "docs").rglob("*.md"))
    text = "\n".join(page.read_text() for page in pages)
    blocks = re.findall(r"```json\n(.*?)```", text, flags=re.S)
    parsed = []
    for block in blocks:
        try:
            parsed.append(json.loads(block))
        except json.JSONDecodeError:
            continue  # a log line spread over lines for reading, not a body
    return parsed


def _screen_examples() -> list[dict[str, Any]]:
    return [block for block in _json_blocks() if isinstance(block, dict) and "meta" in block]


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model inside `Model | None`, `list[Model]` and the like."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType, list):
        for argument in get_args(annotation):
            if model := _model_of(argument):
                return model
    return None


def _aliases(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


def _check_keys(value: Any, model: type[BaseModel], where: str) -> None:
    for item in value if isinstance(value, list) else [value]:
        if not isinstance(item, dict):
            continue
        unknown = set(item) - _aliases(model) - {"..."}
        assert not unknown, f"{where}: {sorted(unknown)} are not fields of {model.__name__}"
        for name, field in model.model_fields.items():
            nested = _model_of(field.annotation)
            key = field.alias or name
            if nested is not None and key in item:
                _check_keys(item[key], nested, f"{where}.{key}")


def test_the_docs_show_a_screen_example() -> None:
    assert _screen_examples(), "no page under docs/ has a JSON example of a screen"


def test_screen_examples_serve_meta_exactly_as_the_model_does() -> None:
    for example in _screen_examples():
        meta = example["meta"]

        assert Meta.model_validate(meta).model_dump(mode="json") == meta


def test_screen_examples_use_only_fields_of_their_screen_model() -> None:
    for example in _screen_examples():
        screen = SCREENS.get(frozenset(example))
        assert screen is not None, f"no screen model has exactly the keys {sorted(example)}"

        _check_keys({k: v for k, v in example.items() if k != "meta"}, screen, screen.__name__)
