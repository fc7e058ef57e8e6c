"""The application factory and its lifespan, which owns the one pooled ``httpx.AsyncClient``.

One client for the whole process, created when the app starts and closed when it stops, is
the answer to "how do I call other services from FastAPI": a client per request pays a TCP
(and TLS) handshake per call and defeats the pool; ``requests`` in a thread ties up a worker
thread per call. The pool's limits are settings, chosen on purpose (see ``bff/settings.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any, TypedDict

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute

from bff import __version__
from bff.contract import install_contract
from bff.docs import install_docs
from bff.errors import install_error_handlers
from bff.observability import RequestContextMiddleware
from bff.routes import ROUTERS
from bff.settings import Settings
from bff.transport import build_transport
from clients import Downstreams
from clients.media import MediaClient
from schemas.responses import Problem


class LifespanState(TypedDict):
    """What every request finds in ``request.state``."""

    http: httpx.AsyncClient
    downstreams: Downstreams
    media: MediaClient


def _no_cookies() -> CookieJar:
    """A jar that accepts nothing: the client is shared by every user, so a session cookie that
    one user's login sets (DummyJSON sets them) must never ride along on another user's call."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def build_http_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The shared client. ``trust_env=False``: proxy variables of the host must not silently
    reroute downstream traffic (or a bearer token) somewhere else."""
    return httpx.AsyncClient(
        cookies=_no_cookies(),
        # The pool settings live on the transport: httpx ignores `limits` when given one.
        transport=transport or build_transport(settings),
        timeout=httpx.Timeout(
            settings.downstream_timeout,
            connect=settings.connect_timeout,
            pool=settings.pool_timeout,
        ),
        headers={"User-Agent": f"bff/{__version__}"},
        follow_redirects=False,
        trust_env=False,
    )


def _operation_id(route: APIRoute) -> str:
    """Stable ids (tag + function name) so generated frontend clients keep their method names."""
    tag = str(route.tags[0]) if route.tags else "bff"
    return f"{tag}_{route.name}"


def create_app(
    settings: Settings | None = None, *, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """Build the app. ``transport`` replaces the network for tests (``httpx.MockTransport``,
    a respx router) without patching; note that httpx then ignores the pool limits."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[LifespanState]:
        async with build_http_client(settings, transport) as http:
            # Also on app.state, read-only, for tests and diagnostics that inspect the pool.
            app.state.http = http
            yield {
                "http": http,
                "downstreams": Downstreams.build(http, settings.service_policies()),
                "media": MediaClient(http, settings.media_policy()),
            }

    error_responses: dict[int | str, dict[str, Any]] = {
        422: {"model": Problem, "description": "Invalid input."},
    }
    app = FastAPI(
        title="BFF",
        version=__version__,
        summary="One aggregated, typed endpoint per screen over concurrent downstream calls.",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        responses=error_responses,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.add_middleware(RequestContextMiddleware, request_timeout=settings.request_timeout)
    install_error_handlers(app)
    install_contract(app)
    install_docs(app)
    for router in ROUTERS:
        app.include_router(router)
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` and ``bff serve``: settings from the environment."""
    return create_app(Settings())
