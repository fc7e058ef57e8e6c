"""Forged tokens are the caller's problem: 401 for them, never an outage of the auth API.

DummyJSON answers a forged or garbled JWT on `/auth/me` with a 500 (`invalid signature`, `invalid
token`, `jwt signature is required`) or a 400 (`Invalid access token`); relayed as 502 and counted
by the `auth` breaker, ten of them locked every user out of `/v1/me` and login. Real sockets, the
real simulator, every shape of bad token.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from support import Simulator, assert_problem, settings_for

from bff.app import create_app
from clients.breaker import BreakerState
from simulator import BackgroundServer
from simulator import jwt as sim_jwt

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

FORGED_CALLS = 1000
CONCURRENCY = 32


def _forged_tokens(refresh_token: str) -> dict[str, str]:
    """One token per way a bad token fails at the real service, named by its answer there."""
    claims = {"id": 1, "username": "emilys"}
    good = sim_jwt.encode(claims)
    head, body, signature = good.split(".")
    return {
        "500 invalid signature": f"{head}.{body}.{signature[::-1]}",
        "500 invalid signature (a refresh token)": refresh_token,
        "500 invalid token": "not.a.jwt",
        "500 jwt signature is required": f"{head}.{body}.",
        "400 Invalid access token": sim_jwt.encode({"id": 1, "username": "no-such-user"}),
        "401 jwt malformed": "garbage",
        "401 jwt expired": sim_jwt.encode(claims, expires_in_mins=1, now=time.time() - 3600),
    }


@pytest.fixture
def bff_app(sim: Simulator, http_transport: str) -> Iterator[tuple[httpx.Client, FastAPI]]:
    app = create_app(settings_for(sim.url, http_transport=http_transport))
    with BackgroundServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield client, app


def _login(bff: httpx.Client) -> dict[str, str]:
    response = bff.post("/v1/auth/login", json={"username": "emilys", "password": "emilyspass"})
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


async def _flood(url: str, tokens: list[str]) -> list[httpx.Response]:
    limit = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def one(token: str) -> httpx.Response:
            async with limit:
                return await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})

        return await asyncio.gather(*(one(token) for token in tokens))


# The flood is about what an answer means, which no transport changes: on the default one only
# (the other tests of this file run on both), to keep the suite's time.
@pytest.mark.parametrize("http_transport", ["aiohttp"])
async def test_forged_tokens_get_401_and_lock_nobody_out(
    bff_app: tuple[httpx.Client, FastAPI], sim: Simulator
) -> None:
    bff, app = bff_app
    shapes = _forged_tokens(_login(bff)["refreshToken"])
    for name, token in shapes.items():  # the simulator answers each the way its name says
        status, message = name.split(" (")[0].split(" ", 1)
        answer = sim.control.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert (answer.status_code, answer.json()["message"]) == (
            int(status),
            {"jwt malformed": "Invalid/Expired Token!", "jwt expired": "Token Expired!"}.get(
                message, message
            ),
        )
    sim.clear()
    tokens = list(shapes.values())
    flood = [tokens[index % len(tokens)] for index in range(FORGED_CALLS)]

    started = time.perf_counter()
    responses = await _flood(str(bff.base_url), flood)
    elapsed = time.perf_counter() - started

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {401: FORGED_CALLS}, statuses
    for response in responses[: len(tokens)]:
        assert_problem(response, 401)
    assert all(r.headers.get("www-authenticate") == "Bearer" for r in responses)
    assert sim.route_count("/auth/me") == FORGED_CALLS, "no retries of a refused token"
    breaker = app.state.downstreams.breakers["auth"]
    assert breaker.state is BreakerState.CLOSED
    assert breaker.transitions[BreakerState.OPEN] == 0

    session = _login(bff)
    me = bff.get("/v1/me", headers={"Authorization": f"Bearer {session['accessToken']}"})
    assert me.status_code == 200, me.text
    print(f"{FORGED_CALLS} forged /v1/me calls: {dict(statuses)} in {elapsed:.2f}s")


def test_a_downstream_401_on_a_public_screen_is_502(bff: httpx.Client, sim: Simulator) -> None:
    sim.faults({"path": "/users/1", "mode": "status", "status": 401})

    response = bff.get("/v1/users/1/profile")

    body = assert_problem(response, 502)
    assert body["downstream"] == "users"
    assert "www-authenticate" not in response.headers


def test_a_downstream_401_on_an_optional_section_is_reported_not_relayed(
    bff: httpx.Client, sim: Simulator
) -> None:
    sim.faults({"path": "/users/1/todos", "mode": "status", "status": 401})

    response = bff.get("/v1/users/1/profile")

    assert response.status_code == 200, response.text
    assert response.json()["meta"]["sections"]["todos"]["status"] == "unauthorized"


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/v1/me", {}),
        ("GET", "/v1/me", {"headers": {"Authorization": "Bearer not.a.jwt"}}),
        ("POST", "/v1/auth/login", {"json": {"username": "emilys", "password": "wrong"}}),
        ("POST", "/v1/auth/refresh", {"json": {"refreshToken": "garbage"}}),
    ],
    ids=["me-no-token", "me-forged", "login-wrong-password", "refresh-garbage"],
)
def test_every_401_carries_a_bearer_challenge(
    bff: httpx.Client, method: str, path: str, kwargs: dict[str, object]
) -> None:
    response = bff.request(method, path, **kwargs)  # type: ignore[arg-type]

    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
