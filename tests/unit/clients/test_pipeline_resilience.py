"""The breaker, hedging, timings and the deadline header, as the pipeline applies them."""

import asyncio
from collections.abc import Iterator

import httpx
import pytest
import respx
from support import ManualClock

from clients import (
    SERVICES,
    CircuitOpen,
    DownstreamClient,
    Downstreams,
    NotFound,
    RequestScope,
    ServicePolicy,
    Unavailable,
    current_scope,
    enter,
    narrowed,
    scope_var,
    set_deadline,
)
from clients.breaker import BreakerState, CircuitBreaker
from clients.policies import BreakerPolicy, HedgePolicy, RetryPolicy
from clients.record import CallRecord
from schemas.downstream import Quote

pytestmark = pytest.mark.anyio

BASE_URL = "http://down.test"
QUOTE = {"id": 1, "quote": "Simple things should be simple.", "author": "Kay"}


@pytest.fixture(autouse=True)
def no_deadline() -> Iterator[None]:
    token = enter(RequestScope())
    yield
    scope_var.reset(token)


@pytest.fixture
def calls() -> Iterator[list[CallRecord]]:
    collected: list[CallRecord] = []
    token = narrowed(calls=collected)
    yield collected
    scope_var.reset(token)


async def no_sleep(seconds: float) -> None:
    return None


def client_with_breaker(
    http: httpx.AsyncClient, breaker: CircuitBreaker, *, attempts: int = 1
) -> DownstreamClient:
    policy = ServicePolicy(BASE_URL, 2.0, retry=RetryPolicy(attempts=attempts))
    return DownstreamClient(http, service="quotes", policy=policy, breaker=breaker, sleep=no_sleep)


async def test_an_open_breaker_fails_fast_without_calling(
    http: httpx.AsyncClient, router: respx.Router
) -> None:
    clock = ManualClock(100.0)
    breaker = CircuitBreaker("quotes", BreakerPolicy(consecutive_failures=2), clock=clock)
    client = client_with_breaker(http, breaker)
    route = router.get("/quotes/1").respond(503)
    for _ in range(2):
        with pytest.raises(Unavailable):
            await client.get("/quotes/1", Quote)
    clock.now += 1

    with pytest.raises(CircuitOpen) as info:
        await client.get("/quotes/1", Quote)

    assert route.call_count == 2, "the third call never reached the network"
    assert info.value.attempts == 0
    assert info.value.retry_after == pytest.approx(4.0)
    assert info.value.code == "circuit_open"


async def test_healthy_errors_never_open_the_breaker(
    http: httpx.AsyncClient, router: respx.Router
) -> None:
    breaker = CircuitBreaker("quotes", BreakerPolicy(consecutive_failures=2, min_calls=2))
    client = client_with_breaker(http, breaker)
    router.get("/quotes/1").respond(404, json={"message": "Quote with id '1' not found"})

    for _ in range(5):
        with pytest.raises(NotFound):
            await client.get("/quotes/1", Quote)

    assert breaker.state is BreakerState.CLOSED


async def test_half_open_probe_closes_the_breaker_on_success(
    http: httpx.AsyncClient, router: respx.Router
) -> None:
    clock = ManualClock(100.0)
    breaker = CircuitBreaker(
        "quotes", BreakerPolicy(consecutive_failures=1, open_seconds=5), clock=clock
    )
    client = client_with_breaker(http, breaker)
    route = router.get("/quotes/1").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json=QUOTE)]
    )
    with pytest.raises(Unavailable):
        await client.get("/quotes/1", Quote)
    assert breaker.state is BreakerState.OPEN
    clock.now += 5

    quote = await client.get("/quotes/1", Quote)

    assert quote.id == 1
    assert breaker.state is BreakerState.CLOSED
    assert route.call_count == 2


async def test_a_cancelled_probe_lets_the_next_call_probe(
    http: httpx.AsyncClient, router: respx.Router
) -> None:
    clock = ManualClock(100.0)
    breaker = CircuitBreaker("quotes", BreakerPolicy(consecutive_failures=1), clock=clock)
    client = client_with_breaker(http, breaker)
    started = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    router.get("/quotes/1").mock(
        side_effect=[httpx.Response(503), hang, httpx.Response(200, json=QUOTE)]
    )
    with pytest.raises(Unavailable):
        await client.get("/quotes/1", Quote)
    clock.now += 10
    probe = asyncio.ensure_future(client.get("/quotes/1", Quote))
    await started.wait()
    with pytest.raises(CircuitOpen):
        await client.get("/quotes/1", Quote)

    probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe

    assert (await client.get("/quotes/1", Quote)).id == 1
    assert breaker.state is BreakerState.CLOSED


async def test_downstreams_own_one_breaker_per_service(http: httpx.AsyncClient) -> None:
    policy = ServicePolicy(BASE_URL, 1.0)
    first = Downstreams.build(http, dict.fromkeys(SERVICES, policy))
    second = Downstreams.build(http, dict.fromkeys(SERVICES, policy))

    assert set(first.breakers) == set(SERVICES)
    assert len({id(breaker) for breaker in first.breakers.values()}) == len(SERVICES)
    assert first.breakers["users"] is first.users.downstream.breaker
    assert first.breakers["users"] is not second.breakers["users"], "no module-level state"


async def test_the_attempt_timeout_is_sent_downstream(
    http: httpx.AsyncClient, router: respx.Router
) -> None:
    route = router.get("/quotes/1").respond(200, json=QUOTE)
    client = DownstreamClient(http, service="quotes", policy=ServicePolicy(BASE_URL, 2.0))

    await client.get("/quotes/1", Quote)
    set_deadline(0.75)
    await client.get("/quotes/1", Quote)

    first, second = (call.request.headers["x-request-timeout"] for call in route.calls)
    assert first == "2.000"
    assert 0 < float(second) <= 0.75


async def test_connect_and_pool_timeouts_keep_their_own_limits(
    http: httpx.AsyncClient, router: respx.Router
) -> None:
    route = router.get("/quotes/1").respond(200, json=QUOTE)
    policy = ServicePolicy(BASE_URL, 5.0, connect_timeout=2.0, pool_timeout=1.0)
    client = DownstreamClient(http, service="quotes", policy=policy)

    await client.get("/quotes/1", Quote)
    set_deadline(0.5)
    await client.get("/quotes/1", Quote)

    usual, shortened = (call.request.extensions["timeout"] for call in route.calls)
    assert usual == {"connect": 2.0, "read": 5.0, "write": 5.0, "pool": 1.0}
    assert set(shortened) == {"connect", "read", "write", "pool"}
    assert all(0 < value <= 0.5 for value in shortened.values())


async def test_each_call_is_timed_with_its_outcome(
    http: httpx.AsyncClient, router: respx.Router, calls: list[CallRecord]
) -> None:
    router.get("/quotes/1").mock(side_effect=[httpx.Response(503), httpx.Response(200, json=QUOTE)])
    router.get("/quotes/2").respond(503)
    router.get("/quotes/3").respond(200, json={**QUOTE, "id": 3})
    policy = ServicePolicy(BASE_URL, 2.0, retry=RetryPolicy(attempts=2))
    client = DownstreamClient(http, service="quotes", policy=policy, sleep=no_sleep)

    await client.get("/quotes/1", Quote)
    with pytest.raises(Unavailable):
        await client.get("/quotes/2", Quote)
    await client.get("/quotes/3", Quote)

    assert [(c.service, c.method, c.path) for c in calls] == [
        ("quotes", "GET", "/quotes/1"),
        ("quotes", "GET", "/quotes/2"),
        ("quotes", "GET", "/quotes/3"),
    ]
    assert [(c.outcome, c.status, c.attempts) for c in calls] == [
        ("ok", None, 2),
        ("unavailable", 503, 2),
        ("ok", None, 1),
    ]
    assert all(c.duration > 0 for c in calls)


async def test_nothing_is_collected_outside_a_request(
    http: httpx.AsyncClient, router: respx.Router
) -> None:
    router.get("/quotes/1").respond(200, json=QUOTE)
    client = DownstreamClient(http, service="quotes", policy=ServicePolicy(BASE_URL, 2.0))

    await client.get("/quotes/1", Quote)

    assert current_scope().calls is None


def hedging_client(http: httpx.AsyncClient) -> DownstreamClient:
    policy = ServicePolicy(
        BASE_URL,
        2.0,
        hedge=HedgePolicy(enabled=True, min_samples=1, samples=4, min_delay=0.0),
    )
    return DownstreamClient(http, service="quotes", policy=policy)


async def test_a_slow_call_is_hedged_and_the_slow_attempt_cancelled(
    http: httpx.AsyncClient, router: respx.Router, calls: list[CallRecord]
) -> None:
    client = hedging_client(http)
    router.get("/quotes/1").respond(200, json=QUOTE)
    await client.get("/quotes/1", Quote)  # one latency sample
    cancelled = asyncio.Event()
    sent: list[str] = []

    async def first_hangs(request: httpx.Request) -> httpx.Response:
        sent.append("attempt")
        if len(sent) == 1:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.set()
                raise
        return httpx.Response(200, json={**QUOTE, "id": 2})

    router.get("/quotes/2").mock(side_effect=first_hangs)
    balance = client.budget.balance

    quote = await client.get("/quotes/2", Quote)

    assert quote.id == 2
    assert sent == ["attempt", "attempt"]
    assert cancelled.is_set(), "the loser was cancelled before the call returned"
    assert client.budget.balance < balance, "the hedge was paid from the retry budget"
    assert calls[-1].attempts == 2


async def test_no_hedging_without_latency_samples_or_for_posts(
    http: httpx.AsyncClient, router: respx.Router
) -> None:
    client = hedging_client(http)
    route = router.route().respond(200, json=QUOTE)

    await client.get("/quotes/1", Quote)  # no sample yet: not hedged
    await client.post("/quotes/add", Quote, json={})

    assert route.call_count == 2
