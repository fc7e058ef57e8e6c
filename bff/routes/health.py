"""Probes for orchestrators and load balancers: ``/healthz`` (alive) and ``/readyz`` (ready).

They are left out of the OpenAPI contract: they are no screen, frontends never call them, and
Kubernetes reads no spec. Neither calls a downstream: a probe that fails when a downstream does
would take every replica out of rotation at once over one dependency's outage, which the
screens already survive with partial answers and open breakers. So ``/readyz`` *reports* each
downstream's breaker state (for people and dashboards) but judges only the BFF itself: its
lifespan has started everything and it is not shutting down (``bff/lifecycle.py``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bff.lifecycle import lifecycle_of

router = APIRouter(tags=["health"], include_in_schema=False)

# A cached probe answer would hide the very change it exists to show.
_NO_STORE = {"Cache-Control": "no-store"}


@router.get("/healthz")
async def healthz() -> JSONResponse:
    """Alive: the process answers HTTP. Failing it means "restart me"."""
    return JSONResponse({"status": "alive"}, headers=_NO_STORE)


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready for traffic (200), or starting, draining or stopping (503)."""
    lifecycle = lifecycle_of(request.app)
    downstreams = getattr(request.state, "downstreams", None)
    breakers = (
        {name: breaker.state.value for name, breaker in downstreams.breakers.items()}
        if downstreams is not None
        else {}
    )
    return JSONResponse(
        {"status": lifecycle.phase.value, "breakers": breakers},
        status_code=200 if lifecycle.ready else 503,
        headers=_NO_STORE,
    )
