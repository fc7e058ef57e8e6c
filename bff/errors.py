"""Every error leaves the BFF as RFC 9457 problem details, and only from here.

Downstream failures arrive as typed ``DownstreamError``s from ``clients/``; this module is the
one place that decides which HTTP status a frontend sees for each kind. Unexpected exceptions
are logged with their traceback on the server and answered with a bare 500 that says nothing
about the code: a stack trace or a downstream's body is never sent to a browser.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from bff.observability import request_id_of
from clients import (
    BadResponse,
    CircuitOpen,
    DownstreamError,
    NotFound,
    RateLimited,
    Timeout,
    Unauthorized,
    Unavailable,
)
from clients.media import StreamsExhausted

logger = logging.getLogger("bff.errors")

_DEFAULT_RETRY_AFTER = 1.0

PROBLEM_JSON = "application/problem+json"

# Most specific first: CircuitOpen is a kind of Unavailable. Anything else (a downstream that
# refused the BFF's own request: 400, 401, 403) is a 502, since no frontend can fix it.
_DOWNSTREAM_STATUS: tuple[tuple[type[DownstreamError], int], ...] = (
    (NotFound, 404),
    (CircuitOpen, 503),
    (StreamsExhausted, 503),
    (RateLimited, 503),
    (Timeout, 504),
    (Unavailable, 502),
    (BadResponse, 502),
)

BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}
"""Sent with every 401 (RFC 9110, section 11.6.1: a 401 must carry a challenge)."""


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON


class BFFError(Exception):
    """An error the BFF itself raises (as opposed to one a downstream caused)."""

    def __init__(
        self, status: int, detail: str, *, code: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code
        self.headers = headers


def problem(
    request: Request,
    status: int,
    detail: str,
    *,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": f"urn:bff:problem:{(code or phrase.lower()).replace(' ', '-').replace('_', '-')}",
        "title": phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "requestId": request_id_of(request),
    }
    body.update({key: value for key, value in extra.items() if value is not None})
    return ProblemResponse(body, status_code=status, headers=dict(headers or {}))


def retry_after_header(exc: DownstreamError) -> str:
    """Whole seconds, rounded up so a frontend never comes back before the breaker would let it
    through; a rate limit that named no delay gets one second, since a 503 should say when."""
    seconds = exc.retry_after if exc.retry_after is not None else _DEFAULT_RETRY_AFTER
    return str(max(1, math.ceil(seconds)))


def downstream_http_status(exc: DownstreamError) -> int:
    """The frontend's status for a failed required call. The caller's own refused credentials
    are a 401 and its refused input a 400 (`Fault.CALLER`); the rest is by kind."""
    if exc.callers_fault:
        return 401 if isinstance(exc, Unauthorized) else 400
    for kind, status in _DOWNSTREAM_STATUS:
        if isinstance(exc, kind):
            return status
    return 502


async def _downstream_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, DownstreamError)
    status = downstream_http_status(exc)
    headers = None
    if status == 503:
        headers = {"Retry-After": retry_after_header(exc)}
    elif status == 401:
        headers = BEARER_CHALLENGE
    # The failed call itself was logged by the pipeline; this line ties it to the answer given.
    logger.info(
        "request_id=%s answered %d: required downstream %s failed with %s after %d attempt(s)",
        request_id_of(request),
        status,
        exc.service,
        exc.code,
        exc.attempts,
    )
    return problem(
        request, status, exc.detail, code=exc.code, headers=headers, downstream=exc.service
    )


def _with_challenge(status: int, headers: Mapping[str, str] | None) -> Mapping[str, str] | None:
    """Every 401 the BFF sends carries ``WWW-Authenticate: Bearer``, whoever raised it."""
    if status != 401 or (headers and any(k.lower() == "www-authenticate" for k in headers)):
        return headers
    return {**(headers or {}), **BEARER_CHALLENGE}


async def _bff_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, BFFError)
    headers = _with_challenge(exc.status, exc.headers)
    return problem(request, exc.status, exc.detail, code=exc.code, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    # The offending input is deliberately left out: it may be a password.
    errors = [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error["type"]}
        for error in exc.errors()
    ]
    detail = "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in errors
    )
    return problem(
        request,
        422,
        detail or "Invalid request",
        code="validation",
        errors=jsonable_encoder(errors),
    )


MALFORMED_BODY = "body: the body is not JSON in UTF-8"


async def _http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # FastAPI turns JSON that is not UTF-8 (a UnicodeDecodeError) into a bare 400 of its
        # own; JSON must be UTF-8 (RFC 8259), so it is invalid JSON like any other: the same
        # documented 422 as a syntax error.
        return problem(
            request,
            422,
            MALFORMED_BODY,
            code="validation",
            errors=[{"loc": ["body"], "msg": "JSON decode error", "type": "json_invalid"}],
        )
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    headers = _with_challenge(exc.status_code, exc.headers)
    # The name RFC 9110 gives 413 (Python 3.11's phrase is the older "Request Entity Too Large").
    code = "content_too_large" if exc.status_code == 413 else None
    return problem(request, exc.status_code, detail, code=code, headers=headers)


async def _unexpected_error(request: Request, exc: Exception) -> ProblemResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(
        request, 500, "The BFF failed unexpectedly; the request id identifies it in the logs."
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DownstreamError, _downstream_error)
    app.add_exception_handler(BFFError, _bff_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
