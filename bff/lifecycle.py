"""Readiness and graceful shutdown: what ``/readyz`` reports, and what SIGTERM does first.

A load balancer (a Kubernetes Service, for one) stops routing to a replica only once it notices
the replica is going; SIGTERM and that removal start at the same moment, not one after the other.
A server that closes its listener on SIGTERM therefore refuses the requests still being routed to
it for a few seconds. So the shutdown has three steps:

1. **Drain** (``BFF_SHUTDOWN_DRAIN_SECONDS``): at SIGTERM ``/readyz`` turns 503 at once, and the
   server keeps serving everything, new requests included, while the balancer notices.
2. **Grace** (``BFF_SHUTDOWN_GRACE_SECONDS``, uvicorn's ``timeout_graceful_shutdown``): the
   listener closes, idle keep-alive connections are closed, and in-flight requests get this long
   to finish; any left are cancelled.
3. **Close**: the lifespan's shutdown closes the pooled client and the Redis connections.

Step 1 is ours; uvicorn does 2 and 3. The drain wraps the SIGTERM handler uvicorn installed
(``drain_on_signals``, called by the production factory ``bff.app:app_from_env``, which uvicorn
calls in each worker process after installing its handlers): the first SIGTERM starts the drain
and hands the signal on to uvicorn when it ends; a second one (or SIGINT, Ctrl-C) hands it on at
once. Apps built by ``create_app`` alone (tests, embedding) never touch signal handlers.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from enum import StrEnum
from types import FrameType
from typing import Any

import httpx
from fastapi import FastAPI

logger = logging.getLogger("bff.lifecycle")


class Phase(StrEnum):
    STARTING = "starting"
    """The lifespan has not finished starting: nothing to serve with yet."""
    READY = "ready"
    DRAINING = "draining"
    """SIGTERM received: still serving, but asking to be taken out of rotation."""
    STOPPING = "stopping"
    """The lifespan's shutdown has begun: the pooled client is being closed."""
    STOPPED = "stopped"


class Lifecycle:
    """One app's serving phase. Changed by the lifespan and by signals; read by ``/readyz``.

    Plain attribute writes, no lock: signal handlers run on the main thread between bytecodes,
    and every reader is on the event loop of that same thread.
    """

    __slots__ = ("phase",)

    def __init__(self) -> None:
        self.phase = Phase.STARTING

    @property
    def ready(self) -> bool:
        return self.phase is Phase.READY

    def begin_drain(self) -> bool:
        """Stop being ready; True if this call is what started the drain."""
        if self.phase in (Phase.STARTING, Phase.READY):
            self.phase = Phase.DRAINING
            return True
        return False


def lifecycle_of(app: FastAPI) -> Lifecycle:
    lifecycle: Lifecycle = app.state.lifecycle
    return lifecycle


def install_lifecycle(app: FastAPI) -> Lifecycle:
    """Track the app's phase around its lifespan (on ``app.state.lifecycle``).

    Wraps whatever lifespan the app has, so it is ready only once that lifespan has started
    everything, and stops being ready before its shutdown begins. Call it last in
    ``create_app``, after anything else that wraps the lifespan.
    """
    lifecycle = Lifecycle()
    app.state.lifecycle = lifecycle
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def tracked_lifespan(app: Any) -> AsyncIterator[Any]:
        async with inner(app) as state:
            if lifecycle.phase is Phase.STARTING:
                lifecycle.phase = Phase.READY
            try:
                yield state
            finally:
                lifecycle.phase = Phase.STOPPING
        lifecycle.phase = Phase.STOPPED
        _log_closed(state)

    app.router.lifespan_context = tracked_lifespan
    return lifecycle


def _log_closed(state: Mapping[str, Any] | None) -> None:
    """Say what the shutdown left behind, as observed (an operator's check, and the tests')."""
    http = (state or {}).get("http")
    if isinstance(http, httpx.AsyncClient):
        closed = "closed" if http.is_closed else "STILL OPEN"
        logger.info("shutdown complete: downstream connection pool %s", closed)


_Handler = Callable[[int, FrameType | None], Any]


def drain_on_signals(lifecycle: Lifecycle, drain_seconds: float) -> bool:
    """Put the drain in front of the current SIGTERM and SIGINT handlers (uvicorn's).

    Returns False, changing nothing, off the main thread (only it may set handlers) or when the
    current handler is not a Python callable (nothing to hand the signal on to).
    """
    if threading.current_thread() is not threading.main_thread():
        return False
    on_term = signal.getsignal(signal.SIGTERM)
    on_int = signal.getsignal(signal.SIGINT)
    if not callable(on_term):
        return False
    handed_on = False

    def hand_on(sig: int, frame: FrameType | None) -> None:
        nonlocal handed_on
        if not handed_on:
            handed_on = True
            on_term(sig, frame)

    def sigterm(sig: int, frame: FrameType | None) -> None:
        started = lifecycle.begin_drain()
        if not started or drain_seconds <= 0:
            hand_on(sig, frame)
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            hand_on(sig, frame)
            return
        logger.info(
            "SIGTERM: not ready any more; serving for %.3g s more before shutting down",
            drain_seconds,
        )
        # The documented way to reach the loop from a signal handler.
        loop.call_soon_threadsafe(loop.call_later, drain_seconds, hand_on, sig, None)

    signal.signal(signal.SIGTERM, sigterm)
    if callable(on_int):
        interrupt: _Handler = on_int

        def sigint(sig: int, frame: FrameType | None) -> None:
            lifecycle.begin_drain()
            interrupt(sig, frame)

        signal.signal(signal.SIGINT, sigint)
    return True
