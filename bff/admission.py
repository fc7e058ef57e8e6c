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
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from bff.errors import BFFError
from clients.context import narrowed, remaining, scope_var

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

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the slots while the block runs; wait for one within the deadline."""
        if not self._slots.locked():
            await self._slots.acquire()  # free: no waiting, no timeout to arm
        else:
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
        self.in_flight += 1
        owned: list[asyncio.Future[Any]] = []
        token = narrowed(owned=owned)
        try:
            yield
        finally:
            scope_var.reset(token)
            self.in_flight -= 1
            pending = [work for work in owned if not work.done()]
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
