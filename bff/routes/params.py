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

NOT_FOUND: Responses = {404: _problem("The screen's main resource does not exist.")}
UNAUTHORIZED: Responses = {401: _problem("The bearer token is missing, malformed or expired.")}
DOWNSTREAM_FAILURES: Responses = {
    502: _problem("A required downstream failed or answered something unusable."),
    503: _problem("A required downstream is rate limiting or its circuit is open."),
    504: _problem("A required downstream did not answer before the request's deadline."),
}
SCREEN_ERRORS: Responses = {**NOT_FOUND, **DOWNSTREAM_FAILURES}
