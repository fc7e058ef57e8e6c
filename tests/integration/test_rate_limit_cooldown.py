"""A downstream's rate limit is a cool-down: no call goes out until its window ends.

The simulator runs in rate-limit mode (express-rate-limit's headers and 429s, as DummyJSON) and
the BFF with its cache on; both run on one manual clock, so the test steps through many windows
without sleeping. Before, the BFF kept calling during the window (386 `users.get` calls answered
429 in one run against the real service).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from support import ManualClock, settings_for

from bff.app import create_app
from simulator import BackgroundServer, create_simulator_app
from simulator.ratelimit import RateLimit

pytestmark = pytest.mark.integration

REQUESTS = 300
USERS = 6
STEP = 0.05  # manual seconds between two profile requests: 15 s in all, 7 windows
LIMIT = RateLimit(limit=12, window_s=2)
SHORT_LIVED = {"ttl": 0.5, "stale_while_revalidate": 0, "stale_if_error": 3600}


@pytest.fixture
def rate_limited(
    http_transport: str,
) -> Iterator[tuple[httpx.Client, httpx.Client, FastAPI, ManualClock]]:
    clock = ManualClock()
    # Reset and Date from the manual clock too: the cool-downs' lengths, and so how many there
    # are, do not depend on how fast the machine runs the test.
    simulator = create_simulator_app(rate_limit=LIMIT, clock=clock, dated=True)
    with BackgroundServer(simulator, date_header=False) as sim_server:
        settings = settings_for(
            sim_server.url,
            http_transport=http_transport,
            cache_enabled=True,
            cache_policies=dict.fromkeys(
                ("users.get", "users.posts", "users.todos", "carts.by_user"), SHORT_LIVED
            ),
            # A Retry-After of the window's 2 s is not waited out within a request.
            retry_after_max=0.5,
        )
        app = create_app(settings, clock=clock)
        with (
            BackgroundServer(app) as bff_server,
            httpx.Client(base_url=bff_server.url, timeout=30) as bff,
            httpx.Client(base_url=sim_server.url, timeout=30) as control,
        ):
            yield bff, control, app, clock


def _total(control: httpx.Client) -> int:
    stats: dict[str, Any] = control.get("/__sim/stats").json()
    return int(stats["total"])


def test_no_call_goes_out_during_a_cool_down(
    rate_limited: tuple[httpx.Client, httpx.Client, FastAPI, ManualClock],
) -> None:
    bff, control, app, clock = rate_limited
    cooldown = app.state.downstreams.cooldowns["users"]
    assert cooldown is app.state.downstreams.cooldowns["carts"], "one origin, one cool-down"
    outcomes: Counter[str] = Counter()
    sent_while_cooling = 0
    cooling_requests = 0
    countdown: list[tuple[float, int]] = []  # (cool-down end, Retry-After) of each 503

    for index in range(REQUESTS):
        left = cooldown.remaining
        before = _total(control)
        response = bff.get(f"/v1/users/{1 + index % USERS}/profile")
        after = _total(control)
        if left > 0:
            cooling_requests += 1
            sent_while_cooling += after - before
        assert response.status_code in (200, 503), response.text
        if response.status_code == 503:
            retry_after = int(response.headers["retry-after"])
            assert response.json()["type"] == "urn:bff:problem:rate-limited"
            if left > 0:
                assert retry_after == max(1, math.ceil(left)), "the time left in the window"
                countdown.append((cooldown.until, retry_after))
            outcomes["503"] += 1
        else:
            statuses = {s["status"] for s in response.json()["meta"]["sections"].values()}
            assert statuses <= {"ok", "stale", "rate_limited"}, statuses
            outcomes["200 stale" if "stale" in statuses else "200"] += 1
        clock.advance(STEP)

    stats = control.get("/__sim/stats").json()
    print(
        f"{REQUESTS} profiles: {dict(outcomes)}; {cooling_requests} began during a cool-down, "
        f"downstream calls during them: {sent_while_cooling}; downstream calls in all: "
        f"{stats['total']}, answered 429: {stats['rateLimited']}; cool-downs: {cooldown.started}"
    )
    assert sent_while_cooling == 0
    assert cooling_requests > REQUESTS / 2
    assert cooldown.started >= 5, "a cool-down per window"
    assert outcomes["200 stale"] > 0
    assert outcomes["503"] > 0
    for (end, retry_after), (next_end, next_retry_after) in itertools.pairwise(countdown):
        if end == next_end:  # the same cool-down: the Retry-After counts down
            assert next_retry_after <= retry_after
    assert len({retry_after for _, retry_after in countdown}) > 1, "it counts down"


def test_a_cool_down_shows_in_metrics_and_status(start_bff: Any, sim: Any) -> None:
    bff = start_bff()
    sim.faults({"path": "/users/1", "mode": "status", "status": 429, "retry_after": 30})

    first = bff.get("/v1/users/1/profile")
    second = bff.get("/v1/users/2/profile")

    assert first.status_code == 503
    assert second.status_code == 503, "users 2 is not called: the origin is cooling down"
    assert second.json()["type"] == "urn:bff:problem:rate-limited"
    assert 1 <= int(second.headers["retry-after"]) <= 30
    assert sim.path_count("/users/2") == 0
    metrics = bff.get("/metrics").text
    assert 'bff_downstream_cooldowns_total{service="users"} 1.0' in metrics
    assert 'bff_downstream_cooldown_refusals_total{service="carts"}' in metrics
    (line,) = [
        line
        for line in metrics.splitlines()
        if line.startswith('bff_downstream_cooldown_seconds{service="users"}')
    ]
    assert 20 < float(line.split()[-1]) <= 30
    users = next(s for s in bff.get("/status.json").json()["services"] if s["service"] == "users")
    assert 20 < users["coolDownSeconds"] <= 30
