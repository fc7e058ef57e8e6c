"""The Redis tier against a real redis-server: round trips, ages, purges, and an outage."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator

import pytest
import redis.asyncio as redis
from pydantic import TypeAdapter
from support import RedisServer

from clients.cache import CacheCounters
from clients.shared_cache import LEASES, POLL_SECONDS, SharedCacheTier
from schemas.downstream import Category, Quote

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

QUOTE = TypeAdapter(Quote)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


class Clocks:
    def __init__(self) -> None:
        self.mono = 50.0
        self.wall = 1_700_000_000.0

    def monotonic(self) -> float:
        return self.mono

    def time(self) -> float:
        return self.wall


async def test_entries_round_trip_with_their_age(redis_server: RedisServer) -> None:
    clocks = Clocks()
    counters = CacheCounters()

    async def scenario() -> None:
        writer = SharedCacheTier(
            redis_server.url, counters=counters, clock=clocks.monotonic, wall_clock=clocks.time
        )
        reader = SharedCacheTier(
            redis_server.url, counters=counters, clock=clocks.monotonic, wall_clock=clocks.time
        )
        quote = Quote(id=1, quote="Stay hungry.", author="Someone")
        await writer.put("quotes:/quotes/1?", QUOTE, quote, retention=60)
        clocks.wall += 7
        entry = await reader.get("quotes:/quotes/1?", QUOTE)
        assert entry is not None
        assert entry.value == quote
        assert clocks.mono - entry.stored_at == pytest.approx(7)
        categories = TypeAdapter(list[Category])
        value = [Category(slug="beauty", name="Beauty", url="https://x/beauty")]
        await writer.put("products:/products/categories?", categories, value, retention=60)
        assert (await reader.get("products:/products/categories?", categories)).value == value  # type: ignore[union-attr]
        assert await reader.get("quotes:/quotes/2?", QUOTE) is None
        await writer.aclose()
        await reader.aclose()

    await scenario()
    assert counters.tier_errors == 0


async def test_purge_by_prefix(redis_server: RedisServer) -> None:
    async def scenario() -> tuple[int, int]:
        tier = SharedCacheTier(redis_server.url, counters=CacheCounters())
        quote = Quote(id=1, quote="q", author="a")
        for key in ("quotes:/quotes/1?", "quotes:/quotes/2?", "users:/users/1?"):
            await tier.put(key, QUOTE, quote, retention=60)
        dropped = await tier.purge("quotes:")
        rest = await tier.purge()
        await tier.aclose()
        return dropped, rest

    assert await scenario() == (2, 1)


async def test_an_outage_is_counted_logged_and_then_skipped(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    clocks = Clocks()
    counters = CacheCounters()

    async def scenario() -> None:
        tier = SharedCacheTier(
            redis_server.url, counters=counters, clock=clocks.monotonic, pause_after_failure=5
        )
        await tier.put("quotes:/quotes/1?", QUOTE, Quote(id=1, quote="q", author="a"), 60)
        redis_server.stop()
        assert await tier.get("quotes:/quotes/1?", QUOTE) is None
        assert not tier.available
        assert await tier.get("quotes:/quotes/1?", QUOTE) is None, "skipped, no new attempt"
        assert counters.tier_errors == 1
        clocks.mono += 5
        assert tier.available
        await tier.put("quotes:/quotes/1?", QUOTE, Quote(id=1, quote="q", author="a"), 60)
        assert counters.tier_errors == 2
        await tier.aclose()

    with caplog.at_level(logging.WARNING, logger="bff.cache"):
        await scenario()
    assert "shared cache tier unavailable" in caplog.text


class SteppedSleep:
    """The tier's poll sleep on a manual clock: each poll advances it, nothing waits."""

    def __init__(self, clocks: Clocks, on_first: Callable[[], None] | None = None) -> None:
        self.clocks = clocks
        self.polls = 0
        self._on_first = on_first

    async def __call__(self, seconds: float) -> None:
        self.polls += 1
        self.clocks.mono += seconds
        if self.polls == 1 and self._on_first is not None:
            self._on_first()
        await asyncio.sleep(0)  # let the other replica's Redis round trips run


async def test_one_replica_loads_a_cold_key_and_the_other_takes_its_answer(
    redis_server: RedisServer,
) -> None:
    clocks = Clocks()
    counters = CacheCounters()
    quote = Quote(id=3, quote="Once.", author="Holder")
    loads: list[str] = []

    async def scenario() -> list[Quote]:
        release = asyncio.Event()
        holding = asyncio.Event()
        sleep = SteppedSleep(clocks, on_first=release.set)
        holder = SharedCacheTier(redis_server.url, counters=counters, clock=clocks.monotonic)
        waiter = SharedCacheTier(
            redis_server.url,
            counters=counters,
            clock=clocks.monotonic,
            sleep=sleep,
            timer=clocks.monotonic,
        )

        async def slow_load() -> Quote:
            loads.append("holder")
            holding.set()
            await release.wait()
            return quote

        async def must_not_load() -> Quote:
            loads.append("waiter")
            return quote

        key = "quotes:/quotes/3?"
        first = asyncio.ensure_future(
            holder.load_once(key, QUOTE, slow_load, fresh_for=60, retention=60, wait=5)
        )
        await holding.wait()
        second = await waiter.load_once(
            key, QUOTE, must_not_load, fresh_for=60, retention=60, wait=5
        )
        values = [await first, second]
        await holder.aclose()
        await waiter.aclose()
        return values

    assert await scenario() == [quote, quote]
    assert loads == ["holder"]
    assert counters.lease_joins == 1
    assert counters.tier_errors == 0


async def test_a_lease_left_by_a_dead_replica_costs_one_bounded_wait(
    redis_server: RedisServer,
) -> None:
    clocks = Clocks()
    counters = CacheCounters()
    sleep = SteppedSleep(clocks)
    quote = Quote(id=4, quote="Alone.", author="Survivor")
    loads: list[str] = []

    async def scenario() -> Quote:
        # The replica that took it died before releasing it; its expiry is far away.
        raw = redis.Redis.from_url(redis_server.url)
        await raw.set(LEASES + "quotes:/quotes/4?", "dead-replica", px=60_000)
        await raw.aclose()
        tier = SharedCacheTier(
            redis_server.url,
            counters=counters,
            clock=clocks.monotonic,
            sleep=sleep,
            timer=clocks.monotonic,
        )

        async def load() -> Quote:
            loads.append("own call")
            return quote

        value = await tier.load_once(
            "quotes:/quotes/4?", QUOTE, load, fresh_for=60, retention=60, wait=0.5
        )
        # Its answer is shared: the next replica finds it without a lease.
        assert (await tier.get("quotes:/quotes/4?", QUOTE)) is not None
        await tier.aclose()
        return value

    assert await scenario() == quote
    assert loads == ["own call"]
    assert sleep.polls == round(0.5 / POLL_SECONDS)
    assert counters.lease_joins == 0


class CountedSleep:
    """A real sleep that counts its calls and sets ``after`` once ``n`` have returned."""

    def __init__(self, n: int) -> None:
        self.calls = 0
        self.after = asyncio.Event()
        self._n = n

    async def __call__(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self.calls += 1
        if self.calls >= self._n:
            self.after.set()


async def test_a_holder_slower_than_its_lease_keeps_it_and_the_others_wait(
    redis_server: RedisServer,
) -> None:
    """A slow downstream (or a replica's busy loop) must not hand the key to a second caller:
    the holder renews its lease while its call is out, and the waiter, with no deadline, waits."""
    counters = CacheCounters()
    quote = Quote(id=5, quote="Slow.", author="Holder")
    loads: list[str] = []
    key = "quotes:/quotes/5?"
    lease = 0.1
    # Six renewal periods of a third of the lease: two leases' time with the call still out.
    renewals = CountedSleep(6)

    async def scenario() -> list[Quote]:
        holding = asyncio.Event()
        holder = SharedCacheTier(redis_server.url, counters=counters, lease=lease, sleep=renewals)
        waiter = SharedCacheTier(redis_server.url, counters=counters, lease=lease)
        raw = redis.Redis.from_url(redis_server.url)

        async def slow_load() -> Quote:
            loads.append("holder")
            holding.set()
            await renewals.after.wait()
            return quote

        async def must_not_load() -> Quote:
            loads.append("waiter")
            renewals.after.set()  # the holder need not wait any longer: the test has failed
            return quote

        first = asyncio.ensure_future(
            holder.load_once(key, QUOTE, slow_load, fresh_for=60, retention=60, wait=None)
        )
        await holding.wait()
        second = await waiter.load_once(
            key, QUOTE, must_not_load, fresh_for=60, retention=60, wait=None
        )
        values = [await first, second]
        assert not await raw.exists(LEASES + key), "released once the answer was written"
        await raw.aclose()
        await holder.aclose()
        await waiter.aclose()
        return values

    assert await scenario() == [quote, quote]
    assert loads == ["holder"]
    assert counters.lease_joins == 1
    assert counters.tier_errors == 0
