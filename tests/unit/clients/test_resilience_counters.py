"""The counters that metrics read from the resilience state: transitions, denials, hedges."""

import asyncio

import httpx
import pytest
import respx
from support import ManualClock

from clients import DownstreamClient, ServicePolicy
from clients.breaker import BreakerState, CircuitBreaker
from clients.budget import RetryBudget
from clients.policies import BreakerPolicy, BudgetPolicy, HedgePolicy
from schemas.downstream import Quote

BASE_URL = "http://down.test"
QUOTE = {"id": 1, "quote": "Simple things should be simple.", "author": "Kay"}


def test_breaker_counts_each_state_it_enters() -> None:
    clock = ManualClock(100.0)
    breaker = CircuitBreaker(
        "users", BreakerPolicy(consecutive_failures=2, open_seconds=5), clock=clock
    )
    assert breaker.transitions == dict.fromkeys(BreakerState, 0)

    breaker.record_failure()
    breaker.record_failure()  # opens
    clock.now += 5
    assert breaker.acquire() is True  # half-open: the probe
    breaker.record_failure()  # the probe failed: open again
    clock.now += 5
    assert breaker.acquire() is True
    breaker.record_success()  # closes

    assert breaker.transitions == {
        BreakerState.OPEN: 2,
        BreakerState.HALF_OPEN: 2,
        BreakerState.CLOSED: 1,
    }


def test_budget_counts_denials_only() -> None:
    clock = ManualClock(100.0)
    budget = RetryBudget(BudgetPolicy(ratio=0.0, min_per_second=0.0), clock=clock)

    assert budget.try_spend() is True  # the starting token
    assert budget.try_spend() is False
    assert budget.try_spend() is False

    assert budget.denied == 2


@pytest.mark.anyio
async def test_client_counts_the_hedges_it_starts() -> None:
    router = respx.Router(base_url=BASE_URL, assert_all_called=False)
    http = httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler))
    policy = ServicePolicy(
        BASE_URL, 2.0, hedge=HedgePolicy(enabled=True, min_samples=1, samples=4, min_delay=0.0)
    )
    client = DownstreamClient(http, service="quotes", policy=policy)
    router.get("/quotes/1").respond(200, json=QUOTE)
    await client.get("/quotes/1", Quote)  # one latency sample
    sent: list[str] = []

    async def first_hangs(request: httpx.Request) -> httpx.Response:
        sent.append("attempt")
        if len(sent) == 1:
            await asyncio.Event().wait()
        return httpx.Response(200, json={**QUOTE, "id": 2})

    router.get("/quotes/2").mock(side_effect=first_hangs)
    assert client.hedges == 0

    await client.get("/quotes/2", Quote)

    assert sent == ["attempt", "attempt"]
    assert client.hedges == 1
