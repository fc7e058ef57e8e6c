"""The profile screen against the real simulator, over loopback sockets."""

from __future__ import annotations

import time

import httpx
import pytest
from support import (
    Simulator,
    assert_complete,
    assert_no_sensitive_fields,
    assert_problem,
    settings_for,
)

from bff.app import create_app
from simulator import BackgroundServer, create_simulator_app

pytestmark = pytest.mark.integration


def test_profile_aggregates_user_carts_posts_and_todos(bff: httpx.Client, sim: Simulator) -> None:
    response = bff.get("/v1/users/1/profile")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["id"] == 1
    assert body["user"]["username"] == "emilys"
    assert isinstance(body["carts"], list)
    assert all(post["userId"] == 1 for post in body["posts"])
    assert isinstance(body["todos"], list)
    assert_complete(body)
    assert_no_sensitive_fields(body)
    assert response.headers["x-request-id"]
    routes = sim.stats()["routes"]
    assert routes["/users/{id}"] == 1
    assert routes["/carts/user/{id}"] == 1
    assert routes["/users/{id}/posts"] == 1
    assert routes["/users/{id}/todos"] == 1


def test_unknown_user_is_a_404_problem(bff: httpx.Client) -> None:
    body = assert_problem(bff.get("/v1/users/9999/profile"), 404)

    assert "9999" in body["detail"]
    assert body["instance"] == "/v1/users/9999/profile"


@pytest.mark.parametrize("bad_id", ["abc-secret", "0", "-1", "1.5", "99999999999"])
def test_bad_user_id_is_a_422_problem(bff: httpx.Client, sim: Simulator, bad_id: str) -> None:
    body = assert_problem(bff.get(f"/v1/users/{bad_id}/profile"), 422)

    assert body["errors"] == [
        {
            "loc": ["path", "user_id"],
            "msg": body["errors"][0]["msg"],
            "type": body["errors"][0]["type"],
        }
    ], "one error, and the rejected input is not echoed back"
    assert "abc-secret" not in body["detail"]
    assert sim.stats()["total"] == 0, "bad input never reaches a downstream"


def test_an_optional_section_failure_gives_a_partial_profile(
    bff: httpx.Client, sim: Simulator
) -> None:
    sim.faults({"path": "/users/1/posts", "mode": "status", "status": 503})

    response = bff.get("/v1/users/1/profile")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["posts"] is None
    assert body["user"]["id"] == 1
    assert body["meta"]["partial"] is True
    posts = body["meta"]["sections"]["posts"]
    assert posts["status"] == "unavailable"
    assert posts["httpStatus"] == 503
    assert posts["downstream"] == "users"
    assert posts["retryable"] is True
    assert body["meta"]["sections"]["carts"] == {
        "status": "ok",
        "downstream": None,
        "httpStatus": None,
        "attempts": None,
        "retryable": None,
        "detail": None,
        "age": None,
    }


@pytest.mark.parametrize(
    ("rule", "status"),
    [
        ({"mode": "status", "status": 503}, 502),
        ({"mode": "status", "status": 500}, 502),
        ({"mode": "malformed"}, 502),
        ({"mode": "drift"}, 502),
        ({"mode": "reset"}, 502),
        ({"mode": "status", "status": 429, "retry_after": 7}, 503),
    ],
)
def test_a_required_section_failure_fails_the_request(
    bff: httpx.Client, sim: Simulator, rule: dict[str, object], status: int
) -> None:
    sim.faults({"path": "/users/1", **rule})

    body = assert_problem(bff.get("/v1/users/1/profile"), status)

    assert body["downstream"] == "users"


def test_rate_limited_required_section_passes_retry_after_on(
    bff: httpx.Client, sim: Simulator
) -> None:
    sim.faults({"path": "/users/1", "mode": "status", "status": 429, "retry_after": 7})

    response = bff.get("/v1/users/1/profile")

    assert_problem(response, 503)
    assert response.headers["retry-after"] == "7"


def test_a_required_section_past_the_deadline_is_a_504(bff: httpx.Client, sim: Simulator) -> None:
    sim.faults({"path": "/users/1", "mode": "delay", "delay_ms": 3000})

    response = bff.get("/v1/users/1/profile", headers={"X-Request-Timeout": "0.3"})

    body = assert_problem(response, 504)
    assert body["downstream"] == "users"


def test_request_id_is_passed_through(bff: httpx.Client) -> None:
    response = bff.get("/v1/users/1/profile", headers={"X-Request-ID": "frontend-abc.123"})

    assert response.headers["x-request-id"] == "frontend-abc.123"


def test_an_unsafe_request_id_is_replaced(bff: httpx.Client) -> None:
    response = bff.get("/v1/users/1/profile", headers={"X-Request-ID": "bad id\twith spaces"})

    assert response.headers["x-request-id"] != "bad id\twith spaces"
    assert len(response.headers["x-request-id"]) == 32


def _fastest(client: httpx.Client, path: str, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        client.get(path).raise_for_status()
        best = min(best, time.perf_counter() - started)
    return best


def test_profile_calls_run_concurrently() -> None:
    """Four downstream calls of 100 ms each: the screen takes about one call, not four."""
    with BackgroundServer(create_simulator_app(delay_ms=100)) as slow_sim:
        app = create_app(settings_for(slow_sim.url))
        with (
            BackgroundServer(app) as server,
            httpx.Client(base_url=slow_sim.url) as downstream,
            httpx.Client(base_url=server.url, timeout=10) as client,
        ):
            one_call = _fastest(downstream, "/users/1")
            screen = _fastest(client, "/v1/users/1/profile")

    assert one_call >= 0.1
    assert screen < 2 * one_call, f"profile took {screen:.3f}s, one call {one_call:.3f}s"
