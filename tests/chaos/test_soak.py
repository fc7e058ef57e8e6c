"""A bounded soak: a real BFF under steady load while 10 % of downstream calls fail.

Eight concurrent clients cycle through the six public screens for `SOAK_SECONDS` (15 s by
default; at most 60, and at most `SOAK_MAX_REQUESTS` requests), all on 127.0.0.1. The simulator
fails 10 % of all downstream calls (503s, resets, malformed bodies) the whole time, and during
the middle third the quotes API is down entirely. The soak asserts:

* no 500, and no answer later than the request deadline plus a margin;
* the retry budget holds: downstream calls <= 1.2 x what the same requests cost without faults,
  plus the budget's floor (per service: its starting balance and `min_per_second` per second);
* the quotes breaker opens during the outage (sections report `circuit_open`) and recovers
  after it (the breaker ends closed and quotes are served again);
* the pool is idle at the end.

Run longer with e.g. `SOAK_SECONDS=60 pytest tests/chaos/test_soak.py -s` (the summary line
prints the figures).

The cache is off here, unlike the other chaos tests, which run with it off and on: the soak
bounds the calls that failures cost and watches a breaker see an outage, and the shipped
cache's copies (fresh for 10 to 60 s) would answer most of a 15 s soak without any call.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from chaos_support import ChaosBFF, serve_bff
from support import Simulator

from clients import SERVICES
from clients.breaker import BreakerState
from simulator import BackgroundServer

pytestmark = [pytest.mark.chaos, pytest.mark.anyio]

SOAK_SECONDS = min(60.0, float(os.environ.get("SOAK_SECONDS", "15")))
SOAK_MAX_REQUESTS = int(os.environ.get("SOAK_MAX_REQUESTS", "20000"))
CLIENTS = 8
REQUEST_TIMEOUT = 2.0
MARGIN = 1.0  # the soak saturates both cores: allow more scheduling slack than single requests
BUDGET_PER_SECOND = 1.0
BUDGET_WINDOW = 10.0  # BudgetPolicy.window: the starting balance is this many seconds of floor

SCREENS = (
    "/v1/users/1/profile",
    "/v1/carts/1",
    "/v1/posts/1",
    "/v1/products/1",
    "/v1/home",
    "/v1/search?q=a",
)
TEN_PERCENT = [  # first rule that fires wins: 5 % + 3 % + 2 % of all calls
    {"path": "*", "mode": "status", "status": 503, "rate": 0.05},
    {"path": "*", "mode": "reset", "rate": 0.0316},
    {"path": "*", "mode": "malformed", "rate": 0.0217},
]
QUOTES_DOWN = {"path": "/quotes/*", "mode": "status", "status": 503}


@pytest.fixture
def soak_bff(simulator_server: BackgroundServer) -> Iterator[ChaosBFF]:
    with serve_bff(
        simulator_server.url,
        request_timeout=REQUEST_TIMEOUT,
        downstream_timeout=1.0,
        retry_attempts=3,
        retry_backoff_base=0.02,
        retry_backoff_max=0.2,
        retry_budget_ratio=0.2,
        retry_budget_min_per_second=BUDGET_PER_SECOND,
        breaker_consecutive_failures=5,
        breaker_min_calls=20,
        breaker_window=5.0,
        breaker_open_seconds=1.0,
    ) as bff:
        yield bff


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    screens: Counter[str] = field(default_factory=Counter)
    quote_statuses: list[tuple[float, str]] = field(default_factory=list)
    slowest: float = 0.0

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())


def calls_per_screen(bff: ChaosBFF, sim: Simulator) -> dict[str, int]:
    """What each screen costs downstream with no faults (the soak's baseline)."""
    costs = {}
    for path in SCREENS:
        sim.clear()
        assert bff.get(path).status_code == 200
        costs[path] = sim.stats()["total"]
    sim.clear()
    return costs


async def drive(base_url: str, sim_url: str, tally: Tally) -> float:
    started = time.monotonic()
    stop_at = started + SOAK_SECONDS
    phases = [
        (0.0, TEN_PERCENT),
        (SOAK_SECONDS * 0.35, [QUOTES_DOWN, *TEN_PERCENT]),
        (SOAK_SECONDS * 0.65, TEN_PERCENT),
    ]

    async def schedule(control: httpx.AsyncClient) -> None:
        for at, rules in phases:
            await asyncio.sleep(max(0.0, started + at - time.monotonic()))
            (await control.put("/__sim/faults", json={"rules": rules})).raise_for_status()

    async def client(index: int, http: httpx.AsyncClient) -> None:
        turn = index
        while time.monotonic() < stop_at and tally.requests < SOAK_MAX_REQUESTS:
            path = SCREENS[turn % len(SCREENS)]
            turn += 1
            sent = time.monotonic()
            response = await http.get(path)
            elapsed = time.monotonic() - sent
            tally.statuses[response.status_code] += 1
            tally.screens[path] += 1
            tally.slowest = max(tally.slowest, elapsed)
            if path == "/v1/home" and response.status_code == 200:
                quote = response.json()["meta"]["sections"]["quote"]["status"]
                tally.quote_statuses.append((sent - started, quote))

    limits = httpx.Limits(max_connections=CLIENTS)
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as http,
        httpx.AsyncClient(base_url=sim_url, timeout=10) as control,
    ):
        await asyncio.gather(schedule(control), *(client(i, http) for i in range(CLIENTS)))
    return time.monotonic() - started


async def test_soak_with_ten_percent_failures(soak_bff: ChaosBFF, sim: Simulator) -> None:
    costs = calls_per_screen(soak_bff, sim)
    tally = Tally()

    elapsed = await drive(str(soak_bff.client.base_url), sim.url, tally)

    sim.faults()  # no rules: nothing fails from here on
    downstream_calls = sim.stats()["total"]
    fault_free = sum(costs[path] * count for path, count in tally.screens.items())
    floor = len(SERVICES) * BUDGET_PER_SECOND * (BUDGET_WINDOW + elapsed)
    outage = (SOAK_SECONDS * 0.35, SOAK_SECONDS * 0.65)
    during = Counter(status for at, status in tally.quote_statuses if outage[0] <= at < outage[1])
    after = [status for at, status in tally.quote_statuses if at >= outage[1] + 1.5]
    quotes = soak_bff.breaker("quotes")
    print(
        f"\nsoak: {tally.requests} requests in {elapsed:.1f}s ({tally.requests / elapsed:.0f}/s), "
        f"statuses {dict(tally.statuses)}, slowest {tally.slowest:.3f}s; downstream calls "
        f"{downstream_calls} vs {fault_free} fault-free (x{downstream_calls / fault_free:.3f}, "
        f"bound {1.2 * fault_free + floor:.0f}); quote sections during the outage "
        f"{dict(during)}, after it {dict(Counter(after))}; quotes breaker {quotes.state}"
    )

    assert tally.requests > 200, "the soak ran too few requests to mean anything"
    assert 500 not in tally.statuses
    assert set(tally.statuses) <= {200, 502, 503, 504}
    assert tally.slowest <= REQUEST_TIMEOUT + MARGIN
    assert downstream_calls <= 1.2 * fault_free + floor
    assert during["circuit_open"] > 0, "the quotes breaker never opened during the outage"
    assert "ok" in after, "quotes were never served again after the outage"
    assert after[-1] == "ok" or Counter(after)["ok"] > len(after) / 2
    assert quotes.state is BreakerState.CLOSED
    assert soak_bff.pool_in_use() == 0
