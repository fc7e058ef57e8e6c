"""Hedging: the delay comes from recent latencies; first success wins; the loser is cancelled."""

import asyncio

import pytest

from clients import Unavailable
from clients.hedging import LatencyWindow, hedged
from clients.policies import HedgePolicy

pytestmark = pytest.mark.anyio


def test_no_delay_until_enough_samples() -> None:
    window = LatencyWindow(HedgePolicy(enabled=True, min_samples=3, samples=10))
    window.add(0.01)
    window.add(0.01)

    assert window.delay() is None
    window.add(0.01)
    assert window.delay() == pytest.approx(0.01)


def test_delay_is_the_quantile_of_the_recent_samples() -> None:
    window = LatencyWindow(HedgePolicy(enabled=True, quantile=0.9, min_samples=1, samples=10))
    for ms in range(1, 11):  # 1..10 ms, refreshed on the first sample and every 16th after
        window.add(ms / 1000)
    for ms in range(1, 11):
        window.add(ms / 1000)  # ring buffer: the same ten values again, now refreshed

    assert window.delay() == pytest.approx(0.010)


def test_old_samples_leave_the_window() -> None:
    window = LatencyWindow(HedgePolicy(enabled=True, min_samples=1, samples=4, min_delay=0))
    for _ in range(4):
        window.add(1.0)
    for _ in range(16):
        window.add(0.002)

    assert window.delay() == pytest.approx(0.002)


def test_delay_has_a_floor() -> None:
    window = LatencyWindow(HedgePolicy(enabled=True, min_samples=1, min_delay=0.05))
    window.add(0.001)

    assert window.delay() == 0.05


class Attempts:
    """Attempts whose outcome the test decides, one event per attempt."""

    def __init__(self, outcomes: list[str | Exception]) -> None:
        self.outcomes = outcomes
        self.release = [asyncio.Event() for _ in outcomes]
        self.began = [asyncio.Event() for _ in outcomes]
        self.started = 0
        self.cancelled: list[int] = []

    async def __call__(self) -> str:
        index = self.started
        self.started += 1
        self.began[index].set()
        try:
            await self.release[index].wait()
        except asyncio.CancelledError:
            self.cancelled.append(index)
            raise
        outcome = self.outcomes[index]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


async def test_a_fast_first_attempt_is_not_hedged() -> None:
    attempts = Attempts(["first"])
    attempts.release[0].set()
    asked: list[bool] = []

    result = await hedged(attempts, delay=10, may_hedge=lambda: asked.append(True) or True)

    assert result == "first"
    assert attempts.started == 1
    assert asked == []


async def test_a_slow_first_attempt_is_hedged_and_the_loser_cancelled() -> None:
    attempts = Attempts(["first", "second"])

    async def answer_second() -> None:
        await attempts.began[1].wait()
        attempts.release[1].set()

    helper = asyncio.ensure_future(answer_second())
    result = await hedged(attempts, delay=0, may_hedge=lambda: True)
    await helper

    assert result == "second"
    assert attempts.cancelled == [0]


async def test_no_hedge_when_the_budget_says_no() -> None:
    attempts = Attempts(["first"])

    async def answer_first() -> None:
        await asyncio.sleep(0)
        attempts.release[0].set()

    helper = asyncio.ensure_future(answer_first())
    result = await hedged(attempts, delay=0, may_hedge=lambda: False)
    await helper

    assert result == "first"
    assert attempts.started == 1


async def test_a_failed_attempt_waits_for_the_other() -> None:
    attempts = Attempts([Unavailable("quotes", "reset"), "second"])

    async def fail_first_then_answer() -> None:
        await attempts.began[1].wait()
        attempts.release[0].set()
        attempts.release[1].set()

    helper = asyncio.ensure_future(fail_first_then_answer())
    result = await hedged(attempts, delay=0, may_hedge=lambda: True)
    await helper

    assert result == "second"


async def test_both_failing_raises_the_first_failure_with_two_attempts() -> None:
    first, second = Unavailable("quotes", "first"), Unavailable("quotes", "second")
    attempts = Attempts([first, second])

    async def fail_both() -> None:
        await attempts.began[1].wait()
        attempts.release[0].set()
        attempts.release[1].set()

    helper = asyncio.ensure_future(fail_both())
    with pytest.raises(Unavailable) as info:
        await hedged(attempts, delay=0, may_hedge=lambda: True)
    await helper

    assert info.value is first
    assert info.value.attempts == 2


async def test_cancelling_the_caller_cancels_both_attempts() -> None:
    attempts = Attempts(["first", "second"])
    call = asyncio.ensure_future(hedged(attempts, delay=0, may_hedge=lambda: True))
    await attempts.began[1].wait()

    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call

    assert sorted(attempts.cancelled) == [0, 1]
