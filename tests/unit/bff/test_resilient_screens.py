"""Screens under failure, in-process over respx: statuses, partial flag and headers, Retry-After,
Server-Timing and the log lines of failed calls."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx
from support import USER, assert_problem, in_process, settings_for

from bff.app import create_app
from bff.observability import SERVER_TIMING_MAX_CALLS, server_timing
from clients.record import CallRecord

pytestmark = pytest.mark.anyio

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6MX0.c2lnbmF0dXJlLXNlY3JldA"


def _empty(resource: str) -> dict[str, Any]:
    return {resource: [], "total": 0, "skip": 0, "limit": 0}


def profile_router() -> respx.Router:
    router = respx.Router(base_url="http://down.test", assert_all_called=False)
    router.get("/users/1").respond(json=USER)
    router.get("/carts/user/1").respond(json=_empty("carts"))
    router.get("/users/1/posts").respond(json=_empty("posts"))
    router.get("/users/1/todos").respond(json=_empty("todos"))
    return router


async def run(
    router: respx.Router,
    requests: Callable[[httpx.AsyncClient], Any],
    **settings: Any,
) -> Any:
    overrides = {"retry_backoff_base": 0.001, "retry_backoff_max": 0.001, **settings}
    app = create_app(
        settings_for("http://down.test", **overrides),
        transport=httpx.MockTransport(router.async_handler),
    )

    async def scenario() -> Any:
        async with in_process(app) as (client, _):
            return await requests(client)

    return await scenario()


def get(path: str, **kwargs: Any) -> Callable[[httpx.AsyncClient], Any]:
    async def call(client: httpx.AsyncClient) -> httpx.Response:
        return await client.get(path, **kwargs)

    return call


async def test_a_complete_screen_has_server_timing_and_no_partial_header() -> None:
    response = await run(profile_router(), get("/v1/users/1/profile"))

    assert response.status_code == 200
    assert "x-bff-partial" not in response.headers
    entries = [entry.strip() for entry in response.headers["server-timing"].split(",")]
    assert len(entries) == 5
    assert entries[0].startswith("users;dur=")
    assert entries[0].endswith(';desc="GET /users/1"')
    names = sorted(entry.split(";", 1)[0] for entry in entries[:4])
    assert names == ["carts", "users", "users", "users"]
    assert re.fullmatch(r"total;dur=\d+\.\d", entries[4])


async def test_an_optional_failure_is_typed_and_flagged_in_a_header() -> None:
    router = profile_router()
    route = router.get("/users/1/posts").respond(503, json={"message": "down"})

    response = await run(router, get("/v1/users/1/profile"))

    assert response.status_code == 200
    assert response.headers["x-bff-partial"] == "true"
    body = response.json()
    assert body["posts"] is None
    assert body["meta"]["partial"] is True
    assert body["meta"]["sections"]["posts"] == {
        "status": "unavailable",
        "downstream": "users",
        "httpStatus": 503,
        "attempts": 3,
        "retryable": True,
        "detail": "down",
        "age": None,
    }
    assert route.call_count == 3
    assert (
        'desc="GET /users/1/posts unavailable 503 attempts=3"' in response.headers["server-timing"]
    )


@pytest.mark.parametrize(
    ("answer", "section_status", "retryable"),
    [
        (httpx.Response(429, headers={"Retry-After": "30"}), "rate_limited", True),
        (httpx.Response(200, content=b'{"todos": ['), "bad_response", False),
        (
            httpx.Response(200, json={"todos": [{"todo": "no id"}], "total": 1}),
            "bad_response",
            False,
        ),
        (httpx.ReadTimeout("timed out"), "timeout", True),
    ],
    ids=["429", "malformed", "drift", "read-timeout"],
)
async def test_each_failure_kind_has_its_section_status(
    answer: httpx.Response | Exception, section_status: str, retryable: bool
) -> None:
    router = profile_router()
    router.get("/users/1/todos").mock(side_effect=[answer] * 3)

    body = (await run(router, get("/v1/users/1/profile"))).json()

    todos = body["meta"]["sections"]["todos"]
    assert todos["status"] == section_status
    assert todos["downstream"] == "users"
    assert todos["retryable"] is retryable


async def test_an_open_circuit_is_reported_as_such() -> None:
    router = profile_router()
    route = router.get("/carts/user/1").respond(503)  # the only carts call of the screen

    async def twice(client: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response]:
        first = await client.get("/v1/users/1/profile")
        second = await client.get("/v1/users/1/profile")
        return first, second

    first, second = await run(
        router, twice, breaker_consecutive_failures=3, breaker_open_seconds=30
    )

    assert first.json()["meta"]["sections"]["carts"]["status"] == "unavailable"
    carts = second.json()["meta"]["sections"]["carts"]
    assert carts["status"] == "circuit_open"
    assert carts["downstream"] == "carts"
    assert carts["attempts"] == 0
    assert carts["retryable"] is False
    assert second.headers["x-bff-partial"] == "true"
    assert route.call_count == 3, "the open circuit made no call"
    assert 'desc="GET /carts/user/1 circuit_open"' in second.headers["server-timing"]


async def test_a_required_section_behind_an_open_circuit_is_a_503_with_retry_after() -> None:
    router = respx.Router(base_url="http://down.test", assert_all_called=False)
    route = router.get("/carts/1").respond(503)

    async def twice(client: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response]:
        return await client.get("/v1/carts/1"), await client.get("/v1/carts/1")

    first, second = await run(
        router, twice, breaker_consecutive_failures=3, breaker_open_seconds=7.2
    )

    assert_problem(first, 502)
    body = assert_problem(second, 503)
    assert body["type"] == "urn:bff:problem:circuit-open"
    assert body["downstream"] == "carts"
    assert second.headers["retry-after"] == "8", "rounded up, never early"
    assert route.call_count == 3


@pytest.mark.parametrize(("header", "expected"), [({"Retry-After": "12"}, "12"), ({}, "1")])
async def test_a_rate_limited_required_section_is_a_503_with_retry_after(
    header: dict[str, str], expected: str
) -> None:
    router = profile_router()
    router.get("/users/1").respond(429, headers=header)

    response = await run(router, get("/v1/users/1/profile"), retry_after_max=0.5)

    assert_problem(response, 503)
    assert response.headers["retry-after"] == expected
    assert "x-bff-partial" not in response.headers


async def test_a_required_section_past_the_deadline_is_a_504() -> None:
    router = profile_router()

    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    router.get("/users/1").mock(side_effect=hang)

    response = await run(router, get("/v1/users/1/profile", headers={"X-Request-Timeout": "0.05"}))

    body = assert_problem(response, 504)
    assert body["downstream"] == "users"
    assert "users;dur=" in response.headers["server-timing"]


async def test_failed_calls_are_logged_with_the_request_id_and_never_the_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    router = profile_router()
    router.get("/auth/me").respond(503, json={"message": f"token {TOKEN} rejected"})
    caplog.set_level(logging.INFO)

    response = await run(
        router,
        get("/v1/me", headers={"Authorization": f"Bearer {TOKEN}", "X-Request-ID": "req-42"}),
    )

    assert_problem(response, 502)
    lines = [record.getMessage() for record in caplog.records]
    failed = [line for line in lines if "downstream call failed" in line]
    assert len(failed) == 1
    assert "request_id=req-42" in failed[0]
    assert "service=auth" in failed[0]
    assert "code=unavailable" in failed[0]
    assert "attempts=3" in failed[0]
    assert all(TOKEN not in line and "c2lnbmF0dXJl" not in line for line in lines)


def test_server_timing_quotes_and_summarises() -> None:
    calls = [CallRecord("users", "GET", '/users/"1"', duration=0.0125, outcome="ok")]
    calls += [CallRecord("products", "GET", f"/products/{n}", outcome="ok") for n in range(60)]

    header = server_timing(calls, 0.5)

    entries = header.split(", ")
    assert entries[0] == 'users;dur=12.5;desc="GET /users/\\"1\\""'
    assert len(entries) == SERVER_TIMING_MAX_CALLS + 2
    assert entries[-2] == 'more;desc="11 more downstream calls"'
    assert entries[-1] == "total;dur=500.0"
