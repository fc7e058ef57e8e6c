"""Operator endpoints, guarded by ``BFF_ADMIN_TOKEN``.

They are off unless a token is configured (403; an empty or blank token counts as none, or an
empty ``Bearer`` header would match it), and a wrong or missing token is a 401: an
unguarded purge would let anyone empty the cache and send the whole traffic to the downstreams.
The token is compared in constant time.
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bff.deps import CacheDep
from bff.errors import BFFError
from bff.routes.params import BODY_TOO_LARGE, Responses, problem_doc
from bff.settings import Settings
from schemas.responses import CachePurgeRequest, CachePurgeResult

logger = logging.getLogger("bff.admin")

_bearer = HTTPBearer(
    auto_error=False, scheme_name="AdminToken", description="The value of `BFF_ADMIN_TOKEN`."
)

ADMIN_ERRORS: Responses = {
    401: problem_doc("The admin bearer token is missing or wrong."),
    403: problem_doc("Admin endpoints are off: `BFF_ADMIN_TOKEN` is not set (or empty)."),
    **BODY_TOO_LARGE,
}


async def require_admin(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    # The settings straight from the app, not through SettingsDep: one level of dependencies
    # (see bff/deps.py).
    settings: Settings = request.app.state.settings
    token = settings.admin_token.get_secret_value() if settings.admin_token else ""
    if not token.strip():
        raise BFFError(403, "Admin endpoints are off: set BFF_ADMIN_TOKEN.", code="forbidden")
    expected = token.encode()
    given = credentials.credentials.encode() if credentials is not None else b""
    if not hmac.compare_digest(given, expected):
        raise BFFError(
            401,
            "A valid admin bearer token is required.",
            code="unauthorized",
            headers={"WWW-Authenticate": "Bearer"},
        )


router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])


@router.post("/cache/purge", responses=ADMIN_ERRORS)
async def purge_cache(
    cache: CacheDep, request: Annotated[CachePurgeRequest | None, Body()] = None
) -> CachePurgeResult:
    """Drop cached downstream answers, in this process, in the shared tier and, through Redis,
    in every other replica's in-process tier (`replicas` says how many purged)."""
    prefix = request.prefix if request is not None else ""
    in_process, shared = await cache.purge(prefix)
    replicas = await cache.broadcast_purge(prefix)
    logger.info(
        "cache purged: prefix=%r in_process=%d shared=%d replicas=%d",
        prefix,
        in_process,
        shared,
        replicas,
    )
    return CachePurgeResult(prefix=prefix, in_process=in_process, shared=shared, replicas=replicas)
