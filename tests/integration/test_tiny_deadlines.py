"""Tiny deadlines cannot pile up downstream work: shared calls stay bounded by admission.

Before: `X-Request-Timeout: 0.001` answered at once but left the cache's shared (single-flight)
downstream calls running with no bound; 16 connections made 1,597 such calls in 6 s against a
1 s downstream, filled the pool, and an innocent profile got 502 PoolTimeout. Now a deadline is
never below `BFF_MIN_REQUEST_TIMEOUT`, and a request's admission slot is held until the shared
calls it started have ended.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from support import Simulator, pool_in_use, settings_for

from bff.app import create_app
from simulator import BackgroundServer

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

ATTACKERS = 16
ATTACK_SECONDS = 3.0
SCREENS = 4
CALLS_PER_SCREEN = 4  # the profile: user, carts, posts, todos
DOWNSTREAM_DELAY_MS = 1000


@pytest.fixture
def guarded_bff(sim: Simulator, http_transport: str) -> Iterator[tuple[str, FastAPI]]:
    settings = settings_for(
        sim.url, http_transport=http_transport, cache_enabled=True, max_concurrent_screens=SCREENS
    )
    app = create_app(settings)
    with BackgroundServer(app) as server:
        yield server.url, app


async def _attack(url: str, app: FastAPI) -> tuple[httpx.Response, Counter[int], int]:
    stop = time.monotonic() + ATTACK_SECONDS
    statuses: Counter[int] = Counter()
    peak = 0

    async def attacker(client: httpx.AsyncClient, first_user: int) -> None:
        user = first_user
        while time.monotonic() < stop:
            response = await client.get(
                f"/v1/users/{user}/profile", headers={"X-Request-Timeout": "0.001"}
            )
            statuses[response.status_code] += 1
            user = user % 200 + ATTACKERS  # a fresh cache key almost every time

    async def sample() -> None:
        nonlocal peak
        while time.monotonic() < stop:
            peak = max(peak, pool_in_use(app.state.http))
            await asyncio.sleep(0.005)

    limits = httpx.Limits(max_connections=ATTACKERS + 1)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        attack = [asyncio.create_task(attacker(client, n + 1)) for n in range(ATTACKERS)]
        sampler = asyncio.create_task(sample())
        await asyncio.sleep(ATTACK_SECONDS / 3)  # let the flood build up first
        innocent = await client.get("/v1/users/208/profile")
        await asyncio.gather(*attack, sampler)
    return innocent, statuses, peak


async def test_tiny_deadlines_do_not_starve_an_ordinary_request(
    guarded_bff: tuple[str, FastAPI], sim: Simulator
) -> None:
    url, app = guarded_bff
    sim.faults({"path": "*", "mode": "delay", "delay_ms": DOWNSTREAM_DELAY_MS})

    innocent, statuses, peak = await _attack(url, app)

    calls = sim.stats()["total"]
    print(
        f"{ATTACKERS} connections x {ATTACK_SECONDS:.0f} s of X-Request-Timeout 0.001: "
        f"{dict(statuses)}; downstream calls {calls}; pool peak {peak}; "
        f"innocent {innocent.status_code}"
    )
    assert innocent.status_code == 200, innocent.text
    assert innocent.json()["meta"]["partial"] is False
    assert peak <= SCREENS * CALLS_PER_SCREEN
    assert set(statuses) <= {503, 504}, statuses
    # Each slot runs at most one screen's calls per downstream delay.
    bound = SCREENS * CALLS_PER_SCREEN * (ATTACK_SECONDS * 1000 / DOWNSTREAM_DELAY_MS + 2)
    assert calls <= bound
