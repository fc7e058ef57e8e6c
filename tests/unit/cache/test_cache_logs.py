"""The cache's log lines name a key by its path: its query holds what users typed."""

from __future__ import annotations

import logging

import pytest
from support import ManualClock

from clients.cache import CachePolicy, ResponseCache, cache_key
from clients.errors import Unavailable

pytestmark = pytest.mark.anyio


POLICY = CachePolicy(ttl=10, stale_while_revalidate=0, stale_if_error=60)


async def test_the_stale_copy_line_holds_no_search_text(caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock(1000.0)
    cache = ResponseCache(clock=clock)
    key = cache_key("products", "/products/search", {"q": "my-secret-search", "limit": 5}, "")
    failing = False

    async def load() -> int:
        if failing:
            raise Unavailable("products", "503")
        return 1

    async def scenario() -> None:
        nonlocal failing
        await cache.fetch(key, POLICY, load)
        failing = True
        clock.advance(30)
        outcome = await cache.fetch(key, POLICY, load)
        assert outcome.status == "stale"

    with caplog.at_level(logging.DEBUG):
        await scenario()
    lines = [record.getMessage() for record in caplog.records]
    assert any("serving a stale copy of products:/products/search" in line for line in lines)
    assert not any("my-secret-search" in line for line in lines), lines
