"""The circuit breaker's state machine, driven by an injected clock (no waiting)."""

import pytest
from support import ManualClock

from clients import (
    BadRequest,
    BadResponse,
    CircuitOpen,
    DownstreamError,
    NotFound,
    RateLimited,
    Timeout,
    Unauthorized,
    Unavailable,
)
from clients.breaker import BreakerState, CircuitBreaker, verdict
from clients.policies import BreakerPolicy


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(500.0)


def breaker(clock: ManualClock, **policy: float) -> CircuitBreaker:
    defaults: dict[str, float] = {
        "failure_ratio": 0.5,
        "min_calls": 4,
        "window": 10,
        "consecutive_failures": 3,
        "open_seconds": 5,
    }
    return CircuitBreaker("users", BreakerPolicy(**{**defaults, **policy}), clock=clock)  # type: ignore[arg-type]


def open_it(subject: CircuitBreaker) -> None:
    while subject.state is BreakerState.CLOSED:
        subject.record_failure()


def test_closed_admits_calls_without_a_probe(clock: ManualClock) -> None:
    subject = breaker(clock)

    assert subject.state is BreakerState.CLOSED
    assert subject.acquire() is False
    assert subject.retry_after == 0


def test_consecutive_failures_open_it(clock: ManualClock) -> None:
    subject = breaker(clock, min_calls=100)
    subject.record_failure()
    subject.record_failure()
    assert subject.state is BreakerState.CLOSED

    subject.record_failure()

    assert subject.state is BreakerState.OPEN


def test_a_success_resets_the_run_of_failures(clock: ManualClock) -> None:
    subject = breaker(clock, min_calls=100)
    for _ in range(10):
        subject.record_failure()
        subject.record_failure()
        subject.record_success()

    assert subject.state is BreakerState.CLOSED


def test_failure_ratio_needs_the_minimum_number_of_calls(clock: ManualClock) -> None:
    subject = breaker(clock, consecutive_failures=0, min_calls=6)
    for _ in range(2):
        subject.record_failure()
        subject.record_success()
    assert subject.state is BreakerState.CLOSED, "4 calls: below min_calls"

    subject.record_success()
    subject.record_failure()

    assert subject.state is BreakerState.OPEN, "3 of 6 failed: 50 %"


def test_failure_ratio_below_the_threshold_keeps_it_closed(clock: ManualClock) -> None:
    subject = breaker(clock, consecutive_failures=0, min_calls=4)
    for _ in range(100):
        subject.record_success()
        subject.record_success()
        subject.record_failure()

    assert subject.state is BreakerState.CLOSED


def test_old_outcomes_age_out_of_the_window(clock: ManualClock) -> None:
    subject = breaker(clock, consecutive_failures=0, min_calls=4, window=10)
    for _ in range(3):
        subject.record_failure()
    clock.now += 11

    subject.record_failure()

    assert subject.state is BreakerState.CLOSED, "the first three failures left the window"
    for _ in range(3):
        subject.record_failure()
    assert subject.state is BreakerState.OPEN


def test_open_refuses_with_the_time_left(clock: ManualClock) -> None:
    subject = breaker(clock)
    open_it(subject)
    clock.now += 2

    with pytest.raises(CircuitOpen) as info:
        subject.acquire()

    assert info.value.retry_after == pytest.approx(3)
    assert info.value.service == "users"
    assert info.value.attempts == 0
    assert info.value.retryable is False
    assert subject.retry_after == pytest.approx(3)


def test_after_the_open_time_exactly_one_probe_goes_through(clock: ManualClock) -> None:
    subject = breaker(clock)
    open_it(subject)
    clock.now += 5

    assert subject.state is BreakerState.HALF_OPEN
    assert subject.acquire() is True
    with pytest.raises(CircuitOpen):
        subject.acquire()


def test_a_successful_probe_closes_it(clock: ManualClock) -> None:
    subject = breaker(clock)
    open_it(subject)
    clock.now += 5
    subject.acquire()

    subject.record_success()
    subject.release()

    assert subject.state is BreakerState.CLOSED
    assert subject.acquire() is False
    subject.record_failure()
    subject.record_failure()
    assert subject.state is BreakerState.CLOSED, "the window starts afresh"


def test_a_failed_probe_opens_it_again_for_the_full_time(clock: ManualClock) -> None:
    subject = breaker(clock)
    open_it(subject)
    clock.now += 5
    subject.acquire()

    subject.record_failure()
    subject.release()

    assert subject.state is BreakerState.OPEN
    assert subject.retry_after == pytest.approx(5)
    assert subject.allows_retry() is False


def test_a_probe_without_verdict_hands_over_to_the_next_call(clock: ManualClock) -> None:
    subject = breaker(clock)
    open_it(subject)
    clock.now += 5
    subject.acquire()

    subject.release()  # cancelled, or a failure on our side

    assert subject.acquire() is True


def test_stragglers_finishing_while_open_change_nothing(clock: ManualClock) -> None:
    subject = breaker(clock)
    open_it(subject)

    subject.record_success()
    subject.record_failure()

    assert subject.state is BreakerState.OPEN
    assert subject.retry_after == pytest.approx(5)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (Unavailable("users", "503", status=503), True),
        (Unavailable("users", "reset"), True),
        (BadResponse("users", "not JSON"), True),
        (Timeout("users", "slow"), True),
        (Timeout("users", "cut by the caller's deadline", by_deadline=True), None),
        (Unavailable("users", "pool exhausted", retryable=False, local=True), None),
        (CircuitOpen("users", "open"), None),
        (NotFound("users", "no such user", status=404), False),
        (BadRequest("users", "bad id", status=400), False),
        (Unauthorized("users", "expired", status=401), False),
        (RateLimited("users", "slow down"), False),
    ],
)
def test_what_counts_as_a_failure(error: DownstreamError, expected: bool | None) -> None:
    assert verdict(error) is expected


def test_record_uses_the_verdict(clock: ManualClock) -> None:
    subject = breaker(clock, consecutive_failures=2, min_calls=100)
    subject.record(Unavailable("users", "down", status=503))
    subject.record(Timeout("users", "deadline", by_deadline=True))  # no news: run continues
    subject.record(Unavailable("users", "down", status=503))

    assert subject.state is BreakerState.OPEN


@pytest.mark.parametrize(
    "kwargs",
    [
        {"failure_ratio": 0},
        {"failure_ratio": 1.5},
        {"min_calls": 0},
        {"window": 0},
        {"consecutive_failures": -1},
        {"open_seconds": 0},
    ],
)
def test_policy_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        BreakerPolicy(**kwargs)  # type: ignore[arg-type]
