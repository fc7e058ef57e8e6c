"""The cache step of the pipeline, over respx: what is cached, under which key, and what the
call's timing record says about it."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx
from support import ManualClock

from clients import (
    DownstreamClient,
    ServicePolicy,
    Timeout,
    Unavailable,
    narrowed,
    scope_var,
    set_deadline,
)
from clients.cache import CachePolicy, ResponseCache
from clients.cache_layer import CacheLayer
from clients.policies import RetryPolicy
from clients.record import CallRecord
from schemas.downstream import Quote

pytestmark = pytest.mark.anyio

BASE_URL = "http://down.test"
QUOTE = {"id": 1, "quote": "Make it work, make it right, make it fast.", "author": "Beck"}
POLICY = CachePolicy(ttl=30, stale_if_error=60)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def layer(clock: ManualClock, *, enabled: bool = True) -> CacheLayer:
    policies = {"quotes.get": POLICY, "auth.me": CachePolicy(ttl=30)}
    return CacheLayer(ResponseCache(clock=clock, enabled=enabled), policies)


def client(http: httpx.AsyncClient, cache: CacheLayer, service: str = "quotes") -> DownstreamClient:
    policy = ServicePolicy(base_url=BASE_URL, timeout=5.0, retry=RetryPolicy(attempts=1))
    return DownstreamClient(http, service=service, policy=policy, cache=cache)


async def test_a_named_get_is_cached_and_its_timing_says_so(http: httpx.AsyncClient) -> None:
    cache = layer(ManualClock(100.0))
    quotes = client(http, cache)
    calls: list[CallRecord] = []
    token = narrowed(calls=calls)
    try:
        with respx.mock(base_url=BASE_URL) as mock:
            route = mock.get("/quotes/1").respond(json=QUOTE)
            first = await quotes.get("/quotes/1", Quote, operation="quotes.get")
            second = await quotes.get("/quotes/1", Quote, operation="quotes.get")
    finally:
        scope_var.reset(token)

    assert first is second, "the cached model itself, decoded once"
    assert route.call_count == 1
    assert [(call.operation, call.cache, call.attempts) for call in calls] == [
        ("quotes.get", "miss", 1),
        ("quotes.get", "hit", 0),
    ]
    assert calls[1].fresh_for == pytest.approx(30)
    assert not calls[1].private


async def test_unnamed_calls_and_posts_are_never_cached(http: httpx.AsyncClient) -> None:
    quotes = client(http, layer(ManualClock(100.0)))
    with respx.mock(base_url=BASE_URL) as mock:
        get = mock.get("/quotes/1").respond(json=QUOTE)
        post = mock.post("/quotes/1").respond(json=QUOTE)
        for _ in range(2):
            await quotes.get("/quotes/1", Quote)
            await quotes.post("/quotes/1", Quote, json={}, operation="quotes.get")

    assert get.call_count == post.call_count == 2


async def test_a_disabled_cache_calls_every_time(http: httpx.AsyncClient) -> None:
    quotes = client(http, layer(ManualClock(100.0), enabled=False))
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/quotes/1").respond(json=QUOTE)
        await quotes.get("/quotes/1", Quote, operation="quotes.get")
        await quotes.get("/quotes/1", Quote, operation="quotes.get")

    assert route.call_count == 2


async def test_credentialed_calls_are_cached_per_caller(http: httpx.AsyncClient) -> None:
    cache = layer(ManualClock(100.0))
    auth = client(http, cache, service="auth")
    # Any model will do: the answer differs per caller, which is what matters here.
    mine = {**QUOTE, "id": 1}
    theirs = {**QUOTE, "id": 2}

    def me_for(request: httpx.Request) -> httpx.Response:
        token = request.headers["Authorization"]
        return httpx.Response(200, json=mine if token == "Bearer token-a" else theirs)

    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/auth/me").mock(side_effect=me_for)
        results = [
            await auth.get(
                "/auth/me", Quote, headers={"Authorization": f"Bearer {t}"}, operation="auth.me"
            )
            for t in ("token-a", "token-b", "token-a", "token-b")
        ]

    assert [answer.id for answer in results] == [1, 2, 1, 2]
    assert route.call_count == 2
    keys = [key for store in cache.response._stores.values() for key in store]
    assert all("token" not in key for key in keys), "the key holds a hash, never the token"


async def test_a_failure_is_not_cached_and_a_stale_copy_covers_it(
    http: httpx.AsyncClient,
) -> None:
    clock = ManualClock(100.0)
    quotes = client(http, layer(clock))
    calls: list[CallRecord] = []
    token = narrowed(calls=calls)
    try:
        with respx.mock(base_url=BASE_URL) as mock:
            route = mock.get("/quotes/1")
            route.respond(503)
            with pytest.raises(Unavailable):
                await quotes.get("/quotes/1", Quote, operation="quotes.get")
            route.respond(json=QUOTE)
            fresh = await quotes.get("/quotes/1", Quote, operation="quotes.get")
            clock.now += 45
            route.respond(503)
            covered = await quotes.get("/quotes/1", Quote, operation="quotes.get")
    finally:
        scope_var.reset(token)

    assert covered == fresh
    assert route.call_count == 3
    stale = calls[-1]
    assert (stale.cache, stale.stale_if_error, stale.stale_cause, stale.status) == (
        "stale",
        True,
        "unavailable",
        503,
    )
    assert stale.fresh_for == pytest.approx(-15)


async def test_each_waiter_of_a_shared_call_keeps_its_own_deadline(
    http: httpx.AsyncClient,
) -> None:
    """A caller with a short deadline gives up alone: the shared call goes on for the others
    (and for the cache) instead of failing them with the first caller's deadline."""
    quotes = client(http, layer(ManualClock(100.0)))
    answer = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        await answer.wait()
        return httpx.Response(200, json=QUOTE)

    async def get_within(seconds: float | None) -> Quote:
        token = set_deadline(seconds)
        try:
            return await quotes.get("/quotes/1", Quote, operation="quotes.get")
        finally:
            scope_var.reset(token)

    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/quotes/1").mock(side_effect=slow)
        impatient = asyncio.create_task(get_within(0.05))
        patient = asyncio.create_task(get_within(None))
        with pytest.raises(Timeout) as gave_up:
            await impatient
        assert not patient.done(), "the others still wait for the shared call"
        answer.set()
        served = await patient
        again = await get_within(0.05)

    assert gave_up.value.by_deadline
    # It started the shared call, whose one attempt was under way for it; asking again may be
    # answered from the cache that call fills.
    assert gave_up.value.attempts == 1
    assert gave_up.value.retryable
    assert served.id == again.id == 1
    assert route.call_count == 1, "one shared call, then a hit"


class LeasedTier:
    """Stands in for the Redis tier: records how long a cold load would wait for another
    replica's, then loads (as when no other replica answers in time)."""

    lease = 60.0

    def __init__(self) -> None:
        self.waits: list[float | None] = []

    async def get(self, key: str, adapter: object) -> None:
        return None

    async def load_once(self, key: str, adapter: object, load: Any, **options: float | None) -> Any:
        self.waits.append(options["wait"])
        return await load()


async def test_waiting_for_another_replicas_load_never_outlasts_the_request_deadline(
    http: httpx.AsyncClient,
) -> None:
    tier = LeasedTier()
    cache = CacheLayer(
        ResponseCache(clock=ManualClock()),
        {"quotes.get": POLICY},
        tier=tier,  # type: ignore[arg-type]
    )
    with respx.mock(base_url=BASE_URL) as router:
        router.get("/quotes/1").respond(json=QUOTE)
        router.get("/quotes/2").respond(json={**QUOTE, "id": 2})
        downstream = client(http, cache)
        token = set_deadline(30)
        try:
            await downstream.get("/quotes/1", Quote, operation="quotes.get")
        finally:
            scope_var.reset(token)
        await downstream.get("/quotes/2", Quote, operation="quotes.get")
    assert len(tier.waits) == 2
    assert 0 < tier.waits[0] <= 30, "bounded by the deadline"
    assert tier.waits[1] is None, "no deadline: as long as the other replica holds the lease"


async def test_a_background_refresh_leaves_the_record_of_the_call_it_served(
    http: httpx.AsyncClient,
) -> None:
    """A stale-while-revalidate answer returns at once; the refresh it starts runs on after the
    call has returned, and its attempts are its own, not the returned call's (they would show
    in that call's Server-Timing, span and logs)."""
    clock = ManualClock(100.0)
    swr = CachePolicy(ttl=30, stale_while_revalidate=60)
    cache = CacheLayer(ResponseCache(clock=clock), {"quotes.get": swr})
    quotes = client(http, cache)
    calls: list[CallRecord] = []
    token = narrowed(calls=calls)
    try:
        with respx.mock(base_url=BASE_URL) as mock:
            route = mock.get("/quotes/1").respond(json=QUOTE)
            await quotes.get("/quotes/1", Quote, operation="quotes.get")
            clock.now += 45
            await quotes.get("/quotes/1", Quote, operation="quotes.get")
            served = (calls[-1].cache, calls[-1].attempts)
            await cache.response.settle()
    finally:
        scope_var.reset(token)

    assert route.call_count == 2, "the stale read started one refresh, which has run"
    assert served == ("stale", 0)
    assert [(call.cache, call.attempts) for call in calls] == [("miss", 1), ("stale", 0)]
