"""Hedged requests: a second attempt when the first is slower than the service usually is.

"The Tail at Scale" (Dean and Barroso): send the same idempotent request again once the first has
taken longer than, say, the 95th percentile of recent answers; take whichever answers first and
cancel the other. Tail latency drops a lot for a few percent more load. Here the delay comes from
the service's own recent latencies (`LatencyWindow`), the second attempt is paid for from the
service's retry budget (so hedging can never add more load than retries may), and the loser is
cancelled and awaited before returning: httpx closes a connection whose exchange was cancelled,
so nothing is left half-read in the pool.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from clients.errors import DownstreamError
from clients.policies import HedgePolicy

T = TypeVar("T")

# The quantile is recomputed after this many new samples rather than on every call: a sort of a
# hundred floats is cheap, but not free on every downstream call.
_REFRESH_EVERY = 16


class LatencyWindow:
    """The last `samples` successful attempt latencies of one service, and their quantile."""

    __slots__ = ("_fresh", "_index", "_policy", "_quantile", "_samples")

    def __init__(self, policy: HedgePolicy) -> None:
        self._policy = policy
        self._samples: list[float] = []
        self._index = 0
        self._fresh = 0
        self._quantile: float | None = None

    def add(self, seconds: float) -> None:
        samples = self._samples
        if len(samples) < self._policy.samples:
            samples.append(seconds)
        else:
            samples[self._index] = seconds
            self._index = (self._index + 1) % self._policy.samples
        self._fresh += 1
        if self._quantile is None or self._fresh >= _REFRESH_EVERY:
            self._fresh = 0
            self._quantile = self._compute()

    def _compute(self) -> float | None:
        if len(self._samples) < self._policy.min_samples:
            return None
        ordered = sorted(self._samples)
        rank = min(len(ordered) - 1, int(self._policy.quantile * len(ordered)))
        return ordered[rank]

    def delay(self) -> float | None:
        """How long to wait before hedging; None until enough samples were seen."""
        if self._quantile is None:
            return None
        return max(self._policy.min_delay, self._quantile)


async def hedged(
    attempt: Callable[[], Awaitable[T]], *, delay: float, may_hedge: Callable[[], bool]
) -> T:
    """Run `attempt`; if it has not finished after `delay` and `may_hedge()` agrees (it spends
    the budget), run it a second time concurrently. The first success wins and the other attempt
    is cancelled; if both fail, the first attempt's failure is raised with `attempts` = 2.
    """
    tasks = [asyncio.ensure_future(attempt())]
    try:
        done, _ = await asyncio.wait(tasks, timeout=delay)
        if done or not may_hedge():
            return await tasks[0]
        tasks.append(asyncio.ensure_future(attempt()))
        pending = set(tasks)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                exc = task.exception()
                if exc is None:
                    return task.result()
                if not isinstance(exc, DownstreamError):
                    raise exc
        failure = tasks[0].exception()
        assert isinstance(failure, DownstreamError)
        failure.attempts = len(tasks)
        raise failure
    finally:
        for task in tasks:
            await _cancel(task)


async def _cancel(task: "asyncio.Future[T]") -> None:
    if task.done():
        if not task.cancelled():
            task.exception()  # mark a loser's failure as retrieved, so asyncio does not log it
        return
    task.cancel()
    # Wait for the cancellation to finish (the connection is closed by then), but do not let
    # the loser's own outcome replace the winner's.
    await asyncio.wait((task,))
    if not task.cancelled():
        task.exception()
