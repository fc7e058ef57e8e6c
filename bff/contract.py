"""Finishing touches on the generated OpenAPI document, so it describes what the BFF really sends.

FastAPI documents every response body as ``application/json`` and knows nothing of headers set
by middleware; generated frontend clients read both, so the published contract states them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from bff.errors import PROBLEM_JSON

REQUEST_ID_HEADER_DOC = {
    "description": "The request's id: the caller's `X-Request-ID` if it was a plain token, "
    "otherwise a new one. Quote it when reporting a problem.",
    "schema": {"type": "string"},
}


def _finish(schema: dict[str, Any]) -> None:
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for code, response in operation.get("responses", {}).items():
                response.setdefault("headers", {})["X-Request-ID"] = REQUEST_ID_HEADER_DOC
                content = response.get("content", {})
                if code[0] in "45" and "application/json" in content:
                    content[PROBLEM_JSON] = content.pop("application/json")


def install_contract(app: FastAPI) -> None:
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _finish(generate())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
