"""The simulator application: DummyJSON's contract on loopback, with faults on demand.

Plain Starlette rather than FastAPI: the simulator is the downstream in load benchmarks, and every
microsecond it spends is charged to the BFF under test.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from simulator.auth import AuthRoutes
from simulator.control import ControlRoutes
from simulator.media import media_routes
from simulator.middleware import SimulatorMiddleware, install_reset_log_filter
from simulator.ratelimit import RateLimit
from simulator.responses import (
    GZIP_LEVEL,
    GZIP_MINIMUM_SIZE,
    ApiError,
    error_response,
    not_found_html,
)
from simulator.routes import DataRoutes
from simulator.state import SimulatorState


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message)


async def _unknown_path(request: Request, exc: Exception) -> Response:
    """Unknown paths and unsupported methods get Express's HTML 404, as on the real service."""
    assert isinstance(exc, HTTPException)
    return not_found_html(request.method, request.url.path)


def create_simulator_app(
    *,
    seed: int = 42,
    delay_ms: int = 0,
    rate_limit: RateLimit | None = None,
    clock: Callable[[], float] = time.monotonic,
    dated: bool = False,
) -> Starlette:
    """A fresh simulator with its own data, fault rules and counters (`app.state.simulator`).

    `delay_ms` adds a fixed latency to every data route (not to `/__sim/*`), to stand in for the
    network distance to a real downstream. `rate_limit` starts it in rate-limit mode
    (`simulator/ratelimit.py`), whose windows run on `clock` (tests pass a manual one).
    `dated`: its answers carry a `Date` from that clock (a whole second of wall time when it
    reads 0), for a server started without its own; so the reset time and the date agree.
    """
    install_reset_log_filter()
    state = SimulatorState.build(seed=seed, delay_ms=delay_ms)
    state.rate_limiter.clock = clock
    if dated:
        epoch = float(int(time.time())) - clock()
        state.rate_limiter.wall = lambda: epoch + clock()
        state.rate_limiter.dated = True
    state.rate_limiter.configure(rate_limit)
    routes: list[BaseRoute] = [
        *ControlRoutes(state).routes(),
        *AuthRoutes(state).routes(),
        *DataRoutes(state).routes(),
        *media_routes(),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SimulatorMiddleware, state=state, routes=routes),
            Middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_SIZE, compresslevel=GZIP_LEVEL),
        ],
        exception_handlers={ApiError: _api_error, 404: _unknown_path, 405: _unknown_path},
    )
    app.router.redirect_slashes = False
    app.state.simulator = state
    return app
