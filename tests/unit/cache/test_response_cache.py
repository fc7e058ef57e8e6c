"""The in-process cache tier with a manual clock: fresh, stale-while-revalidate, stale-if-error,
single-flight and isolation, all without waiting for real time to pass."""

from __future__ import annotations

import asyncio

import pytest
from support import ManualClock

from clients.cache import CachePolicy, ResponseCache, cache_key, identity_of
from clients.cache_layer import CacheLayer
from clients.errors import NotFound, Unavailable

pytestmark = pytest.mark.anyio


class Downstream:
    """Counts calls; each answer is the call number unless told to fail."""

    def __init__(self) -> None:
        self.calls = 0
        self.fail: Exception | None = None
        self.gate: asyncio.Event | None = None

    async def load(self) -> int:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return self.calls


POLICY = CachePolicy(ttl=10, stale_while_revalidate=5, stale_if_error=60)


async def test_fresh_entries_are_hits_until_the_ttl() -> None:
    clock, down = ManualClock(1000.0), Downstream()
    cache = ResponseCache(clock=clock)

    async def scenario() -> list[tuple[int, str]]:
        first = await cache.fetch("k", POLICY, down.load)
        clock.now += 10
        second = await cache.fetch("k", POLICY, down.load)
        return [(first.value, first.status), (second.value, second.status)]

    assert await scenario() == [(1, "miss"), (1, "hit")]
    assert down.calls == 1


async def test_stale_while_revalidate_serves_stale_and_refreshes_once() -> None:
    clock, down = ManualClock(1000.0), Downstream()
    cache = ResponseCache(clock=clock)

    async def scenario() -> tuple[list[str], int]:
        await cache.fetch("k", POLICY, down.load)
        clock.now += 12
        down.gate = asyncio.Event()
        stale = [await cache.fetch("k", POLICY, down.load) for _ in range(5)]
        down.gate.set()
        await cache.settle()
        fresh = await cache.fetch("k", POLICY, down.load)
        return [o.status for o in stale], fresh.value

    statuses, value = await scenario()

    assert statuses == ["stale"] * 5
    assert down.calls == 2, "one refresh for five stale reads"
    assert value == 2
    assert cache.counters.refreshes == 1


async def test_stale_if_error_stands_in_for_a_sick_downstream_then_expires() -> None:
    clock, down = ManualClock(1000.0), Downstream()
    cache = ResponseCache(clock=clock)

    async def scenario() -> None:
        await cache.fetch("k", POLICY, down.load)
        down.fail = Unavailable("products", "503")
        clock.now += 30
        outcome = await cache.fetch("k", POLICY, down.load)
        assert (outcome.value, outcome.status, outcome.age) == (1, "stale", 30)
        clock.now += 41  # past ttl + stale_if_error
        with pytest.raises(Unavailable):
            await cache.fetch("k", POLICY, down.load)

    await scenario()
    assert cache.counters.stale_errors == 1


async def test_a_real_answer_is_never_hidden_behind_a_stale_copy() -> None:
    clock, down = ManualClock(1000.0), Downstream()
    cache = ResponseCache(clock=clock)

    async def scenario() -> None:
        await cache.fetch("k", POLICY, down.load)
        down.fail = NotFound("products", "gone")
        clock.now += 30
        with pytest.raises(NotFound):
            await cache.fetch("k", POLICY, down.load)

    await scenario()


async def test_errors_are_never_cached() -> None:
    down = Downstream()
    cache = ResponseCache(clock=ManualClock(1000.0))
    down.fail = Unavailable("products", "503")

    async def scenario() -> int:
        for _ in range(3):
            with pytest.raises(Unavailable):
                await cache.fetch("k", POLICY, down.load)
        down.fail = None
        return (await cache.fetch("k", POLICY, down.load)).value

    assert await scenario() == 4
    assert len(cache) == 1


async def test_concurrent_misses_share_one_call_and_one_failure() -> None:
    down = Downstream()
    cache = ResponseCache(clock=ManualClock(1000.0))

    async def scenario() -> list[object]:
        down.gate = asyncio.Event()
        waiters = [asyncio.ensure_future(cache.fetch("k", POLICY, down.load)) for _ in range(100)]
        await asyncio.sleep(0)
        down.fail = Unavailable("products", "503")
        down.gate.set()
        return await asyncio.gather(*waiters, return_exceptions=True)

    results = await scenario()

    assert down.calls == 1
    assert all(isinstance(result, Unavailable) for result in results)
    assert len({id(result) for result in results}) == 1, "the same typed error for every waiter"
    assert cache.counters.joins == 99


async def test_a_cancelled_waiter_does_not_cancel_the_shared_call() -> None:
    down = Downstream()
    cache = ResponseCache(clock=ManualClock(1000.0))

    async def scenario() -> int:
        down.gate = asyncio.Event()
        first = asyncio.ensure_future(cache.fetch("k", POLICY, down.load))
        second = asyncio.ensure_future(cache.fetch("k", POLICY, down.load))
        await asyncio.sleep(0)
        first.cancel()
        await asyncio.sleep(0)
        down.gate.set()
        return (await second).value

    assert await scenario() == 1
    assert down.calls == 1


async def test_entries_are_bounded_and_purged_by_prefix() -> None:
    down = Downstream()
    cache = ResponseCache(clock=ManualClock(1000.0))
    small = CachePolicy(ttl=10, max_entries=2)

    async def scenario() -> None:
        for key in ("products:/products/1?", "products:/products/2?", "users:/users/1?"):
            await cache.fetch(key, small, down.load)

    await scenario()

    assert len(cache) == 2
    assert cache.purge("products:") == 1
    assert cache.purge() == 1
    assert len(cache) == 0


def test_a_disabled_cache_is_decided_once_where_calls_get_their_policy() -> None:
    """Whether caching is on is read in one place: with it off, no call has a cache policy, so
    none reaches the cache step (the pipeline test shows every call then goes downstream)."""
    off = CacheLayer(ResponseCache(clock=ManualClock(1000.0), enabled=False), {"k.get": POLICY})
    on = CacheLayer(ResponseCache(clock=ManualClock(1000.0)), {"k.get": POLICY})
    assert off.policy("k.get", "GET") is None
    assert on.policy("k.get", "GET") is POLICY


def test_keys_separate_users_without_holding_their_tokens() -> None:
    alice = identity_of({"Authorization": "Bearer alice-token"})
    bob = identity_of({"Authorization": "Bearer bob-token"})

    key_a = cache_key("auth", "/auth/me", None, alice)
    key_b = cache_key("auth", "/auth/me", None, bob)

    assert key_a != key_b
    assert "alice-token" not in key_a
    assert identity_of({"Accept": "json"}) == ""
    assert cache_key("products", "/products", {"skip": 0, "limit": 5}, "") == (
        "products:/products?limit=5&skip=0"
    )
