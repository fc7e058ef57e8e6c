"""The published contract documents what the BFF really does, for people and for generators.

Generated frontend clients take their method names from operation ids, their error handling from
the documented error media types, and their docs from descriptions and examples; the docs page
shows the same. These tests hold the contract to that, and keep its examples honest by
validating every one against the model it illustrates.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

import schemas.responses
from bff.cli import openapi_document
from bff.contract import RESPONSE_HEADERS

SPEC = openapi_document()
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
ERROR_MEDIA_TYPE = "application/problem+json"


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


OPERATIONS = list(operations())
OPERATION_IDS = [f"{method} {path}" for method, path, _ in OPERATIONS]


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    section, name = ref.split("/")[-2:]
    found: dict[str, Any] = SPEC["components"][section][name]
    return found


def test_operation_ids_are_tag_and_function_name() -> None:
    ids = [operation["operationId"] for _, _, operation in OPERATIONS]
    assert len(ids) == len(set(ids))
    for _, _, operation in OPERATIONS:
        assert operation["operationId"].startswith(f"{operation['tags'][0]}_")


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_every_operation_is_described(method: str, path: str, operation: dict[str, Any]) -> None:
    assert operation.get("summary"), f"{method} {path} has no summary"
    assert operation.get("description"), f"{method} {path} has no description (docstring)"
    for parameter in map(resolve, operation.get("parameters", [])):
        assert parameter.get("description"), f"{method} {path}: {parameter['name']} undocumented"
    for status, response in operation["responses"].items():
        assert response.get("description"), f"{method} {path} -> {status} has no description"
        assert response["description"] != "Successful Response", (
            f"{method} {path} -> {status}: say what the body is (the model's docstring)"
        )


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_every_error_response_is_problem_json(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    errors = {s: r for s, r in operation["responses"].items() if s[0] in "45"}
    assert "422" in errors, f"{method} {path} does not document its validation errors"
    for status, response in errors.items():
        content = response.get("content", {})
        assert list(content) == [ERROR_MEDIA_TYPE], f"{method} {path} -> {status}: {list(content)}"
        assert content[ERROR_MEDIA_TYPE]["schema"] == {"$ref": "#/components/schemas/Problem"}


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_headers_the_bff_sets_are_declared(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    for status, response in operation["responses"].items():
        declared = set(response.get("headers", {}))
        expected = {
            header.name
            for header in RESPONSE_HEADERS
            if header.on(method.lower(), path, operation, status)
        }
        assert expected <= declared, f"{method} {path} -> {status} misses {expected - declared}"
        for name, header in response.get("headers", {}).items():
            doc = resolve(header)
            assert doc.get("description"), f"{method} {path} -> {status}: {name} undocumented"
            assert doc.get("schema"), f"{method} {path} -> {status}: {name} has no schema"
    assert "X-Request-ID" in operation["responses"]["422"]["headers"]
    for status in ("401", "503"):
        if status in operation["responses"]:
            assert len(operation["responses"][status]["headers"]) >= 2


def test_request_headers_the_bff_honours_are_declared() -> None:
    for method, path, operation in OPERATIONS:
        names = {
            resolve(p)["name"] for p in operation["parameters"] if resolve(p)["in"] == "header"
        }
        assert {"X-Request-ID", "X-Request-Timeout"} <= names, f"{method} {path}: {names}"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_schema_and_field_is_documented(name: str) -> None:
    schema = SCHEMAS[name]
    assert schema.get("description"), f"{name} has no description (a docstring on the model)"
    undocumented = [
        field
        for field, spec in schema.get("properties", {}).items()
        if not (spec.get("description") or spec.get("examples"))
        and not (set(spec) <= {"$ref"} and resolve(spec).get("description"))
    ]
    assert not undocumented, f"{name}: fields without a description or example: {undocumented}"


def success_bodies() -> Iterator[tuple[str, str]]:
    for method, path, operation in OPERATIONS:
        for status, response in operation["responses"].items():
            if status.startswith("2"):
                json_body = response.get("content", {}).get("application/json")
                if json_body is not None:
                    ref = json_body["schema"].get("$ref", "")
                    yield f"{method} {path}", ref.rsplit("/", 1)[-1]


@pytest.mark.parametrize(("operation", "model"), list(success_bodies()))
def test_every_json_success_body_has_an_example(operation: str, model: str) -> None:
    assert model in SCHEMAS, f"{operation}: the 200 body should be a named model"
    assert SCHEMAS[model].get("examples"), f"{operation}: {model} has no example"


def response_models() -> list[type[BaseModel]]:
    return [
        value
        for value in vars(schemas.responses).values()
        if inspect.isclass(value) and issubclass(value, BaseModel)
    ]


@pytest.mark.parametrize("model", response_models(), ids=lambda model: model.__name__)
def test_examples_are_valid_instances_of_their_model(model: type[BaseModel]) -> None:
    """An example that stopped validating would teach frontends a shape that does not exist."""
    examples = model.model_json_schema(mode="serialization").get("examples", [])
    for example in examples:
        instance = model.model_validate(example)
        assert instance.model_dump(mode="json", by_alias=True, exclude_unset=True) == example
