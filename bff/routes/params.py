"""Path and query parameters and documented error responses that several screens share."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from schemas.responses import Problem

# Ids are positive and fit the downstream's 32-bit integers; anything else is a 422 here, not
# a request the downstream has to reject.
MAX_ID = 2_147_483_647


def resource_id(description: str) -> Any:
    return Path(gt=0, le=MAX_ID, description=description, examples=[1])


UserId = Annotated[int, resource_id("The user's id.")]
CartId = Annotated[int, resource_id("The cart's id.")]
PostId = Annotated[int, resource_id("The post's id.")]
ProductId = Annotated[int, resource_id("The product's id.")]


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


Responses = dict[int | str, dict[str, Any]]

SERVER_TIMING_DOC: dict[str, Any] = {
    "description": "One entry per downstream call, in the order they were made, named by the "
    "downstream service, with its duration in milliseconds and, in `desc`, the call and how it "
    "ended (a failure adds its status code and attempts); then `total`, the time until the "
    "response started.",
    "schema": {
        "type": "string",
        "examples": [
            'users;dur=4.2;desc="GET /users/1", '
            'users;dur=310.5;desc="GET /users/1/posts timeout attempts=2", total;dur=312.0'
        ],
    },
}
PARTIAL_DOC: dict[str, Any] = {
    "description": "Present, with the value `true`, when `meta.partial` is true: an optional "
    "section failed and is null; `meta.sections` says which and why.",
    "schema": {"type": "string", "enum": ["true"]},
}

CALL_OK: Responses = {200: {"headers": {"Server-Timing": SERVER_TIMING_DOC}}}
"""A success that made downstream calls."""
SCREEN_OK: Responses = {
    200: {"headers": {"Server-Timing": SERVER_TIMING_DOC, "X-BFF-Partial": PARTIAL_DOC}}
}
"""A screen's success, which may be partial."""

NOT_FOUND: Responses = {404: _problem("The screen's main resource does not exist.")}
UNAUTHORIZED: Responses = {401: _problem("The bearer token is missing, malformed or expired.")}
DOWNSTREAM_FAILURES: Responses = {
    502: _problem("A required downstream failed (5xx, reset) or answered something unusable."),
    503: _problem(
        "A required downstream is rate limiting, or its circuit is open (the BFF did not call "
        "it); `Retry-After` says, in whole seconds, when to ask again."
    ),
    504: _problem("A required downstream did not answer before the request's deadline."),
}
SCREEN_ERRORS: Responses = {**NOT_FOUND, **DOWNSTREAM_FAILURES}
"""Every failure of a route with a main resource (no 200 entry, so routes keep their own)."""
SCREEN: Responses = {**SCREEN_OK, **SCREEN_ERRORS}
"""A JSON screen with a main resource: its success headers and every failure."""
SCREEN_FAILURES: Responses = {**SCREEN_OK, **DOWNSTREAM_FAILURES}
"""A JSON screen without a main resource (it fails only when every section does)."""
