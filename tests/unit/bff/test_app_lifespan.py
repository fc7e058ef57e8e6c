"""The app's lifespan owns one pooled AsyncClient, and tests reach it through the transport seam."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
from support import in_process, settings_for

from bff.app import create_app

pytestmark = pytest.mark.anyio

USER = {
    "id": 1,
    "firstName": "Emily",
    "lastName": "Johnson",
    "username": "emilys",
    "email": "emily@example.com",
    "password": "emilyspass",
    "ssn": "900-590-289",
}


def _empty(resource: str) -> dict[str, Any]:
    return {resource: [], "total": 0, "skip": 0, "limit": 0}


async def test_one_shared_client_serves_every_call_and_is_closed_on_shutdown() -> None:
    router = respx.Router(base_url="http://down.test", assert_all_called=True)
    router.get("/users/1").respond(json=USER)
    router.get("/carts/user/1").respond(json=_empty("carts"))
    router.get("/users/1/posts").respond(json=_empty("posts"))
    router.get("/users/1/todos").respond(json=_empty("todos"))
    app = create_app(
        settings_for("http://down.test"), transport=httpx.MockTransport(router.async_handler)
    )

    async def scenario() -> tuple[httpx.AsyncClient, httpx.Response, httpx.Response]:
        async with in_process(app) as (client, state):
            http: httpx.AsyncClient = state["http"]
            first = await client.get("/v1/users/1/profile")
            second = await client.get("/v1/users/1/profile")
            assert not http.is_closed
        return http, first, second

    http, first, second = await scenario()

    assert http.is_closed, "the lifespan closes the pool on shutdown"
    assert first.status_code == second.status_code == 200
    assert first.json()["user"]["username"] == "emilys"
    assert "ssn" not in first.text
    assert router.calls.call_count == 8
    request = router.calls.last.request
    assert request.headers["user-agent"].startswith("bff/")
    assert request.headers["x-request-id"] == second.headers["x-request-id"]


async def test_pool_settings_reach_the_client() -> None:
    app = create_app(
        settings_for(
            "http://down.test",
            http_transport="httpcore",
            pool_max_connections=7,
            pool_keepalive_expiry=1.5,
            connect_timeout=0.5,
        )
    )

    async def scenario() -> httpx.AsyncClient:
        async with in_process(app) as (_, state):
            http: httpx.AsyncClient = state["http"]
            return http

    http = await scenario()

    pool = http._transport._pool  # type: ignore[attr-defined]
    assert pool._max_connections == 7
    assert pool._keepalive_expiry == 1.5
    assert http.timeout.connect == 0.5
    assert http._trust_env is False


async def test_the_shared_client_never_keeps_a_users_cookies() -> None:
    """DummyJSON's login sets session cookies; a shared client must not replay them for others."""
    router = respx.Router(base_url="http://down.test", assert_all_called=True)
    login = router.post("/auth/login").respond(
        json={
            "accessToken": "a.b.c",
            "refreshToken": "d.e.f",
            "id": 1,
            "username": "emilys",
            "email": "emily@example.com",
            "firstName": "Emily",
            "lastName": "Johnson",
            "gender": "female",
            "image": "https://dummyjson.com/icon/emilys/128",
        },
        headers={"Set-Cookie": "accessToken=a.b.c; Path=/; HttpOnly"},
    )
    app = create_app(
        settings_for("http://down.test"), transport=httpx.MockTransport(router.async_handler)
    )

    async def scenario() -> int:
        async with in_process(app) as (client, state):
            for _ in range(2):
                response = await client.post(
                    "/v1/auth/login", json={"username": "emilys", "password": "emilyspass"}
                )
                assert response.status_code == 200, response.text
            return len(state["http"].cookies.jar)

    assert await scenario() == 0
    assert "cookie" not in login.calls.last.request.headers
