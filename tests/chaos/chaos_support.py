"""A real BFF on a loopback port, with the checks every chaos request must pass.

Every request made through `ChaosBFF.get`/`post` is checked for the suite's invariants: never a
500, never an answer later than the request's deadline plus a small margin, a `Server-Timing`
header, and an idle connection pool once the answer is in (every pooled connection back or
closed, nobody queued). With the cache on, a shared call (single-flight) rightly outlives a
waiter whose deadline passed, so there a busy connection must belong to a shared call still
running; once those end (`settle`), the pool must be idle again.

The lifespan state (the shared client, the `Downstreams` with their breakers, the cache) is
captured from the ASGI lifespan scope, so tests read the app's real objects without any
test-only hook in the app.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send
from support import pool_in_use, settings_for, wait_until

from bff.app import create_app
from bff.settings import Settings
from clients import Downstreams
from clients.breaker import CircuitBreaker
from clients.cache import Clock
from clients.cache_layer import CacheLayer
from simulator import BackgroundServer

DEADLINE_MARGIN = 0.5
"""Seconds an answer may come after the request's deadline (scheduling, serialising, loopback)."""
SHARED_CALL_BOUND = 10.0
"""Seconds a shared call may still run after its last waiter left: its attempts are bounded by
the service's policy (at most a few timeouts and back-offs here), never by a caller."""


class _LifespanCapture:
    """Keeps a reference to the lifespan state dict that the server hands to every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.state: dict[str, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            self.state = scope.setdefault("state", {})
        await self.app(scope, receive, send)


class ChaosBFF:
    def __init__(
        self,
        client: httpx.Client,
        capture: _LifespanCapture,
        settings: Settings,
        clock: Clock | None = None,
    ):
        self.client = client
        self._capture = capture
        self.settings = settings
        self.clock = clock
        """The clock handed to the app, if any (a ManualClock)."""

    @property
    def http(self) -> httpx.AsyncClient:
        http: httpx.AsyncClient = self._capture.state["http"]
        return http

    @property
    def downstreams(self) -> Downstreams:
        downstreams: Downstreams = self._capture.state["downstreams"]
        return downstreams

    def breaker(self, service: str) -> CircuitBreaker:
        return self.downstreams.breakers[service]

    def pool_in_use(self) -> int:
        return pool_in_use(self.http)

    @property
    def cache_on(self) -> bool:
        return self.settings.cache_enabled

    @property
    def cache(self) -> CacheLayer:
        cache: CacheLayer = self._capture.state["cache"]
        return cache

    def shared_calls(self) -> int:
        """Shared calls (single-flight loads, background refreshes) still running; always 0
        with the cache off."""
        return len(self.cache.response.flights)

    def settle(self) -> None:
        """Wait for the shared calls that outlived their waiters, then check the pool is idle."""
        assert wait_until(lambda: self.shared_calls() == 0, within=SHARED_CALL_BOUND), (
            f"{self.shared_calls()} shared calls still running after {SHARED_CALL_BOUND}s"
        )
        assert self.pool_in_use() == 0, "a pooled connection was left busy after the calls ended"

    def forget(self) -> None:
        """Settle, then empty the cache: the next test starts cold, as a fresh BFF would.
        (Nothing runs on the server's loop by then, so purging from this thread is safe.)"""
        self.settle()
        self.cache.response.purge()

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def request(
        self, method: str, path: str, *, deadline: float | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send one request (with `X-Request-Timeout: deadline` when given) and check it."""
        headers = dict(kwargs.pop("headers", None) or {})
        if deadline is not None:
            headers["X-Request-Timeout"] = str(deadline)
        budget = min(deadline or self.settings.request_timeout, self.settings.request_timeout)
        started = time.perf_counter()
        response = self.client.request(method, path, headers=headers, **kwargs)
        elapsed = time.perf_counter() - started
        assert response.status_code != 500, response.text
        assert elapsed <= budget + DEADLINE_MARGIN, (
            f"{method} {path} answered after {elapsed:.3f}s; its deadline was {budget}s"
        )
        assert "server-timing" in response.headers
        # Read in this order: a shared call gives its connection back before it leaves the
        # count, so a connection seen busy after the count was read belongs to one counted.
        shared = self.shared_calls()
        busy = self.pool_in_use()
        assert busy <= shared, (
            f"{busy} pooled connections left busy after the answer, "
            f"{shared} shared calls still running"
        )
        return response


@contextmanager
def serve_bff(
    downstream_url: str, *, clock: Clock | None = None, **overrides: Any
) -> Iterator[ChaosBFF]:
    """A real BFF over loopback; ``clock`` (a ManualClock) drives its breakers, budgets,
    cool-downs and cache, so a test steps past an open breaker instead of sleeping."""
    settings = settings_for(downstream_url, **overrides)
    capture = _LifespanCapture(create_app(settings, clock=clock))
    with (
        BackgroundServer(capture) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        bff = ChaosBFF(client, capture, settings, clock)
        yield bff
        bff.settle()


def sections(response: httpx.Response) -> dict[str, dict[str, Any]]:
    meta: dict[str, dict[str, Any]] = response.json()["meta"]["sections"]
    return meta
