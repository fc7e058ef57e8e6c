"""The Redis tier against a real redis-server: round trips, ages, purges, and an outage."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest
from pydantic import TypeAdapter
from support import RedisServer

from clients.cache import CacheCounters
from clients.shared_cache import SharedCacheTier
from schemas.downstream import Category, Quote

pytestmark = pytest.mark.integration

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


def test_entries_round_trip_with_their_age(redis_server: RedisServer) -> None:
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

    asyncio.run(scenario())
    assert counters.tier_errors == 0


def test_purge_by_prefix(redis_server: RedisServer) -> None:
    async def scenario() -> tuple[int, int]:
        tier = SharedCacheTier(redis_server.url, counters=CacheCounters())
        quote = Quote(id=1, quote="q", author="a")
        for key in ("quotes:/quotes/1?", "quotes:/quotes/2?", "users:/users/1?"):
            await tier.put(key, QUOTE, quote, retention=60)
        dropped = await tier.purge("quotes:")
        rest = await tier.purge()
        await tier.aclose()
        return dropped, rest

    assert asyncio.run(scenario()) == (2, 1)


def test_an_outage_is_counted_logged_and_then_skipped(
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
        asyncio.run(scenario())
    assert "shared cache tier unavailable" in caplog.text
