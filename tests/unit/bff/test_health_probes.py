"""``/healthz`` and ``/readyz``: alive while serving; ready only between a finished startup and the
start of a shutdown; breaker states reported without calling any downstream."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx
from support import USER, in_process, settings_for

from bff.app import create_app
from bff.lifecycle import Phase, lifecycle_of
from clients import SERVICES

pytestmark = pytest.mark.anyio


def _downstream(users_status: int = 200) -> respx.Router:
    router = respx.Router(base_url="http://down.test")
    router.get("/users/1").respond(users_status, json=USER if users_status == 200 else {})
    for path, key in [
        ("/carts/user/1", "carts"),
        ("/users/1/posts", "posts"),
        ("/users/1/todos", "todos"),
    ]:
        router.get(path).respond(json={key: [], "total": 0, "skip": 0, "limit": 0})
    return router


async def test_probes_follow_the_lifecycle_and_never_call_a_downstream(
    caplog: pytest.LogCaptureFixture,
) -> None:
    router = _downstream()
    app = create_app(
        settings_for("http://down.test"), transport=httpx.MockTransport(router.async_handler)
    )
    lifecycle = lifecycle_of(app)
    assert lifecycle.phase is Phase.STARTING

    async def scenario() -> httpx.AsyncClient:
        async with in_process(app) as (client, state):
            alive = await client.get("/healthz")
            assert alive.status_code == 200
            assert alive.json() == {"status": "alive"}
            assert alive.headers["cache-control"] == "no-store"

            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json() == {
                "status": "ready",
                "breakers": dict.fromkeys(SERVICES, "closed"),
            }
            assert ready.headers["cache-control"] == "no-store"

            # SIGTERM's first step: not ready any more, but still serving, screens included.
            assert lifecycle.begin_drain() is True
            assert lifecycle.begin_drain() is False
            draining = await client.get("/readyz")
            assert draining.status_code == 503
            assert draining.json()["status"] == "draining"
            assert (await client.get("/v1/users/1/profile")).status_code == 200
            assert (await client.get("/healthz")).status_code == 200
            http: httpx.AsyncClient = state["http"]
            return http

    with caplog.at_level(logging.INFO, logger="bff.lifecycle"):
        http = await scenario()

    assert lifecycle.phase is Phase.STOPPED
    assert http.is_closed
    assert "shutdown complete: downstream connection pool closed" in caplog.messages
    # Only the profile screen reached the downstreams; no probe did.
    assert router.calls.call_count == 4


async def test_readiness_reports_an_open_breaker_but_stays_ready() -> None:
    """One failing dependency must not take every replica out of rotation: screens answer it
    with partial responses and fast failures, which is the breaker's job, not the balancer's."""
    router = _downstream(users_status=503)
    app = create_app(
        settings_for("http://down.test", retry_attempts=1, breaker_consecutive_failures=1),
        transport=httpx.MockTransport(router.async_handler),
    )

    async def scenario() -> httpx.Response:
        async with in_process(app) as (client, _):
            assert (await client.get("/v1/users/1/profile")).status_code == 502
            return await client.get("/readyz")

    ready = await scenario()
    assert ready.status_code == 200
    breakers = ready.json()["breakers"]
    assert breakers["users"] == "open"
    assert {state for name, state in breakers.items() if name != "users"} == {"closed"}


def test_probes_are_not_part_of_the_frontend_contract() -> None:
    paths = create_app(settings_for("http://down.test")).openapi()["paths"]
    assert "/healthz" not in paths
    assert "/readyz" not in paths
