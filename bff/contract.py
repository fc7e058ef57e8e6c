"""Finishing touches on the generated OpenAPI document, so it describes what the BFF really sends.

FastAPI documents every response body as ``application/json`` and knows nothing of headers set
by middleware or exception handlers; generated frontend clients read both, so the published
contract states them. Headers are declared from one table, ``RESPONSE_HEADERS``: a feature that
sets a header adds a row there (with the statuses it appears on), and the contract, the docs
page, the generated TypeScript types and the contract tests all pick it up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from bff.errors import PROBLEM_JSON

Operation = Mapping[str, Any]
"""One OpenAPI operation object, as FastAPI generated it."""

_GENERIC_SUCCESS = "Successful Response"
PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"


def _everywhere(method: str, path: str, operation: Operation) -> bool:
    return True


@dataclass(frozen=True)
class ResponseHeader:
    """A header the BFF sets on some responses, as the contract declares it.

    ``statuses`` holds status codes (``"503"``) or classes (``"2XX"``, ``"4XX"``, ``"5XX"``);
    ``applies`` narrows the operations (e.g. only screens, only GETs).
    """

    name: str
    description: str
    statuses: tuple[str, ...]
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})
    applies: Callable[[str, str, Operation], bool] = _everywhere

    def on(self, method: str, path: str, operation: Operation, status: str) -> bool:
        matches = status in self.statuses or f"{status[:1]}XX" in self.statuses
        return matches and self.applies(method, path, operation)

    def doc(self) -> dict[str, Any]:
        return {"description": self.description, "schema": dict(self.schema)}


@dataclass(frozen=True)
class RequestHeader:
    """A header the BFF honours on every operation (declared as an optional parameter)."""

    key: str
    name: str
    description: str
    schema: Mapping[str, Any]

    def parameter(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "in": "header",
            "required": False,
            "description": self.description,
            "schema": dict(self.schema),
        }


RESPONSE_HEADERS: tuple[ResponseHeader, ...] = (
    ResponseHeader(
        "X-Request-ID",
        "The request's id: the caller's `X-Request-ID` if it was a plain token, otherwise a "
        "new one. Quote it when reporting a problem.",
        statuses=("2XX", "4XX", "5XX"),
    ),
    ResponseHeader(
        "Retry-After",
        "Seconds to wait before asking again, when a downstream is rate limiting.",
        statuses=("503",),
        schema={"type": "integer", "minimum": 1},
    ),
    ResponseHeader(
        "WWW-Authenticate",
        "The authentication scheme to use: `Bearer`.",
        statuses=("401",),
        schema={"type": "string", "examples": ["Bearer"]},
    ),
)

REQUEST_HEADERS: tuple[RequestHeader, ...] = (
    RequestHeader(
        "RequestId",
        "X-Request-ID",
        "An id for this request, echoed in the response and forwarded downstream; kept only "
        "if it is a plain token (letters, digits, `.`, `_`, `-`; at most 128), else replaced.",
        {"type": "string", "examples": ["checkout-7f3a9c"]},
    ),
    RequestHeader(
        "RequestTimeout",
        "X-Request-Timeout",
        "Seconds this caller will wait. Lowers, never raises, the server's own deadline; no "
        "downstream call outlives it. A value below the server's floor "
        "(`BFF_MIN_REQUEST_TIMEOUT`, 0.05 s by default) is raised to it.",
        {"type": "number", "exclusiveMinimum": 0, "examples": [2.5]},
    ),
)


def _resolve(schema: dict[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        found: Mapping[str, Any] = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return found
    return node


def _describe_success(schema: dict[str, Any], response: dict[str, Any]) -> None:
    """Replace FastAPI's "Successful Response" with what the body is: its model's docstring."""
    if response.get("description") != _GENERIC_SUCCESS:
        return
    for media in response.get("content", {}).values():
        described = _resolve(schema, media.get("schema", {})).get("description")
        if described:
            response["description"] = described.split("\n\n", 1)[0]
            return


def _problem_content(response: dict[str, Any]) -> None:
    """Errors leave only through the problem handlers (``bff/errors.py``): whatever a route
    declared, or left undeclared, the body is problem details."""
    content = response.setdefault("content", {})
    if "application/json" in content:
        content[PROBLEM_JSON] = content.pop("application/json")
    if not content:
        content[PROBLEM_JSON] = {"schema": {"$ref": PROBLEM_SCHEMA_REF}}


def _finish(schema: dict[str, Any]) -> None:
    """Declare headers once under ``components`` and point every operation at them."""
    components = schema.setdefault("components", {})
    parameters = components.setdefault("parameters", {})
    for request_header in REQUEST_HEADERS:
        parameters[request_header.key] = request_header.parameter()
    header_docs = components.setdefault("headers", {})
    for response_header in RESPONSE_HEADERS:
        header_docs[response_header.name] = response_header.doc()

    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            declared = {(p.get("in"), p.get("name")) for p in operation.get("parameters", [])}
            operation.setdefault("parameters", []).extend(
                {"$ref": f"#/components/parameters/{h.key}"}
                for h in REQUEST_HEADERS
                if ("header", h.name) not in declared
            )
            for status, response in operation.get("responses", {}).items():
                headers = {
                    h.name: {"$ref": f"#/components/headers/{h.name}"}
                    for h in RESPONSE_HEADERS
                    if h.on(method, path, operation, status)
                }
                if headers:
                    response["headers"] = {**response.get("headers", {}), **headers}
                if status[:1] in "45":
                    _problem_content(response)
                if status.startswith("2"):
                    _describe_success(schema, response)


def install_contract(app: FastAPI) -> None:
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _finish(generate())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
