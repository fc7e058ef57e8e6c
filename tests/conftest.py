"""Shared fixtures: the real simulator on a loopback port, and BFF apps built against it.

Every BFF here is built with ``create_app(Settings(_env_file=None, ...))`` so the developer's own
environment or ``.env`` never changes what a test sees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, get_args

import httpx
import pytest
from fastapi import FastAPI
from support import Simulator, reset_resilience, settings_for

from bff.app import create_app
from bff.settings import Settings
from simulator import BackgroundServer, create_simulator_app


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (``pytest.mark.anyio``) run on asyncio, the loop the app, its transports and
    the simulator are built on; each test gets a loop of its own."""
    return "asyncio"


@pytest.fixture(scope="session")
def simulator_server() -> Iterator[BackgroundServer]:
    with BackgroundServer(create_simulator_app()) as server:
        yield server


@pytest.fixture
def sim(simulator_server: BackgroundServer) -> Iterator[Simulator]:
    """The shared simulator with no faults and zeroed stats, before and after the test."""
    with httpx.Client(base_url=simulator_server.url, timeout=10) as control:
        simulator = Simulator(url=simulator_server.url, control=control)
        simulator.clear()
        yield simulator
        simulator.clear()


BffFactory = Callable[..., httpx.Client]
HTTP_TRANSPORTS: tuple[str, ...] = get_args(Settings.model_fields["http_transport"].annotation)


@pytest.fixture(scope="session", params=HTTP_TRANSPORTS)
def http_transport(request: pytest.FixtureRequest) -> str:
    """Every test that starts a BFF runs once per ``BFF_HTTP_TRANSPORT``: both stay supported."""
    return str(request.param)


@pytest.fixture
def start_bff(sim: Simulator, http_transport: str) -> Iterator[BffFactory]:
    """Start a real BFF server (loopback socket) against the simulator, with setting overrides."""
    started: list[tuple[BackgroundServer, httpx.Client]] = []

    def start(**overrides: Any) -> httpx.Client:
        app = create_app(settings_for(sim.url, **{"http_transport": http_transport, **overrides}))
        server = BackgroundServer(app)
        server.__enter__()
        client = httpx.Client(base_url=server.url, timeout=30)
        started.append((server, client))
        return client

    yield start
    for server, client in reversed(started):
        client.close()
        server.__exit__(None, None, None)


@pytest.fixture(scope="session")
def _shared_bff(
    simulator_server: BackgroundServer, http_transport: str
) -> Iterator[tuple[str, FastAPI]]:
    app = create_app(settings_for(simulator_server.url, http_transport=http_transport))
    with BackgroundServer(app) as server:
        yield server.url, app


@pytest.fixture
def bff(_shared_bff: tuple[str, FastAPI], sim: Simulator) -> Iterator[httpx.Client]:
    """A BFF with default settings, shared by the tests that need nothing special.

    Each test starts with fresh circuit breakers and retry budgets: the failures an earlier test
    injected must not open a breaker for the next one (that made results depend on test order).
    """
    url, app = _shared_bff
    reset_resilience(app.state.downstreams)
    with httpx.Client(base_url=url, timeout=30) as client:
        yield client
