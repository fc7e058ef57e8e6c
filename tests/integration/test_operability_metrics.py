"""``GET /metrics`` after scripted scenarios against the real simulator: names, labels, values."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from support import Simulator, in_process, settings_for

from bff.app import create_app
from bff.metrics import CACHE_COUNTERS
from clients.registry import SERVICES

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

PROFILE = "/v1/users/{user_id}/profile"


async def scrape(app: Any, *paths: str) -> tuple[list[int], str, str]:
    """Request ``paths`` in order, then scrape: (statuses, exposition, content type)."""

    async def scenario() -> tuple[list[int], str, str]:
        async with in_process(app) as (client, _):
            statuses = [(await client.get(path)).status_code for path in paths]
            response = await client.get("/metrics")
            assert response.status_code == 200
            return statuses, response.text, response.headers["content-type"]

    return await scenario()


def families(text: str) -> dict[str, Metric]:
    return {family.name: family for family in text_string_to_metric_families(text)}


def value(found: dict[str, Metric], sample: str, **labels: str) -> float:
    """The value of the one sample with this name and exactly these labels."""
    family = found[re.sub(r"_(total|count|sum|bucket)$", "", sample)]
    matches = [s.value for s in family.samples if s.name == sample and s.labels == labels]
    assert len(matches) == 1, f"{sample}{labels}: {list(family.samples)}"
    return matches[0]


async def test_a_partial_screen_is_counted_per_route_and_per_downstream_operation(
    sim: Simulator, http_transport: str
) -> None:
    sim.faults({"path": "/users/1/todos", "mode": "status", "status": 503})
    # A budget of 10 tokens refilled at 1 per second, so the bound on the users budget below
    # holds however long the scenario takes (the default refill, 10/s, would top it up within
    # half a second on a slow machine and make the comparison depend on timing).
    settings = settings_for(
        sim.url,
        http_transport=http_transport,
        cache_enabled=True,
        retry_budget_min_per_second=1.0,
    )
    app = create_app(settings)

    started = time.monotonic()
    statuses, text, content_type = await scrape(
        app, "/v1/users/1/profile", "/v1/users/1/profile", "/no/such/page", "/v1/users/x/profile"
    )
    elapsed = time.monotonic() - started

    assert statuses == [200, 200, 404, 422]
    assert content_type.startswith("text/plain")
    found = families(text)
    screen = {"route": PROFILE, "method": "GET"}
    # Per screen: requests by status class, the latency histogram, partial answers.
    assert value(found, "bff_http_requests_total", **screen, status_class="2xx") == 2
    assert value(found, "bff_http_requests_total", **screen, status_class="4xx") == 1
    assert (
        value(found, "bff_http_requests_total", route="unmatched", method="GET", status_class="4xx")
        == 1
    )
    assert value(found, "bff_http_request_duration_seconds_count", **screen) == 3
    assert value(found, "bff_http_request_duration_seconds_bucket", **screen, le="+Inf") == 3
    assert value(found, "bff_http_partial_responses_total", route=PROFILE) == 2
    # Per downstream operation: the failing one, its retries, and the healthy ones.
    todos = {"service": "users", "operation": "users.todos"}
    assert value(found, "bff_downstream_calls_total", **todos, outcome="unavailable") == 2
    assert value(found, "bff_downstream_retries_total", **todos) == 4
    assert value(found, "bff_downstream_call_duration_seconds_count", **todos) == 2
    user = {"service": "users", "operation": "users.get"}
    assert value(found, "bff_downstream_calls_total", **user, outcome="ok") == 2
    assert value(found, "bff_downstream_retries_total", **user) == 0
    # Admission: the screens are done, none waited, none refused.
    assert value(found, "bff_admission_screens", state="in_flight") == 0
    assert value(found, "bff_admission_screens", state="waiting") == 0
    assert value(found, "bff_admission_refused_total") == 0
    # Read at scrape time: breakers, budgets, hedges, the cache, the pool.
    for service in SERVICES:
        states = {
            s.labels["state"]: s.value
            for s in found["bff_downstream_breaker_state"].samples
            if s.labels["service"] == service
        }
        assert states == {"closed": 1, "open": 0, "half_open": 0}
        assert (
            value(found, "bff_downstream_breaker_transitions_total", service=service, state="open")
            == 0
        )
        assert value(found, "bff_downstream_retry_budget_denials_total", service=service) == 0
        assert value(found, "bff_downstream_hedges_total", service=service) == 0
    # The 4 retries of users.todos were paid from the users budget (10 tokens, plus 0.2 per call
    # made, at most 10 calls here, plus the refill since the start), and from no other.
    assert value(found, "bff_downstream_retry_budget_tokens", service="posts") == 10
    assert value(found, "bff_downstream_retry_budget_tokens", service="users") <= min(
        10.0, 10 - 4 + 0.2 * 10 + elapsed
    ), "the retries of users.todos were paid from the users budget"
    for name, _, _ in CACHE_COUNTERS:
        assert f"{name}_total" in {s.name for s in found[name].samples}
    assert value(found, "bff_cache_hits_total") > 0, "the second profile hit the cache"
    assert value(found, "bff_cache_misses_total") > 0
    assert value(found, "bff_downstream_pool_connections", state="in_use") == 0
    assert value(found, "bff_downstream_pool_connections", state="waiting") == 0
    assert value(found, "bff_downstream_pool_connections", state="idle") >= 1
    # Bounded labels: templates and names only, never a raw path or an id.
    for family in found.values():
        for sample in family.samples:
            for label, text_value in sample.labels.items():
                assert not re.search(r"/\d|/x/", text_value), (sample.name, label, text_value)


async def test_breaker_transitions_and_budget_denials_are_counted(sim: Simulator) -> None:
    sim.faults({"path": "/carts/user/1", "mode": "status", "status": 503})
    settings = settings_for(
        sim.url,
        breaker_consecutive_failures=3,
        breaker_open_seconds=300,
        retry_budget_ratio=0.0,
        retry_budget_min_per_second=0.0,
    )

    # 1st profile: an attempt, a retry (the budget's one starting token), a denied retry.
    # 2nd profile: the third failure in a row opens the carts breaker; no retry after that.
    statuses, text, _ = await scrape(
        create_app(settings), "/v1/users/1/profile", "/v1/users/1/profile"
    )

    assert statuses == [200, 200]
    found = families(text)
    carts = {"service": "carts", "operation": "carts.by_user"}
    assert value(found, "bff_downstream_calls_total", **carts, outcome="unavailable") == 2
    assert value(found, "bff_downstream_retries_total", **carts) == 1
    assert value(found, "bff_downstream_retry_budget_denials_total", service="carts") == 1
    assert (
        value(found, "bff_downstream_breaker_transitions_total", service="carts", state="open") == 1
    )
    assert value(found, "bff_downstream_breaker_state", service="carts", state="open") == 1
    assert value(found, "bff_downstream_breaker_state", service="carts", state="closed") == 0
    assert value(found, "bff_http_partial_responses_total", route=PROFILE) == 2


async def test_metrics_are_per_app_and_not_in_the_contract(sim: Simulator) -> None:
    first = create_app(settings_for(sim.url))
    second = create_app(settings_for(sim.url))

    await scrape(first, "/v1/users/1/profile")
    _, text, _ = await scrape(second)

    assert "/metrics" not in first.openapi()["paths"]
    found = families(text)
    assert not [s for s in found["bff_http_requests"].samples if s.labels.get("route") == PROFILE]
