"""Path and query parameters and documented error responses that several screens share."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Path
from pydantic import BeforeValidator

from schemas.responses import Problem

# Ids are positive and fit the downstream's 32-bit integers; anything else is a 422 here, not
# a request the downstream has to reject.
MAX_ID = 2_147_483_647

_PLAIN_ID = re.compile(r"[1-9][0-9]{0,9}")


def plain_digits(value: object) -> object:
    """An id is written one way only: digits without sign, spaces, leading zeros, underscores or
    a fraction. Pydantic's integer parsing accepts ``+1``, ``01``, `` 1``, ``1_0`` (ten) and
    ``1.0``, so one resource would have many URLs (and cache entries), and ``1_0`` would name
    another resource than it seems to."""
    if isinstance(value, str) and not _PLAIN_ID.fullmatch(value):
        raise ValueError("must be a positive integer written in plain digits, like 42")
    return value


def resource_id(description: str) -> Any:
    return Path(
        gt=0,
        le=MAX_ID,
        description=f"{description} Plain digits: no sign, spaces, leading zeros or fraction.",
        examples=[1],
    )


PlainDigits = BeforeValidator(plain_digits)
UserId = Annotated[int, resource_id("The user's id."), PlainDigits]
CartId = Annotated[int, resource_id("The cart's id."), PlainDigits]
PostId = Annotated[int, resource_id("The post's id."), PlainDigits]
ProductId = Annotated[int, resource_id("The product's id."), PlainDigits]


def problem_doc(description: str) -> dict[str, Any]:
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

ETAG_DOC: dict[str, Any] = {
    "description": "A strong validator of the body; send it back in `If-None-Match` to get a "
    "`304 Not Modified` while the screen is unchanged. A compressed body is another "
    'representation with its own tag: the coding is appended (`"...-br"`).',
    "schema": {
        "type": "string",
        "examples": ['"3f2a9c0d5e1b7a48c6d2e0f1a9b8c7d6"', '"3f2a9c0d5e1b7a48c6d2e0f1a9b8c7d6-br"'],
    },
}
CACHE_CONTROL_DOC: dict[str, Any] = {
    "description": "How long the screen may be reused: `private, no-store` when it is built "
    "with the caller's bearer token (never stored, whatever the cache settings); `no-store` "
    "when it is partial; "
    "`no-cache` when some part may not be cached (revalidate with the ETag); otherwise "
    "`public` or, when any part is the caller's own, `private`, with `max-age` the smallest "
    "remaining freshness of its parts (0 once a part is stale).",
    "schema": {
        "type": "string",
        "examples": ["public, max-age=42", "private, no-store", "no-store"],
    },
}
CACHE_STATUS_DOC: dict[str, Any] = {
    "description": "RFC 9211: per downstream call, whether the BFF's cache served it (`hit`, "
    "with `ttl` in seconds, negative once stale) or why it was fetched (`fwd=uri-miss` and "
    "`stored`, `fwd=bypass` when caching is off, `fwd=method` for non-GETs, `fwd=stale` with "
    "`fwd-status` when a stale copy stood in for a failed call); `detail` names the call.",
    "schema": {
        "type": "string",
        "examples": [
            'BFF; hit; ttl=42; detail="users GET /users/1", '
            'BFF; fwd=uri-miss; stored; detail="users GET /users/1/posts"'
        ],
    },
}
VARY_DOC: dict[str, Any] = {
    "description": "`Authorization` when the screen holds the caller's own data; "
    "`Accept-Encoding` when the body is negotiated (compressed, or large enough to be); "
    "`Origin` when cross-origin access is configured (BFF_CORS_ORIGINS).",
    "schema": {"type": "string", "examples": ["Authorization, Accept-Encoding"]},
}
NO_STORE_DOC: dict[str, Any] = {
    "description": "`no-store`: the answer carries credentials.",
    "schema": {"type": "string", "enum": ["no-store"]},
}

CALL_OK: Responses = {
    200: {"headers": {"Server-Timing": SERVER_TIMING_DOC, "Cache-Control": NO_STORE_DOC}}
}
"""A success that made downstream calls (a POST: never stored)."""
_CACHING_HEADERS = {
    "ETag": ETAG_DOC,
    "Cache-Control": CACHE_CONTROL_DOC,
    "Cache-Status": CACHE_STATUS_DOC,
    "Vary": VARY_DOC,
}
SCREEN_OK: Responses = {
    200: {
        "headers": {
            "Server-Timing": SERVER_TIMING_DOC,
            "X-BFF-Partial": PARTIAL_DOC,
            **_CACHING_HEADERS,
        }
    },
    304: {
        "description": "Not Modified: the `If-None-Match` tag matches the screen as it is now; "
        "no body.",
        "headers": {"Server-Timing": SERVER_TIMING_DOC, **_CACHING_HEADERS},
    },
}
"""A screen's success, which may be partial, and its revalidation."""

BODY_TOO_LARGE: Responses = {
    413: problem_doc(
        "The request body is larger than `BFF_MAX_BODY_BYTES` (4 KiB by default); refused "
        "before it is read, parsed or authenticated, and the connection is closed."
    )
}
NOT_FOUND: Responses = {404: problem_doc("The screen's main resource does not exist.")}
UNAUTHORIZED: Responses = {
    401: problem_doc(
        "The credentials are missing, malformed, forged, expired or unknown (whatever the auth "
        "API answered for them); the response carries `WWW-Authenticate: Bearer`."
    )
}
DOWNSTREAM_FAILURES: Responses = {
    502: problem_doc(
        "A required downstream failed (5xx, reset), answered something unusable, or refused "
        "the BFF's own request."
    ),
    503: problem_doc(
        "A required downstream is rate limiting (it answered 429, or the BFF is waiting out its "
        "rate-limit window and did not call it), or its circuit is open (the BFF did not call "
        "it), or the BFF is at capacity (`overloaded`: the request could not start before its "
        "deadline); `Retry-After` says, in whole seconds, when to ask again."
    ),
    504: problem_doc("A required downstream did not answer before the request's deadline."),
}
SCREEN_ERRORS: Responses = {**NOT_FOUND, **DOWNSTREAM_FAILURES}
"""Every failure of a route with a main resource (no 200 entry, so routes keep their own)."""
SCREEN: Responses = {**SCREEN_OK, **SCREEN_ERRORS}
"""A JSON screen with a main resource: its success headers and every failure."""
SCREEN_FAILURES: Responses = {**SCREEN_OK, **DOWNSTREAM_FAILURES}
"""A JSON screen without a main resource (it fails only when every section does)."""
