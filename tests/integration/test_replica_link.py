"""The replicas' link (purges, cool-downs) against a real redis-server, several links in one
process standing in for replicas: what each message does, and what a stray one does not."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager

import pytest
import redis.asyncio as redis
from support import ManualClock, RedisServer

from clients.cache import CacheCounters, CachePolicy, ResponseCache
from clients.cooldown import Cooldown
from clients.policies import CooldownPolicy
from clients.replicas import COOLDOWNS, PURGES, ReplicaLink

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

ORIGIN = "http://down.test"
POLICY = CachePolicy(ttl=60)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


class Replica:
    def __init__(self, url: str) -> None:
        self.clock = ManualClock()
        self.cache = ResponseCache(clock=self.clock)
        self.cooldown = Cooldown(ORIGIN, CooldownPolicy(max_seconds=60), clock=self.clock)
        self.counters = CacheCounters()
        self.link = ReplicaLink(
            url, cache=self.cache, cooldowns=[self.cooldown], counters=self.counters, retry=0.2
        )


async def until(condition: Callable[[], bool], within: float = 5.0) -> bool:
    give_up = time.monotonic() + within
    while not condition():
        if time.monotonic() > give_up:
            return False
        await asyncio.sleep(0.005)
    return True


@asynccontextmanager
async def replicas(url: str, count: int) -> AsyncIterator[list[Replica]]:
    started = [Replica(url) for _ in range(count)]
    for replica in started:
        replica.link.start()
    try:
        assert await until(lambda: all(r.link.listening for r in started))
        yield started
    finally:
        for replica in started:
            await replica.link.aclose()


async def test_a_purge_reaches_every_replica_and_counts_those_that_purged(
    redis_server: RedisServer,
) -> None:
    async def scenario() -> None:
        async with replicas(redis_server.url, 3) as (one, two, three):
            for replica in (one, two, three):
                replica.cache.put("products:/products/1?", POLICY, "p1")
                replica.cache.put("users:/users/1?", POLICY, "u1")
            assert await one.link.purge("products:") == 3
            for replica in (one, two, three):
                assert replica.cache.peek("products:/products/1?", POLICY) is None
                assert replica.cache.peek("users:/users/1?", POLICY) is not None
            assert sum(r.counters.tier_errors for r in (one, two, three)) == 0

    await scenario()


async def test_a_cool_down_reaches_the_others_and_a_late_replica_reads_it(
    redis_server: RedisServer,
) -> None:
    async def scenario() -> None:
        async with replicas(redis_server.url, 2) as (one, two):
            one.cooldown.start(5)
            assert await until(lambda: two.cooldown.active)
            assert 0 < two.cooldown.remaining <= 5
            assert two.cooldown.started == 1
            # A replica that subscribes later finds it in Redis, with the time that is left.
            async with replicas(redis_server.url, 1) as (late,):
                assert await until(lambda: late.cooldown.active)
                assert late.cooldown.remaining <= 5
            # Not echoed back: the first replica started one cool-down, and announced it once.
            assert one.cooldown.started == 1

    await scenario()


async def test_stray_messages_change_nothing_and_keep_the_subscription(
    redis_server: RedisServer,
) -> None:
    async def scenario() -> None:
        async with replicas(redis_server.url, 1) as (replica,):
            replica.cache.put("products:/products/1?", POLICY, "p1")
            direct = redis.Redis.from_url(redis_server.url)
            for channel, data in (
                (PURGES, b"not json"),
                (PURGES, b"[1, 2]"),
                (PURGES, b'{"prefix": 7}'),
                (COOLDOWNS, b'{"origin": "http://elsewhere.test", "ms": 5000}'),
                (COOLDOWNS, b'{"origin": "http://down.test", "ms": "long"}'),
            ):
                assert await direct.publish(channel, data) == 1
            # A well-formed purge after them is still heard: none broke the listener.
            assert await replica.link.purge("users:") == 1
            await direct.aclose()
            assert replica.link.listening
            assert replica.cache.peek("products:/products/1?", POLICY) is not None
            assert not replica.cooldown.active

    await scenario()
