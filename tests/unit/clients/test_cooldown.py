"""The rate-limit cool-down: after a 429 or `X-RateLimit-Remaining: 0`, nothing is sent until the
window ends. A manual clock steps through windows; sleeps are recorded, never waited."""

from collections.abc import Iterator
from email.utils import formatdate

import httpx
import pytest
import respx
from support import ManualClock

from clients import (
    CoolingDown,
    DownstreamClient,
    Downstreams,
    RateLimited,
    RequestScope,
    ServicePolicy,
    enter,
    scope_var,
)
from clients.breaker import BreakerState
from clients.cooldown import Cooldown
from clients.errors import Fault
from clients.policies import CooldownPolicy, RetryPolicy
from clients.registry import SERVICES
from schemas.downstream import Quote

pytestmark = pytest.mark.anyio

BASE_URL = "http://down.test"
QUOTE = {"id": 1, "quote": "Make it work.", "author": "Beck"}
WALL = 1_800_000_000.0


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(autouse=True)
def no_deadline() -> Iterator[None]:
    token = enter(RequestScope())
    yield
    scope_var.reset(token)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def make_client(
    http: httpx.AsyncClient,
    clock: ManualClock,
    sleeps: Sleeps,
    *,
    attempts: int = 1,
    max_seconds: float = 60.0,
) -> DownstreamClient:
    policy = ServicePolicy(
        base_url=BASE_URL,
        timeout=2.0,
        retry=RetryPolicy(attempts=attempts, retry_after_max=2.0),
        cooldown=CooldownPolicy(max_seconds=max_seconds),
    )
    cooldown = Cooldown("quotes", policy.cooldown, clock=clock, wall=lambda: WALL)
    return DownstreamClient(http, service="quotes", policy=policy, cooldown=cooldown, sleep=sleeps)


async def test_a_429_stops_every_call_until_its_retry_after_has_passed(
    http: httpx.AsyncClient, router: respx.Router, clock: ManualClock, sleeps: Sleeps
) -> None:
    route = router.get("/quotes/1").respond(429, headers={"Retry-After": "10"})
    client = make_client(http, clock, sleeps)

    with pytest.raises(RateLimited):
        await client.get("/quotes/1", Quote)
    seen = []
    for _ in range(3):
        with pytest.raises(CoolingDown) as refused:
            await client.get("/quotes/1", Quote)
        seen.append(refused.value.retry_after)
        clock.advance(3)

    assert route.call_count == 1, "nothing sent during the cool-down"
    assert seen == [10, 7, 4], "the time left counts down"
    assert refused.value.attempts == 0
    assert refused.value.code == "rate_limited"
    assert refused.value.fault is Fault.LOCAL
    clock.advance(1)
    route.respond(200, json=QUOTE)
    await client.get("/quotes/1", Quote)
    assert route.call_count == 2
    assert (client.cooldown.started, client.cooldown.refused) == (1, 3)


@pytest.mark.parametrize(
    ("reset", "date", "expected"),
    [
        (str(int(WALL) + 7), formatdate(WALL, usegmt=True), 7.0),  # epoch, against Date
        (str(int(WALL) + 7), None, 7.0),  # epoch, against our wall clock
        ("4", None, 4.0),  # seconds left (the IETF draft's RateLimit-Reset)
    ],
    ids=["epoch-and-date", "epoch", "delta"],
)
async def test_remaining_zero_starts_a_cool_down_until_the_reset(
    http: httpx.AsyncClient,
    router: respx.Router,
    clock: ManualClock,
    sleeps: Sleeps,
    reset: str,
    date: str | None,
    expected: float,
) -> None:
    headers = {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
    if date is not None:
        headers["Date"] = date
    route = router.get("/quotes/1").respond(200, json=QUOTE, headers=headers)
    client = make_client(http, clock, sleeps)

    await client.get("/quotes/1", Quote)  # the last call the window allows succeeds

    assert client.cooldown.remaining == pytest.approx(expected)
    with pytest.raises(CoolingDown):
        await client.get("/quotes/1", Quote)
    assert route.call_count == 1


async def test_remaining_above_zero_changes_nothing(
    http: httpx.AsyncClient, router: respx.Router, clock: ManualClock, sleeps: Sleeps
) -> None:
    headers = {"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": str(int(WALL) + 7)}
    route = router.get("/quotes/1").respond(200, json=QUOTE, headers=headers)
    client = make_client(http, clock, sleeps)

    for _ in range(3):
        await client.get("/quotes/1", Quote)

    assert route.call_count == 3
    assert client.cooldown.remaining == 0


async def test_a_broken_header_cannot_silence_a_service_for_long(
    http: httpx.AsyncClient, router: respx.Router, clock: ManualClock, sleeps: Sleeps
) -> None:
    router.get("/quotes/1").respond(429, headers={"Retry-After": "86400"})
    client = make_client(http, clock, sleeps, max_seconds=30)

    with pytest.raises(RateLimited):
        await client.get("/quotes/1", Quote)

    assert client.cooldown.remaining == 30


async def test_a_429_without_timing_is_retried_not_cooled(
    http: httpx.AsyncClient, router: respx.Router, clock: ManualClock, sleeps: Sleeps
) -> None:
    route = router.get("/quotes/1")
    route.side_effect = [httpx.Response(429), httpx.Response(200, json=QUOTE)]
    client = make_client(http, clock, sleeps, attempts=2)

    await client.get("/quotes/1", Quote)

    assert route.call_count == 2
    assert client.cooldown.started == 0


async def test_a_retry_that_waited_out_its_own_retry_after_is_the_first_call_after_it(
    http: httpx.AsyncClient, router: respx.Router, clock: ManualClock, sleeps: Sleeps
) -> None:
    route = router.get("/quotes/1")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.Response(200, json=QUOTE),
    ]
    client = make_client(http, clock, sleeps, attempts=2)

    await client.get("/quotes/1", Quote)

    assert sleeps == [1.0]
    assert route.call_count == 2


async def test_no_retry_waits_into_a_longer_cool_down(
    http: httpx.AsyncClient, router: respx.Router, clock: ManualClock, sleeps: Sleeps
) -> None:
    client = make_client(http, clock, sleeps, attempts=3)
    client.cooldown.start(20)  # another call's 429 said 20 s
    clock.advance(0.001)
    route = router.get("/quotes/1").respond(503)

    with pytest.raises(CoolingDown):
        await client.get("/quotes/1", Quote)

    assert route.call_count == 0
    assert sleeps == []


async def test_cool_downs_are_shared_by_the_services_of_one_origin(
    http: httpx.AsyncClient, router: respx.Router
) -> None:
    policies = {name: ServicePolicy(base_url=BASE_URL, timeout=2.0) for name in SERVICES}
    policies["quotes"] = ServicePolicy(base_url="http://quotes.test", timeout=2.0)
    downstreams = Downstreams.build(http, policies)
    router.get("/users/1").respond(429, headers={"Retry-After": "10"})

    with pytest.raises(RateLimited):
        await downstreams.users.get(1)

    with pytest.raises(CoolingDown) as refused:
        await downstreams.products.get(1)
    assert refused.value.service == "products"
    assert downstreams.cooldowns["quotes"].remaining == 0, "another origin, another budget"


async def test_cool_downs_are_no_news_for_the_breaker(
    http: httpx.AsyncClient, router: respx.Router, clock: ManualClock, sleeps: Sleeps
) -> None:
    router.get("/quotes/1").respond(429, headers={"Retry-After": "10"})
    client = make_client(http, clock, sleeps)

    for _ in range(50):
        with pytest.raises(RateLimited):
            await client.get("/quotes/1", Quote)

    assert client.breaker.state is BreakerState.CLOSED


def test_a_cool_down_this_process_starts_or_extends_is_announced_to_the_replicas(
    clock: ManualClock,
) -> None:
    cooldown = Cooldown("http://down.test", CooldownPolicy(max_seconds=60), clock=clock)
    heard: list[tuple[str, float]] = []
    cooldown.announce = lambda origin, seconds: heard.append((origin, seconds))
    cooldown.start(5)
    cooldown.start(3)  # ends earlier: nothing new to tell
    clock.advance(1)
    cooldown.start(120)  # capped, and it extends
    assert heard == [("http://down.test", 5), ("http://down.test", 60)]


def test_a_cool_down_learned_from_another_replica_is_applied_but_not_echoed(
    clock: ManualClock,
) -> None:
    cooldown = Cooldown("http://down.test", CooldownPolicy(max_seconds=60), clock=clock)
    heard: list[tuple[str, float]] = []
    cooldown.announce = lambda origin, seconds: heard.append((origin, seconds))
    cooldown.start(4.5, announce=False)
    assert cooldown.remaining == 4.5
    assert cooldown.started == 1
    assert heard == []
    with pytest.raises(CoolingDown):
        cooldown.check("quotes")
