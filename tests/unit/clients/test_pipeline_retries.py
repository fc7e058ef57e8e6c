"""Retries in the pipeline: which calls, on which errors, how long apart, and never past the
deadline or the budget. Sleeps and jitter are injected, so nothing here waits."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx

from clients import (
    BadResponse,
    DownstreamClient,
    NotFound,
    RateLimited,
    RequestScope,
    ServicePolicy,
    Timeout,
    Unavailable,
    enter,
    scope_var,
    set_deadline,
)
from clients.breaker import BreakerState, CircuitBreaker
from clients.budget import RetryBudget
from clients.policies import BreakerPolicy, BudgetPolicy, RetryPolicy
from schemas.downstream import Quote

pytestmark = pytest.mark.anyio

BASE_URL = "http://down.test"
QUOTE = {"id": 1, "quote": "Make it work, make it right, make it fast.", "author": "Beck"}


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture(autouse=True)
def no_deadline() -> Iterator[None]:
    token = enter(RequestScope())
    yield
    scope_var.reset(token)


def make_client(
    http: httpx.AsyncClient,
    sleeps: Sleeps,
    *,
    rand: float = 1.0,
    budget: RetryBudget | None = None,
    breaker: CircuitBreaker | None = None,
    **retry: Any,
) -> DownstreamClient:
    policy = ServicePolicy(
        BASE_URL,
        2.0,
        retry=RetryPolicy(**{"attempts": 3, **retry}),
        breaker=BreakerPolicy(consecutive_failures=0, min_calls=1000),
    )
    return DownstreamClient(
        http,
        service="quotes",
        policy=policy,
        sleep=sleeps,
        rand=lambda: rand,
        budget=budget,
        breaker=breaker,
    )


def then(*responses: httpx.Response | Exception) -> list[httpx.Response | Exception]:
    return list(responses)


OK = httpx.Response(200, json=QUOTE)


async def test_a_503_then_success_is_retried_once(
    http: httpx.AsyncClient, router: respx.Router, sleeps: Sleeps
) -> None:
    route = router.get("/quotes/1").mock(side_effect=then(httpx.Response(503), OK))

    quote = await make_client(http, sleeps).get("/quotes/1", Quote)

    assert quote.id == 1
    assert route.call_count == 2
    assert sleeps == [0.05]


async def test_persistent_failure_uses_every_attempt_and_reports_them(
    http: httpx.AsyncClient, router: respx.Router, sleeps: Sleeps
) -> None:
    route = router.get("/quotes/1").respond(503)

    with pytest.raises(Unavailable) as info:
        await make_client(http, sleeps).get("/quotes/1", Quote)

    assert route.call_count == 3
    assert info.value.attempts == 3
    assert info.value.status == 503
    assert sleeps == [0.05, 0.1], "exponential: base, then twice the base"


async def test_backoff_is_capped(
    http: httpx.AsyncClient, router: respx.Router, sleeps: Sleeps
) -> None:
    router.get("/quotes/1").respond(502)

    with pytest.raises(Unavailable):
        await make_client(http, sleeps, attempts=5, backoff_max=0.08).get("/quotes/1", Quote)

    assert sleeps == [0.05, 0.08, 0.08, 0.08]


async def test_backoff_has_full_jitter(
    http: httpx.AsyncClient, router: respx.Router, sleeps: Sleeps
) -> None:
    router.get("/quotes/1").respond(504)

    with pytest.raises(Unavailable):
        await make_client(http, sleeps, rand=0.25).get("/quotes/1", Quote)

    assert sleeps == [pytest.approx(0.0125), pytest.approx(0.025)]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadTimeout("timed out"),
        httpx.ReadError("connection reset by peer"),
        httpx.Response(429),
        httpx.Response(502),
        httpx.Response(503),
        httpx.Response(504),
    ],
    ids=lambda failure: (
        type(failure).__name__ if isinstance(failure, Exception) else str(failure.status_code)
    ),
)
async def test_retryable_failures_are_retried(
    http: httpx.AsyncClient,
    router: respx.Router,
    sleeps: Sleeps,
    failure: httpx.Response | Exception,
) -> None:
    route = router.get("/quotes/1").mock(side_effect=then(failure, OK))

    await make_client(http, sleeps).get("/quotes/1", Quote)

    assert route.call_count == 2


@pytest.mark.parametrize(
    ("failure", "kind"),
    [
        (httpx.PoolTimeout("no free connection"), Unavailable),
        (httpx.Response(500), Unavailable),
        (httpx.Response(404), NotFound),
        (httpx.Response(200, content=b'{"id": 1, "quo'), BadResponse),
        (httpx.Response(200, json={"id": 1}), BadResponse),
    ],
    ids=["pool-timeout", "500", "404", "malformed", "drift"],
)
async def test_other_failures_are_not_retried(
    http: httpx.AsyncClient,
    router: respx.Router,
    sleeps: Sleeps,
    failure: httpx.Response | Exception,
    kind: type[Exception],
) -> None:
    route = router.get("/quotes/1").mock(side_effect=then(failure, OK))

    with pytest.raises(kind) as info:
        await make_client(http, sleeps).get("/quotes/1", Quote)

    assert route.call_count == 1
    assert info.value.attempts == 1  # type: ignore[attr-defined]
    assert sleeps == []


async def test_a_non_retryable_answer_after_a_retry_ends_the_retries(
    http: httpx.AsyncClient, router: respx.Router, sleeps: Sleeps
) -> None:
    route = router.get("/quotes/1").mock(side_effect=then(httpx.Response(503), httpx.Response(404)))

    with pytest.raises(NotFound) as info:
        await make_client(http, sleeps).get("/quotes/1", Quote)

    assert route.call_count == 2
    assert info.value.attempts == 2


async def test_post_is_never_retried(
    http: httpx.AsyncClient, router: respx.Router, sleeps: Sleeps
) -> None:
    route = router.post("/quotes/add").respond(503)

    with pytest.raises(Unavailable) as info:
        await make_client(http, sleeps).post("/quotes/add", Quote, json={"quote": "q"})

    assert route.call_count == 1
    assert info.value.attempts == 1


async def test_post_with_an_idempotency_key_is_retried(
    http: httpx.AsyncClient, router: respx.Router, sleeps: Sleeps
) -> None:
    route = router.post("/quotes/add").mock(side_effect=then(httpx.Response(503), OK))

    await make_client(http, sleeps).post(
        "/quotes/add", Quote, json={"quote": "q"}, headers={"Idempotency-Key": "k-1"}
    )

    assert route.call_count == 2
    assert [call.request.headers["idempotency-key"] for call in route.calls] == ["k-1", "k-1"]


async def test_retry_after_is_waited_when_it_fits(
    http: httpx.AsyncClient, router: respx.Router, sleeps: Sleeps
) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "1"})
    route = router.get("/quotes/1").mock(side_effect=then(limited, OK))

    await make_client(http, sleeps).get("/quotes/1", Quote)

    assert route.call_count == 2
    assert sleeps == [1.0]


async def test_retry_after_on_a_503_is_honoured_too(
    http: httpx.AsyncClient, router: respx.Router, sleeps: Sleeps
) -> None:
    busy = httpx.Response(503, headers={"Retry-After": "0.5"})
    router.get("/quotes/1").mock(side_effect=then(busy, OK))

    await make_client(http, sleeps).get("/quotes/1", Quote)

    assert sleeps == [0.5]


async def test_a_long_retry_after_fails_fast(
    http: httpx.AsyncClient, router: respx.Router, sleeps: Sleeps
) -> None:
    route = router.get("/quotes/1").respond(429, headers={"Retry-After": "5"})

    with pytest.raises(RateLimited) as info:
        await make_client(http, sleeps, retry_after_max=2.0).get("/quotes/1", Quote)

    assert route.call_count == 1
    assert info.value.retry_after == 5
    assert sleeps == []


async def test_a_retry_after_beyond_the_deadline_fails_fast(
    http: httpx.AsyncClient, router: respx.Router, sleeps: Sleeps
) -> None:
    route = router.get("/quotes/1").respond(429, headers={"Retry-After": "1"})
    set_deadline(0.8)

    with pytest.raises(RateLimited):
        await make_client(http, sleeps).get("/quotes/1", Quote)

    assert route.call_count == 1
    assert sleeps == []


async def test_no_backoff_starts_that_would_end_past_the_deadline(
    http: httpx.AsyncClient, router: respx.Router, sleeps: Sleeps
) -> None:
    route = router.get("/quotes/1").respond(503)
    set_deadline(1.0)

    with pytest.raises(Unavailable) as info:
        await make_client(http, sleeps, backoff_base=2.0, backoff_max=2.0).get("/quotes/1", Quote)

    assert route.call_count == 1
    assert info.value.attempts == 1
    assert sleeps == []


async def test_no_retry_starts_without_time_for_an_attempt(
    http: httpx.AsyncClient, router: respx.Router, sleeps: Sleeps
) -> None:
    route = router.get("/quotes/1").respond(503)
    set_deadline(0.04)

    with pytest.raises(Unavailable):
        await make_client(http, sleeps, rand=0.0, min_attempt_time=0.05).get("/quotes/1", Quote)

    assert route.call_count == 1


async def test_a_spent_budget_stops_retries(
    http: httpx.AsyncClient, router: respx.Router, sleeps: Sleeps
) -> None:
    route = router.get("/quotes/1").respond(503)
    budget = RetryBudget(BudgetPolicy(ratio=0.0, min_per_second=0.0), clock=lambda: 0.0)
    client = make_client(http, sleeps, budget=budget)

    with pytest.raises(Unavailable) as first:
        await client.get("/quotes/1", Quote)
    with pytest.raises(Unavailable) as second:
        await client.get("/quotes/1", Quote)

    assert first.value.attempts == 2, "the budget held one token"
    assert second.value.attempts == 1
    assert route.call_count == 3


async def test_retries_stop_once_the_breaker_opens(
    http: httpx.AsyncClient, router: respx.Router, sleeps: Sleeps
) -> None:
    route = router.get("/quotes/1").respond(503)
    breaker = CircuitBreaker("quotes", BreakerPolicy(consecutive_failures=2))
    client = make_client(http, sleeps, attempts=5, breaker=breaker)

    with pytest.raises(Unavailable) as info:
        await client.get("/quotes/1", Quote)

    assert breaker.state is BreakerState.OPEN
    assert info.value.attempts == 2
    assert route.call_count == 2


class TrackedStream(httpx.AsyncByteStream):
    def __init__(self, log: list[str], name: str, body: bytes) -> None:
        self.log, self.name, self.body = log, name, body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.body

    async def aclose(self) -> None:
        self.log.append(f"closed {self.name}")


async def test_a_failed_response_is_closed_before_the_retry_is_sent(sleeps: Sleeps) -> None:
    log: list[str] = []
    answers = iter(
        [(503, b'{"message": "busy"}'), (200, b'{"id": 1, "quote": "q", "author": "a"}')]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        status, body = next(answers)
        log.append(f"sent {status}")
        return httpx.Response(status, stream=TrackedStream(log, str(status), body))

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    await make_client(http, sleeps).get("/quotes/1", Quote)

    assert log == ["sent 503", "closed 503", "sent 200", "closed 200"]


async def test_an_attempt_is_bounded_as_a_whole(
    http: httpx.AsyncClient, router: respx.Router
) -> None:
    """A mock transport ignores httpx's per-read timeouts: only the pipeline's own bound ends this
    (as it would end a body trickled one byte per read timeout)."""

    async def never(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    router.get("/quotes/1").mock(side_effect=never)
    policy = ServicePolicy(BASE_URL, 0.05)
    client = DownstreamClient(http, service="quotes", policy=policy)

    with pytest.raises(Timeout) as info:
        await client.get("/quotes/1", Quote)

    assert info.value.by_deadline is False
    assert info.value.retryable is True


async def test_a_timeout_cut_short_by_the_deadline_says_so(
    http: httpx.AsyncClient, router: respx.Router, sleeps: Sleeps
) -> None:
    sent: list[httpx.Request] = []

    async def never(request: httpx.Request) -> httpx.Response:
        sent.append(request)  # respx counts a call only once it has answered
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    router.get("/quotes/1").mock(side_effect=never)
    set_deadline(0.05)

    with pytest.raises(Timeout) as info:
        await make_client(http, sleeps).get("/quotes/1", Quote)

    assert info.value.by_deadline is True
    assert len(sent) == 1, "no time left for a retry"
