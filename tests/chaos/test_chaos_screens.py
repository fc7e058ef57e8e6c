"""Every screen against every fault the simulator can inject, over real loopback sockets.

For each screen, a fault on its required downstream call (or, for screens without one, on every
call) and a fault on one of its optional calls. Each case asserts the exact status, the section
statuses, the partial flag and header, and how many calls reached the downstream (a GET retried at
most `retry_attempts` times, a fault that is not worth retrying tried once). `ChaosBFF` checks on
every request that nothing answers 500, nothing answers after its deadline (plus a margin), and
that the pool is idle once the answer is in.

The breaker is out of the way here (its thresholds are out of reach) so that each case stands
alone; test_chaos_breaker.py covers it.

Every case runs with the cache off and on (tests/chaos/conftest.py); with it on, each starts
cold, so one request costs what it costs without the cache. The one difference: a waiter whose
deadline passes leaves the shared call (single-flight) running for the cache, so a
deadline case counts the calls made by the time it answered, and
`test_a_shared_call_outlives_a_waiter_whose_deadline_passed` counts where that call ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from chaos_support import ChaosBFF, sections, serve_bff
from support import Simulator, assert_problem, reset_resilience

from simulator import BackgroundServer

pytestmark = pytest.mark.chaos

ATTEMPTS = 3
DEADLINE = 0.4  # X-Request-Timeout of the delay cases: shorter than one attempt's timeout
SETTINGS: dict[str, Any] = {
    "request_timeout": 2.0,
    "downstream_timeout": 0.5,
    "retry_attempts": ATTEMPTS,
    "retry_backoff_base": 0.02,
    "retry_backoff_max": 0.1,
    "retry_after_max": 2.0,
    "retry_budget_min_per_second": 1000,
    "breaker_consecutive_failures": 0,
    "breaker_min_calls": 100_000,
}


@pytest.fixture(scope="module")
def _chaos_server(simulator_server: BackgroundServer, cache_enabled: bool) -> Iterator[ChaosBFF]:
    with serve_bff(simulator_server.url, cache_enabled=cache_enabled, **SETTINGS) as bff:
        yield bff


@pytest.fixture
def chaos(_chaos_server: ChaosBFF) -> Iterator[ChaosBFF]:
    """The module's BFF, with fresh resilience state: a 429 of one test starts a rate-limit
    cool-down of that service, which must not refuse the next test's calls. With the cache on,
    each test starts cold (what one test stored must not hide the next test's fault) and ends
    once the shared calls that outlived its requests are done (their calls must not count in
    the next test)."""
    reset_resilience(_chaos_server.downstreams)
    yield _chaos_server
    _chaos_server.forget()


@pytest.fixture
def token(chaos: ChaosBFF, sim: Simulator) -> str:
    response = chaos.post("/v1/auth/login", json={"username": "emilys", "password": "emilyspass"})
    assert response.status_code == 200, response.text
    access: str = response.json()["accessToken"]
    sim.clear()
    return access


@dataclass(frozen=True)
class Target:
    glob: str
    """The simulator fault rule's path."""
    route: str
    """The simulator's route template, for counting calls."""
    downstream: str
    section: str | None = None
    """The screen section the call feeds (optional targets)."""


@dataclass(frozen=True)
class Screen:
    path: str
    optional: Target
    required: Target | None
    """None: the screen has no required call; then every call is faulted instead."""
    calls: int = 0
    """Screens without a required call: downstream calls per request."""
    auth: bool = False


SCREENS = {
    "profile": Screen(
        "/v1/users/1/profile",
        required=Target("/users/1", "/users/{id}", "users"),
        optional=Target("/users/1/todos", "/users/{id}/todos", "users", "todos"),
    ),
    "cart": Screen(
        "/v1/carts/1",
        required=Target("/carts/1", "/carts/{id}", "carts"),
        optional=Target("/users/*", "/users/{id}", "users", "owner"),
    ),
    "post": Screen(
        "/v1/posts/1",
        required=Target("/posts/1", "/posts/{id}", "posts"),
        optional=Target("/posts/1/comments", "/posts/{id}/comments", "posts", "comments"),
    ),
    "product": Screen(
        "/v1/products/1",
        required=Target("/products/1", "/products/{id}", "products"),
        optional=Target("/products/category/*", "/products/category/{slug}", "products", "related"),
    ),
    "home": Screen(
        "/v1/home",
        required=None,
        calls=4,
        optional=Target("/quotes/random", "/quotes/random", "quotes", "quote"),
    ),
    "search": Screen(
        "/v1/search?q=a",
        required=None,
        calls=4,
        optional=Target("/recipes/search", "/recipes/search", "recipes", "recipes"),
    ),
    "me": Screen(
        "/v1/me",
        required=Target("/auth/me", "/auth/me", "auth"),
        optional=Target("/carts/user/1", "/carts/user/{id}", "carts", "carts"),
        auth=True,
    ),
}


@dataclass(frozen=True)
class Fault:
    rule: dict[str, Any]
    attempts: int
    """Downstream calls per faulted call."""
    section: str | None
    """The failed section's status; None: the retries recovered."""
    http_status: int | None = None
    retryable: bool = True
    required_status: int = 200
    deadline: float | None = None


FAULTS = {
    "delay-past-deadline": Fault(
        {"mode": "delay", "delay_ms": 3000},
        attempts=1,
        section="timeout",
        required_status=504,
        deadline=DEADLINE,
    ),
    "503-burst": Fault({"mode": "status", "status": 503, "times": 2}, attempts=3, section=None),
    "503": Fault(
        {"mode": "status", "status": 503},
        attempts=ATTEMPTS,
        section="unavailable",
        http_status=503,
        required_status=502,
    ),
    "429-retry-after": Fault(
        {"mode": "status", "status": 429, "retry_after": 5},
        attempts=1,
        section="rate_limited",
        http_status=429,
        required_status=503,
    ),
    "reset": Fault(
        {"mode": "reset"}, attempts=ATTEMPTS, section="unavailable", required_status=502
    ),
    "malformed": Fault(
        {"mode": "malformed"},
        attempts=1,
        section="bad_response",
        retryable=False,
        required_status=502,
    ),
    "drift": Fault(
        {"mode": "drift"},
        attempts=1,
        section="bad_response",
        retryable=False,
        required_status=502,
    ),
}


def screen_request(bff: ChaosBFF, screen: Screen, token: str, fault: Fault) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if screen.auth else {}
    return bff.get(screen.path, headers=headers, deadline=fault.deadline)


def token_for(screen: Screen, request: pytest.FixtureRequest) -> str:
    """A fresh access token for screens that need one (logging in is not part of the case)."""
    if not screen.auth:
        return ""
    token: str = request.getfixturevalue("token")
    return token


REQUIRED = [name for name, screen in SCREENS.items() if screen.required is not None]


def calls_at_the_answer(bff: ChaosBFF, fault: Fault, counted: int) -> bool:
    """Downstream calls counted right after the answer: exactly the fault's attempts, except
    when a deadline ended the wait with the cache on; then the shared call has made at least its
    first attempt and may have started more (its own policy bounds it, not the deadline)."""
    if bff.cache_on and fault.deadline is not None:
        return fault.attempts <= counted <= ATTEMPTS
    return counted == fault.attempts


@pytest.mark.parametrize("screen_name", list(SCREENS))
@pytest.mark.parametrize("fault_name", list(FAULTS))
def test_a_failing_optional_call_degrades_its_section_only(
    chaos: ChaosBFF,
    sim: Simulator,
    request: pytest.FixtureRequest,
    screen_name: str,
    fault_name: str,
) -> None:
    screen, fault = SCREENS[screen_name], FAULTS[fault_name]
    token = token_for(screen, request)
    target = screen.optional
    sim.faults({"path": target.glob, **fault.rule})

    response = screen_request(chaos, screen, token, fault)

    assert response.status_code == 200, response.text
    assert calls_at_the_answer(chaos, fault, sim.route_count(target.route))
    statuses = sections(response)
    assert target.section is not None
    others = {name: entry["status"] for name, entry in statuses.items() if name != target.section}
    assert set(others.values()) == {"ok"}, others
    entry = statuses[target.section]
    if fault.section is None:
        assert entry["status"] == "ok"
        assert response.json()["meta"]["partial"] is False
        assert "x-bff-partial" not in response.headers
        return
    assert response.json()[_field(target.section)] is None
    assert response.json()["meta"]["partial"] is True
    assert response.headers["x-bff-partial"] == "true"
    assert entry["status"] == fault.section
    assert entry["downstream"] == target.downstream
    assert entry["httpStatus"] == fault.http_status
    assert f"{target.downstream};dur=" in response.headers["server-timing"]
    assert entry["attempts"] == fault.attempts
    assert entry["retryable"] is fault.retryable


@pytest.mark.parametrize("screen_name", REQUIRED)
@pytest.mark.parametrize("fault_name", list(FAULTS))
def test_a_failing_required_call_fails_the_request_with_its_status(
    chaos: ChaosBFF,
    sim: Simulator,
    request: pytest.FixtureRequest,
    screen_name: str,
    fault_name: str,
) -> None:
    screen, fault = SCREENS[screen_name], FAULTS[fault_name]
    token = token_for(screen, request)
    target = screen.required
    assert target is not None
    sim.faults({"path": target.glob, **fault.rule})

    response = screen_request(chaos, screen, token, fault)

    assert calls_at_the_answer(chaos, fault, sim.route_count(target.route))
    if fault.section is None:
        assert response.status_code == 200, response.text
        assert response.json()["meta"]["partial"] is False
        return
    body = assert_problem(response, fault.required_status)
    assert body["downstream"] == target.downstream
    assert "x-bff-partial" not in response.headers
    if fault.required_status == 503:
        assert response.headers["retry-after"] == "5"
    else:
        assert "retry-after" not in response.headers


ALL_FAIL = {
    "delay-past-deadline": (FAULTS["delay-past-deadline"], 504),
    "503": (FAULTS["503"], 502),
    "429-retry-after": (FAULTS["429-retry-after"], 503),
    "reset": (FAULTS["reset"], 502),
    "malformed": (FAULTS["malformed"], 502),
}


@pytest.mark.parametrize("screen_key", ["home", "search"])
@pytest.mark.parametrize("fault_name", list(ALL_FAIL))
def test_a_screen_without_required_calls_fails_when_all_do(
    chaos: ChaosBFF, sim: Simulator, screen_key: str, fault_name: str
) -> None:
    screen = SCREENS[screen_key]
    fault, status = ALL_FAIL[fault_name]
    sim.faults({"path": "*", **fault.rule})

    response = screen_request(chaos, screen, "", fault)

    assert_problem(response, status)
    counted = sim.stats()["total"]
    if chaos.cache_on and fault.deadline is not None:  # see calls_at_the_answer
        assert screen.calls * fault.attempts <= counted <= screen.calls * ATTEMPTS
    else:
        assert counted == screen.calls * fault.attempts


def test_a_burst_across_every_call_is_absorbed_by_retries(chaos: ChaosBFF, sim: Simulator) -> None:
    sim.faults({"path": "*", "mode": "status", "status": 503, "times": 3})

    response = chaos.get("/v1/home")

    assert response.status_code == 200, response.text
    assert response.json()["meta"]["partial"] is False
    assert sim.stats()["total"] == 4 + 3


def test_login_is_never_retried(chaos: ChaosBFF, sim: Simulator) -> None:
    for rule in ({"mode": "status", "status": 503}, {"mode": "reset"}):
        sim.clear()
        sim.faults({"path": "/auth/login", **rule})

        response = chaos.post(
            "/v1/auth/login", json={"username": "emilys", "password": "emilyspass"}
        )

        assert_problem(response, 502)
        assert sim.route_count("/auth/login") == 1


def test_a_timed_out_attempt_is_retried_within_the_deadline(
    chaos: ChaosBFF, sim: Simulator
) -> None:
    sim.faults({"path": "/users/1/todos", "mode": "delay", "delay_ms": 3000})

    response = chaos.get("/v1/users/1/profile", deadline=1.2)

    todos = sections(response)["todos"]
    assert todos["status"] == "timeout"
    counted = sim.route_count("/users/{id}/todos")
    if chaos.cache_on:
        # The shared call was retried within the deadline too, and goes on past it.
        assert 2 <= counted <= ATTEMPTS, "the 0.5 s attempt timed out and was retried"
        assert todos["attempts"] == counted
        return
    assert 2 <= todos["attempts"] <= ATTEMPTS, "the 0.5 s attempt timed out and was retried"
    assert counted == todos["attempts"]


def test_a_shared_call_outlives_a_waiter_whose_deadline_passed(
    chaos: ChaosBFF, sim: Simulator
) -> None:
    """With the cache on, the call a frontend with a short deadline started is shared: it goes
    on after that frontend got its 504, bounded by the service's policy (every attempt made),
    stores nothing when it fails, and leaves the pool idle. With the cache off, the call ends
    with the request: one attempt, cut by the deadline."""
    sim.faults({"path": "/users/1", "mode": "delay", "delay_ms": 3000})

    assert_problem(chaos.get("/v1/users/1/profile", deadline=DEADLINE), 504)
    chaos.settle()

    assert sim.route_count("/users/{id}") == (ATTEMPTS if chaos.cache_on else 1)
    # Nothing to drop under the user's key (its sections' own answers were stored).
    assert chaos.cache.response.purge("users:/users/1?") == 0, "a failure was stored"
    sim.clear()
    assert chaos.get("/v1/users/1/profile").status_code == 200
    assert sim.route_count("/users/{id}") == 1, "a failed shared call left nothing to serve"


def test_retry_after_is_waited_out_when_it_fits(chaos: ChaosBFF, sim: Simulator) -> None:
    sim.faults({"path": "/users/1", "mode": "status", "status": 429, "retry_after": 1, "times": 1})

    response = chaos.get("/v1/users/1/profile")

    assert response.status_code == 200, response.text
    assert sim.route_count("/users/{id}") == 2
    timing = response.headers["server-timing"]
    first = timing.split(", ")[0]
    assert first.startswith("users;dur=")
    assert float(first.split("dur=")[1].split(";")[0]) >= 1000, "waited the Retry-After second"


def test_retry_after_beyond_the_deadline_fails_fast(chaos: ChaosBFF, sim: Simulator) -> None:
    # With the cache on the call is shared and goes on without this caller's deadline (it waits
    # the Retry-After out for the cache); this caller stops at its deadline with the cool-down's
    # answer, the same 503 and Retry-After, rather than at once.
    sim.faults({"path": "/users/1", "mode": "status", "status": 429, "retry_after": 1})

    response = chaos.get("/v1/users/1/profile", deadline=0.8)

    assert_problem(response, 503)
    assert response.headers["retry-after"] == "1"
    assert sim.route_count("/users/{id}") == 1


def _field(section: str) -> str:
    """The body field of a section (the screens name sections after their camelCased fields)."""
    head, *rest = section.split("_")
    return head + "".join(part.title() for part in rest)
