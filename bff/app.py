"""The application factory and its lifespan, which owns the one pooled ``httpx.AsyncClient``.

One client for the whole process, created when the app starts and closed when it stops, is
the answer to "how do I call other services from FastAPI": a client per request pays a TCP
(and TLS) handshake per call and defeats the pool; ``requests`` in a thread ties up a worker
thread per call. The pool's limits are settings, chosen on purpose (see ``bff/settings.py``).
"""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import TYPE_CHECKING, Any, TypedDict

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute

from bff import __version__
from bff.admission import Admission
from bff.compression import install_compression
from bff.contract import install_contract
from bff.cors import CORSMiddleware, CORSPolicy
from bff.docs import install_docs
from bff.edge import EdgeMiddleware
from bff.errors import install_error_handlers
from bff.http_caching import RenderedScreens
from bff.lifecycle import drain_on_signals, install_lifecycle, lifecycle_of
from bff.logs import log_request
from bff.metrics import Metrics, install_metrics
from bff.observability import RequestContextMiddleware
from bff.routes import ROUTERS, health
from bff.settings import Settings
from bff.status import StatusRecorder, install_status
from bff.transport import STREAM_RECEIVE_BUFFER, build_transport, stream_limits
from clients import CLIENTS, Downstreams, ServiceClient
from clients.cache import Clock, ResponseCache
from clients.cache_layer import CacheLayer
from clients.internals import verify_once
from clients.media import MediaClient
from clients.registry import services_of
from clients.replicas import ReplicaLink
from clients.shared_cache import SharedCacheTier
from schemas.responses import Problem

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


class LifespanState(TypedDict):
    """What every request finds in ``request.state``."""

    http: httpx.AsyncClient
    downstreams: Downstreams
    media: MediaClient
    media_http: httpx.AsyncClient
    cache: CacheLayer
    admission: Admission
    screens: RenderedScreens


class _NoCookieJar(CookieJar):
    """A jar that never reads a response: httpx hands it every response, and even a jar whose
    policy refuses everything first copies the headers into an ``email.message.Message`` to
    parse them (about 5% of the BFF's CPU per uncached screen, measured with bench/). httpx keeps
    a jar passed as ``cookies=`` as it is (a ``Cookies`` subclass would be copied into a plain
    one), so this is the hook it offers."""

    def extract_cookies(self, response: object, request: object) -> None:
        return None


def _no_cookies() -> CookieJar:
    """A jar that accepts nothing: the client is shared by every user, so a session cookie that
    one user's login sets (DummyJSON sets them) must never ride along on another user's call.
    The policy also keeps a cookie set by hand from being sent anywhere."""
    return _NoCookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def build_http_client(
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    streams: bool = False,
) -> httpx.AsyncClient:
    """The shared client (or, with ``streams``, the pictures' client over a pool of its own).
    ``trust_env=False``: proxy variables of the host must not silently reroute downstream
    traffic (or a bearer token) somewhere else."""
    return httpx.AsyncClient(
        cookies=_no_cookies(),
        # The pool settings live on the transport: httpx ignores `limits` when given one.
        transport=transport
        or (
            build_transport(settings, stream_limits(settings), receive_buffer=STREAM_RECEIVE_BUFFER)
            if streams
            else build_transport(settings)
        ),
        timeout=httpx.Timeout(
            settings.downstream_timeout,
            connect=settings.connect_timeout,
            pool=settings.pool_timeout,
        ),
        headers={"User-Agent": f"bff/{__version__}"},
        follow_redirects=False,
        trust_env=False,
    )


def build_cache(settings: Settings, clock: Clock | None = None) -> CacheLayer:
    """The process's cache: the in-process tier always (disabled when the setting says so),
    Redis behind it when ``BFF_CACHE_REDIS_URL`` is set."""
    clock = clock or time.monotonic
    response = ResponseCache(clock=clock, enabled=settings.cache_enabled)
    tier = None
    if settings.cache_redis_url and settings.cache_enabled:
        tier = SharedCacheTier(
            settings.cache_redis_url,
            counters=response.counters,
            clock=clock,
            timeout=settings.cache_redis_timeout,
            pause_after_failure=settings.cache_redis_retry_seconds,
            lease=settings.cache_lease_seconds,
        )
    return CacheLayer(response, settings.resolved_cache_policies(), tier=tier)


def build_replica_link(
    settings: Settings, cache: CacheLayer, downstreams: Downstreams
) -> ReplicaLink | None:
    """With Redis, this replica's link to the others: purges and rate-limit cool-downs reach
    every replica (``clients/replicas.py``). Shared even with the cache off: the cool-downs
    protect a downstream's limit either way."""
    if not settings.cache_redis_url:
        return None
    return ReplicaLink(
        settings.cache_redis_url,
        cache=cache.response,
        cooldowns=downstreams.cooldowns.values(),
        counters=cache.counters,
        timeout=settings.cache_redis_timeout,
        retry=settings.cache_redis_retry_seconds,
    )


def _operation_id(route: APIRoute) -> str:
    """Stable ids (tag + function name) so generated frontend clients keep their method names."""
    tag = str(route.tags[0]) if route.tags else "bff"
    return f"{tag}_{route.name}"


def create_app(
    settings: Settings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock | None = None,
    tracer_provider: TracerProvider | None = None,
    clients: Sequence[type[ServiceClient]] = CLIENTS,
) -> FastAPI:
    """Build the app. ``transport`` replaces the network for tests (``httpx.MockTransport``,
    a respx router) without patching; note that httpx then ignores the pool limits. ``clock``
    replaces the monotonic clock of the cache and of the rate-limit cool-downs, so tests can step
    past a TTL or a rate-limit window instead of sleeping.
    ``tracer_provider`` turns tracing on (``bff/tracing.py``); without one nothing is traced.
    ``clients`` are the typed clients to build (``clients.registry.CLIENTS``; a test adds one
    to show how a downstream is added). Their policies are resolved here, so a per-API setting
    naming no service fails when the app is built, not when it starts."""
    settings = settings or Settings()
    policies = settings.service_policies(services_of(clients))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[LifespanState]:
        # First: a library release that dropped or changed a private name the BFF relies on
        # with no public path stops start-up here, naming it (``clients/internals.py``).
        verify_once()
        cache = build_cache(settings, clock)
        async with (
            build_http_client(settings, transport) as http,
            # Pictures' bulkhead: their own pool, so slow or abandoned streams can never take
            # the connections the screens need.
            build_http_client(settings, transport, streams=True) as media_http,
        ):
            downstreams = Downstreams.build(
                http, policies, clients=clients, cache=cache, clock=clock
            )
            media = MediaClient(
                media_http,
                settings.media(),
                max_streams=settings.max_concurrent_streams,
                clock=clock,
            )
            link = build_replica_link(settings, cache, downstreams)
            if link is not None:
                link.start()
                cache.link = link
            admission = Admission(settings.max_concurrent_screens)
            app.state.admission = admission
            # Also on app.state, read-only, for tests and diagnostics that inspect the pool, the
            # breakers or the cache.
            app.state.http = http
            app.state.cache = cache
            app.state.downstreams = downstreams
            app.state.media = media
            app.state.media_http = media_http
            try:
                yield {
                    "http": http,
                    "downstreams": downstreams,
                    "media": media,
                    "media_http": media_http,
                    "cache": cache,
                    "admission": admission,
                    "screens": RenderedScreens(),
                }
            finally:
                if link is not None:
                    await link.aclose()
                # Before the client closes: background refreshes still use it.
                await cache.aclose()

    error_responses: dict[int | str, dict[str, Any]] = {
        422: {
            "model": Problem,
            "description": "Invalid input: a parameter out of its pattern or range (ids are "
            "plain digits), or a body that is not JSON in UTF-8 or not the documented shape; "
            "`errors` lists each problem.",
        },
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
    # Per app, never per process: tests build many apps in one process.
    app.state.metrics = metrics = Metrics()
    app.state.status = status = StatusRecorder()
    # Outermost last: request context, CORS (so the door's refusals carry its headers too), the
    # door's limits (so HEAD is a GET to everything inside, compression included, and its
    # headers are those of the GET), then per-coding ETags around compression.
    if settings.compression_enabled:
        install_compression(app, minimum_size=settings.compression_min_size)
    app.add_middleware(
        EdgeMiddleware,
        max_body_bytes=settings.max_body_bytes,
        ops_listener=settings.ops_port is not None,
    )
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, policy=CORSPolicy.from_settings(settings))
    app.add_middleware(
        RequestContextMiddleware,
        request_timeout=settings.request_timeout,
        min_request_timeout=settings.min_request_timeout,
        observers=(metrics.observe, status.observe, log_request),
    )
    install_error_handlers(app)
    install_contract(app)
    install_docs(app)
    install_metrics(app, metrics)
    install_status(app, status)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(health.router)
    if tracer_provider is not None:
        # Imported only when used: the instrumentations cost import time and nothing else.
        from bff.tracing import install_tracing

        install_tracing(app, tracer_provider)
    install_lifecycle(app)
    return app


YOUNG_COLLECTION_THRESHOLD = 50_000
"""Net allocations of tracked objects between two young-generation collections (CPython's
default is 700)."""


def tune_garbage_collector() -> None:
    """Spare the serving process most of the cyclic garbage collector's work.

    Nearly everything a request allocates is freed by reference counting the moment it is done
    with, yet CPython starts a collection of the young generation every 700 net allocations, and
    each one traverses every object still alive: the requests in flight. The more requests wait
    on their downstreams at once (a 50 ms downstream holds 32 screens' objects alive), the more
    each collection costs, and the more of those objects survive into older generations, whose
    collections also traverse the whole heap of the framework, the models and the settings.
    Measured with bench/ (64 connections, cache off): 19% of the BFF's CPU per screen at 0 and
    at 50 ms of downstream delay; with the startup heap frozen and this threshold, under 1%.

    ``gc.freeze`` moves everything alive after startup (the imported modules, the app, its
    routes and models) into a generation no collection visits; the higher threshold lets the
    requests in flight finish before a collection looks at them. Cyclic garbage is still
    collected, after at most this many net allocations (a few MiB at most).
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, old)


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` and ``bff serve``: settings and ``OTEL_*`` tracing from
    the environment, the shutdown drain in front of the server's signal handlers, and the
    garbage collector tuned for serving (not in `create_app`: tests build many apps in one
    process, and a frozen heap is never collected)."""
    from bff.memory import return_large_buffers
    from bff.tracing import provider_from_env

    return_large_buffers()
    settings = Settings()
    app = create_app(settings, tracer_provider=provider_from_env())
    drain_on_signals(lifecycle_of(app), settings.shutdown_drain_seconds)
    tune_garbage_collector()
    return app
