"""The drain in front of the server's signal handlers: SIGTERM turns readiness off at once and
reaches the server only when the drain ends (a second SIGTERM, or SIGINT, at once).

The "server" here is a recording handler installed where uvicorn's would be; the real thing runs
in tests/integration/test_graceful_shutdown.py.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Iterator
from types import FrameType

import pytest

from bff.lifecycle import Lifecycle, Phase, drain_on_signals

pytestmark = pytest.mark.anyio


class ServerHandler:
    """Stands in for uvicorn's ``handle_exit``."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self.event: asyncio.Event | None = None

    def __call__(self, sig: int, frame: FrameType | None) -> None:
        self.received.append(sig)
        if self.event is not None:
            self.event.set()


@pytest.fixture
def server() -> Iterator[ServerHandler]:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    handler = ServerHandler()
    for sig in saved:
        signal.signal(sig, handler)
    yield handler
    for sig, previous in saved.items():
        signal.signal(sig, previous)


def _deliver(sig: int) -> None:
    """Run the installed handler as the interpreter would on that signal."""
    handler = signal.getsignal(sig)
    assert callable(handler)
    handler(sig, None)


def _ready() -> Lifecycle:
    lifecycle = Lifecycle()
    lifecycle.phase = Phase.READY
    return lifecycle


async def test_sigterm_drains_first_then_reaches_the_server_once(server: ServerHandler) -> None:
    lifecycle = _ready()

    async def scenario() -> None:
        server.event = asyncio.Event()
        assert drain_on_signals(lifecycle, 0.05)
        _deliver(signal.SIGTERM)
        assert lifecycle.phase is Phase.DRAINING
        assert server.received == [], "the server keeps serving during the drain"
        await asyncio.wait_for(server.event.wait(), timeout=10)

    await scenario()
    assert server.received == [signal.SIGTERM]


async def test_a_second_sigterm_ends_the_drain_at_once(server: ServerHandler) -> None:
    lifecycle = _ready()

    async def scenario() -> None:
        assert drain_on_signals(lifecycle, 3600)
        _deliver(signal.SIGTERM)
        assert server.received == []
        _deliver(signal.SIGTERM)
        assert server.received == [signal.SIGTERM]

    await scenario()


def test_without_a_drain_sigterm_reaches_the_server_at_once(server: ServerHandler) -> None:
    lifecycle = _ready()
    assert drain_on_signals(lifecycle, 0)
    _deliver(signal.SIGTERM)
    assert lifecycle.phase is Phase.DRAINING
    assert server.received == [signal.SIGTERM]


def test_sigint_stops_at_once_and_readiness_with_it(server: ServerHandler) -> None:
    lifecycle = _ready()
    assert drain_on_signals(lifecycle, 3600)
    _deliver(signal.SIGINT)
    assert lifecycle.phase is Phase.DRAINING
    assert server.received == [signal.SIGINT]


def test_off_the_main_thread_nothing_is_installed(server: ServerHandler) -> None:
    results: list[bool] = []
    thread = threading.Thread(target=lambda: results.append(drain_on_signals(Lifecycle(), 5)))
    thread.start()
    thread.join()
    assert results == [False]
    assert signal.getsignal(signal.SIGTERM) is server
