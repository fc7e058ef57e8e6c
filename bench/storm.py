"""The cancellation storm: many calls cancelled at random moments under a small pool.

Cancellation can land anywhere in a call (queued for a connection, connecting, sending, reading),
and a pool that mishandles one of those moments keeps a slot forever (encode/httpcore#1093). Each
round cancels most of its calls at seeded random times; afterwards no call is in flight, so the
pool must show nothing in use and nothing waiting, and must still serve fresh calls.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import asdict, dataclass

import httpx

from bff.app import build_http_client
from bff.settings import Settings
from bff.transport import build_transport, pool_usage

POOL_SIZE = 4
CALLS_PER_ROUND = 200
DOWNSTREAM_DELAY_MS = 20
LONGEST_WAIT_S = 0.5
FRESH_CALLS = POOL_SIZE * 5


@dataclass(frozen=True)
class StormResult:
    transport: str
    rounds: int
    completed: int
    cancelled: int
    in_use_after: int
    waiting_after: int
    served_after: int
    """Of ``FRESH_CALLS`` fresh calls after the storm, how many answered."""

    @property
    def leaked(self) -> int:
        return self.in_use_after + self.waiting_after

    def to_json(self) -> dict[str, int | str]:
        return {**asdict(self), "leaked": self.leaked}


async def cancellation_storm(
    downstream_url: str, transport_name: str, *, rounds: int, seed: int = 1
) -> StormResult:
    settings = Settings(
        _env_file=None,
        downstream_url=downstream_url,
        http_transport=transport_name,
        pool_max_connections=POOL_SIZE,
        pool_max_keepalive=POOL_SIZE,
        pool_timeout=30,
    )
    rng = random.Random(seed)
    url = f"{downstream_url}/users/1?delay={DOWNSTREAM_DELAY_MS}"
    transport = build_transport(settings)
    completed = cancelled = 0
    async with build_http_client(settings, transport) as http:

        async def call(patience: float) -> bool:
            try:
                async with asyncio.timeout(patience):
                    await http.get(url, timeout=httpx.Timeout(10, pool=30))
            except TimeoutError:
                return False
            return True

        for _ in range(rounds):
            waits = [rng.uniform(0, LONGEST_WAIT_S) for _ in range(CALLS_PER_ROUND)]
            outcomes = await asyncio.gather(*(call(wait) for wait in waits))
            completed += sum(outcomes)
            cancelled += len(outcomes) - sum(outcomes)
        usage = pool_usage(transport)
        if usage is None:
            raise RuntimeError(f"no known pool state to read for {transport_name} on this release")
        fresh = await asyncio.gather(
            *(call(5.0) for _ in range(FRESH_CALLS)), return_exceptions=True
        )
    return StormResult(
        transport=transport_name,
        rounds=rounds,
        completed=completed,
        cancelled=cancelled,
        in_use_after=usage.in_use,
        waiting_after=usage.waiting,
        served_after=sum(1 for outcome in fresh if outcome is True),
    )
