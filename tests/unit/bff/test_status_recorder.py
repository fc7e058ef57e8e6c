"""The status page's rolling window: rates, failures, percentiles and cache ratio per service."""

from __future__ import annotations

from collections.abc import Sequence

from support import ManualClock

from bff.observability import RequestRecord
from bff.status import StatusRecorder
from clients.breaker import CircuitBreaker
from clients.policies import BreakerPolicy
from clients.record import CallRecord


def request(*calls: CallRecord) -> RequestRecord:
    return RequestRecord("rid", "GET", "/v1/x", 200, 0.1, False, list(calls))


def call(service: str, ms: float, outcome: str = "ok", cache: str | None = None) -> CallRecord:
    return CallRecord(service, "GET", "/x", "x.get", ms / 1000, outcome, cache=cache)


def by_service(services: Sequence[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(row["service"]): row for row in services}


def test_figures_per_service_over_the_window() -> None:
    clock = ManualClock(1000.0)
    recorder = StatusRecorder(window=60, clock=clock)
    clock.now += 20  # up for 20 s: rates are per second observed, not per window
    recorder.observe(request(*(call("users", float(ms)) for ms in range(1, 101))))
    recorder.observe(
        request(
            call("quotes", 5, "unavailable"),
            call("quotes", 7, "ok"),
            call("quotes", 3, "not_found"),  # the downstream answered: not a failure
            call("quotes", 1, "cancelled"),  # stopped by a sibling's failure: not a failure
        )
    )

    snapshot = recorder.snapshot({})
    rows = by_service(snapshot["services"])

    assert set(rows) == {"users", "quotes"}
    users = rows["users"]
    assert users["calls"] == 100
    assert users["callRate"] == 5.0
    assert users["errorPercent"] == 0.0
    assert users["p50Ms"] == 50.0
    assert users["p99Ms"] == 99.0
    assert users["cacheHitPercent"] is None
    assert users["breaker"] is None
    quotes = rows["quotes"]
    assert quotes["failures"] == 1
    assert quotes["errorPercent"] == 25.0
    assert quotes["lastError"] == "unavailable"
    assert snapshot["windowSeconds"] == 60


def test_cache_hit_ratio_counts_hits_and_stale_among_lookups() -> None:
    recorder = StatusRecorder(clock=ManualClock(1000.0))
    recorder.observe(
        request(
            call("products", 1, cache="hit"),
            call("products", 1, cache="stale"),
            call("products", 9, cache="miss"),
            call("products", 9, cache=None),  # the cache step skipped: not a lookup
        )
    )

    (products,) = recorder.snapshot({})["services"]

    assert products["cacheHitPercent"] == 66.7


def test_old_calls_age_out_of_the_window() -> None:
    clock = ManualClock(1000.0)
    recorder = StatusRecorder(window=10, clock=clock)
    recorder.observe(request(call("users", 500, "timeout")))
    clock.now += 5
    recorder.observe(request(call("users", 2)))

    (users,) = recorder.snapshot({})["services"]
    assert (users["calls"], users["failures"], users["p99Ms"]) == (2, 1, 500.0)

    clock.now += 6  # the first call is now 11 s old
    (users,) = recorder.snapshot({})["services"]
    assert (users["calls"], users["failures"], users["p99Ms"]) == (1, 0, 2.0)
    assert users["lastError"] == "timeout", "the last failure is kept for people to read"

    clock.now += 60
    (users,) = recorder.snapshot({})["services"]
    assert (users["calls"], users["callRate"], users["p50Ms"], users["errorPercent"]) == (
        0,
        0.0,
        None,
        None,
    )


def test_latency_samples_are_a_bounded_ring() -> None:
    recorder = StatusRecorder(samples=8, clock=ManualClock(1000.0))
    recorder.observe(request(*(call("users", 1000) for _ in range(8))))
    recorder.observe(request(*(call("users", 1) for _ in range(8))))

    (users,) = recorder.snapshot({})["services"]

    assert users["calls"] == 16
    assert users["p99Ms"] == 1.0, "the oldest samples were overwritten"


def test_every_configured_service_is_listed_with_its_breaker_state() -> None:
    clock = ManualClock(1000.0)
    breaker = CircuitBreaker("auth", BreakerPolicy(consecutive_failures=1), clock=clock)
    breaker.record_failure()
    recorder = StatusRecorder(clock=clock)

    snapshot = recorder.snapshot(
        {"auth": breaker, "users": CircuitBreaker("users", BreakerPolicy())}
    )

    rows = by_service(snapshot["services"])
    assert [row["service"] for row in snapshot["services"]] == ["users", "auth"]
    assert rows["auth"]["breaker"] == "open"
    assert rows["users"]["breaker"] == "closed"
    assert rows["users"]["calls"] == 0
    assert rows["users"]["p50Ms"] is None
