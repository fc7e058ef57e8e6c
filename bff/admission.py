"""Admission control: at most ``BFF_MAX_CONCURRENT_SCREENS`` screens fan out at once.

Past its CPU capacity a server queues work somewhere. Without a limit here, every accepted
request starts its fan-out at once and the queue forms in the connection pool, where waiting is
bounded by ``BFF_POOL_TIMEOUT``: under a burst, calls then fail with PoolTimeout and screens come
back partial or 503 although every downstream is healthy (measured: 1,000 connections against one
worker gave 4,023 failed answers in 30 s). With the limit, the excess requests wait *before*
fanning out, holding no pooled connection, in arrival order, and those admitted find the pool
nearly free. The wait is bounded by the request's own deadline; a request that cannot start
before it ends is refused with 503 ``overloaded`` and ``Retry-After`` instead of being started
too late.

A request's slot is held until the shared (single-flight) calls and background refreshes it
started have ended too, even when it answered earlier (its deadline passed, its frontend left):
those calls go on for the cache, and without this a flood of requests with tiny deadlines would
each leave a few running behind it, unbounded, until the pool is full (measured before: 16
connections with `X-Request-Timeout: 0.001` against a 1 s downstream made 1,597 calls in 6 s,
and an innocent profile got a PoolTimeout). So the pool never holds more than about the limit
times the calls of a screen.

One limiter per app, built by the lifespan (an ``asyncio.Semaphore`` belongs to the event loop
that serves it). Streaming routes are not limited: they hold a connection for as long as the
frontend reads, which says nothing about CPU.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextvars import Token
from typing import Any

from bff.errors import BFFError
from clients.context import RequestScope, current_scope, narrowed, remaining, scope_var

RETRY_AFTER_SECONDS = 1


class Admission:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots = asyncio.Semaphore(limit)
        self.waiting = 0
        """Requests waiting for a slot now (for metrics and the status page)."""
        self.refused = 0
        """Requests refused so far because their deadline ended while they waited."""
        self.in_flight = 0
        """Requests holding a slot now."""
        self.lingering = 0
        """Slots still held, after their request answered, by the shared calls it started."""

    def slot(self) -> _Slot:
        """Hold one of the slots while the block runs; wait for one within the deadline."""
        return _Slot(self)

    async def _acquire(self) -> None:
        if not self._slots.locked():
            await self._slots.acquire()  # free: no waiting, no timeout to arm
            return
        self.waiting += 1
        try:
            async with asyncio.timeout(remaining()):
                await self._slots.acquire()
        except TimeoutError:
            self.refused += 1
            raise BFFError(
                503,
                "The BFF is at capacity and could not start this request before its "
                "deadline; try again shortly.",
                code="overloaded",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            ) from None
        finally:
            self.waiting -= 1

    def _release(self, owned: list[asyncio.Future[Any]]) -> None:
        pending = [work for work in owned if not work.done()] if owned else None
        if pending:
            self._release_after(pending)
        else:
            self._slots.release()

    def _release_after(self, pending: Sequence[asyncio.Future[Any]]) -> None:
        self.lingering += 1
        left = len(pending)

        def finished(_: asyncio.Future[Any]) -> None:
            nonlocal left
            left -= 1
            if left == 0:
                self.lingering -= 1
                self._slots.release()

        for work in pending:
            work.add_done_callback(finished)


class _Slot:
    """One request's hold on a slot: a plain class rather than a generator-based context
    manager, since every screen request enters and leaves one."""

    __slots__ = ("_admission", "_owned", "_token")

    def __init__(self, admission: Admission) -> None:
        self._admission = admission
        self._owned: list[asyncio.Future[Any]] = []
        self._token: Token[RequestScope] | None = None

    async def __aenter__(self) -> None:
        admission = self._admission
        await admission._acquire()
        admission.in_flight += 1
        # The work the request starts that may outlive it (shared calls, refreshes) is noted in
        # the request's scope; the middleware gives every request a list of its own.
        owned = current_scope().owned
        if owned is None:
            self._token = narrowed(owned=self._owned)
        else:
            self._owned = owned

    async def __aexit__(self, *exc_info: object) -> None:
        if self._token is not None:
            scope_var.reset(self._token)
        admission = self._admission
        admission.in_flight -= 1
        admission._release(self._owned)
