"""Circuit breakers and hedging of a real BFF against the simulator's faults, over loopback.

An open breaker must mean zero downstream calls, be reported as `circuit_open` (a 503 with
`Retry-After` when the section is required), and recover through one probe once the downstream
does. The BFF runs on a manual clock: waiting for a breaker to half-open steps the clock by
exactly the time the BFF announces (`Retry-After`, or the breaker's own `retry_after`), so no
test sleeps, and a slow machine cannot let an open breaker's time run out between two requests.

Every test runs with the cache off and on (tests/chaos/conftest.py). With it on, the same clock
drives the cache, and what differs is stated where it differs: the sections a first request
stored are not called again, a stale copy stands in for a service whose breaker is open, and a
call a frontend's short deadline gave up on goes on as the cache's shared call.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from chaos_support import ChaosBFF, sections, serve_bff
from support import ManualClock, Simulator, assert_problem, reset_resilience

from clients.breaker import BreakerState
from clients.cache_policies import DEFAULT_CACHE_POLICIES
from simulator import BackgroundServer

pytestmark = pytest.mark.chaos

OPEN_SECONDS = 0.6
QUOTE_TTL = DEFAULT_CACHE_POLICIES["quotes.random"].ttl


@pytest.fixture(
    scope="module",
    params=[("aiohttp", False), ("httpcore", False), ("aiohttp", True)],
    ids=["aiohttp-cache-off", "httpcore-cache-off", "aiohttp-cache-on"],
)
def configuration(request: pytest.FixtureRequest) -> tuple[str, bool]:
    """Both transports: cancelled attempts (hedge losers, deadlines) must leave either pool idle.
    The cache on, on the default transport only: what it changes (shared calls, stale copies)
    is above the transport, and a shared call is cancelled as any other call."""
    transport_and_cache: tuple[str, bool] = request.param
    return transport_and_cache


@pytest.fixture(scope="module")
def transport(configuration: tuple[str, bool]) -> str:
    return configuration[0]


@pytest.fixture(scope="module")
def cache_enabled(configuration: tuple[str, bool]) -> bool:
    """Replaces the suite's own parametrisation (conftest.py) for this module."""
    return configuration[1]


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    """One clock per module: it only moves forward, and each test gets fresh breakers on it."""
    return ManualClock()


@pytest.fixture
def bff(_breaker_bff: ChaosBFF, clock: ManualClock) -> Iterator[ChaosBFF]:
    """The module's BFF for this transport and cache setting, as if new: fresh breakers, budgets
    and cool-downs on the manual clock, and an empty cache once the test's calls have ended.
    (One BFF per configuration instead of one per test: starting one costs about 0.5 s.)"""
    reset_resilience(_breaker_bff.downstreams, clock)
    yield _breaker_bff
    _breaker_bff.forget()


@pytest.fixture(scope="module")
def _breaker_bff(
    simulator_server: BackgroundServer, transport: str, clock: ManualClock, cache_enabled: bool
) -> Iterator[ChaosBFF]:
    with serve_bff(
        simulator_server.url,
        clock=clock,
        cache_enabled=cache_enabled,
        http_transport=transport,
        request_timeout=2.0,
        downstream_timeout=0.5,
        retry_backoff_base=0.02,
        retry_backoff_max=0.1,
        breaker_consecutive_failures=3,
        breaker_min_calls=100_000,
        breaker_open_seconds=OPEN_SECONDS,
    ) as served:
        yield served


def test_an_open_breaker_makes_no_calls_and_says_so(bff: ChaosBFF, sim: Simulator) -> None:
    sim.faults({"path": "/quotes/random", "mode": "status", "status": 503})
    first = bff.get("/v1/home")
    assert sections(first)["quote"]["status"] == "unavailable"
    assert sim.route_count("/quotes/random") == 3
    assert bff.breaker("quotes").state is BreakerState.OPEN
    sim.clear()

    second = bff.get("/v1/home")

    quote = sections(second)["quote"]
    assert quote == {
        "status": "circuit_open",
        "downstream": "quotes",
        "httpStatus": None,
        "attempts": 0,
        "retryable": False,
        "detail": "circuit open after repeated failures of quotes; not called",
        "age": None,
    }
    assert second.headers["x-bff-partial"] == "true"
    assert sim.route_count("/quotes/random") == 0
    if bff.cache_on:
        assert sim.stats()["total"] == 0, "the other sections come from the first request's copies"
        assert {entry["status"] for name, entry in sections(second).items() if name != "quote"} == {
            "ok"
        }
    else:
        assert sim.stats()["total"] == 3, "the other sections were still called"


def test_a_stale_copy_stands_in_while_the_breaker_is_open(
    bff: ChaosBFF, sim: Simulator, clock: ManualClock
) -> None:
    """Stale-if-error with a breaker. With the cache on, the quote a first request stored stands
    in (as `stale`, with its age) both when the calls that open the breaker fail and while it is
    open, and the screen is whole; with it off, the section is lost either way."""
    assert sections(bff.get("/v1/home"))["quote"]["status"] == "ok"
    clock.advance(QUOTE_TTL + 1)  # past the copy's freshness; the breaker has seen no failure
    sim.clear()
    sim.faults({"path": "/quotes/random", "mode": "status", "status": 503})

    failing = bff.get("/v1/home")

    assert sim.route_count("/quotes/random") == 3, "a stale copy is no reason to skip the call"
    assert bff.breaker("quotes").state is BreakerState.OPEN
    sim.clear()
    refused = bff.get("/v1/home")
    assert sim.route_count("/quotes/random") == 0
    for response, cause in ((failing, "unavailable"), (refused, "circuit_open")):
        quote = sections(response)["quote"]
        if bff.cache_on:
            assert quote["status"] == "stale", quote
            assert quote["age"] >= QUOTE_TTL + 1
            assert response.json()["quote"] is not None
            assert response.json()["meta"]["partial"] is False
        else:
            assert quote["status"] == cause, quote
            assert response.json()["quote"] is None
            assert response.headers["x-bff-partial"] == "true"


def test_a_breaker_recovers_through_one_probe(
    bff: ChaosBFF, sim: Simulator, clock: ManualClock
) -> None:
    sim.faults({"path": "/quotes/random", "mode": "status", "status": 503})
    bff.get("/v1/home")
    breaker = bff.breaker("quotes")
    assert breaker.state is BreakerState.OPEN
    sim.clear()  # the downstream is healthy again

    clock.advance(breaker.retry_after)
    assert breaker.state is BreakerState.HALF_OPEN
    probe = bff.get("/v1/home")

    assert sections(probe)["quote"]["status"] == "ok"
    assert breaker.state is BreakerState.CLOSED
    assert sim.route_count("/quotes/random") == 1
    assert sections(bff.get("/v1/home"))["quote"]["status"] == "ok"


def test_a_failed_probe_opens_it_again(bff: ChaosBFF, sim: Simulator, clock: ManualClock) -> None:
    sim.faults({"path": "/quotes/random", "mode": "status", "status": 503})
    bff.get("/v1/home")
    breaker = bff.breaker("quotes")
    clock.advance(breaker.retry_after)
    sim.clear()
    sim.faults({"path": "/quotes/random", "mode": "status", "status": 503})

    probe = bff.get("/v1/home")

    assert sections(probe)["quote"]["status"] == "unavailable"
    assert sim.route_count("/quotes/random") == 1, "a failed probe is not retried"
    assert breaker.state is BreakerState.OPEN


def test_a_required_section_behind_an_open_breaker_is_a_503(
    bff: ChaosBFF, sim: Simulator, clock: ManualClock
) -> None:
    sim.faults({"path": "/carts/1", "mode": "reset"})
    assert_problem(bff.get("/v1/carts/1"), 502)
    sim.clear()
    sim.faults({"path": "/carts/1", "mode": "reset"})

    refused = bff.get("/v1/carts/1")

    body = assert_problem(refused, 503)
    assert body["type"] == "urn:bff:problem:circuit-open"
    assert body["downstream"] == "carts"
    assert refused.headers["retry-after"] == "1"
    assert sim.route_count("/carts/{id}") == 0
    sim.clear()
    clock.advance(bff.breaker("carts").retry_after)
    assert bff.get("/v1/carts/1").status_code == 200


def test_timeouts_from_a_short_client_deadline_do_not_open_the_breaker(
    bff: ChaosBFF, sim: Simulator
) -> None:
    """A frontend asking for 300 ms answers says nothing about the downstream's health (300 ms,
    not less: the other sections of the home screen must still make it on a busy machine).

    With the cache on, the call a frontend gives up on goes on as the cache's shared call, with
    the API's own timeout (0.5 s): a downstream slower than that (1 s) would rightly count
    against the breaker through those attempts. So there the downstream takes 0.35 s, past the
    frontends' deadline but within its own: five frontends time out, each on a cold cache, and
    the breaker sees five successful calls."""
    if bff.cache_on:
        sim.faults({"path": "/quotes/random", "mode": "delay", "delay_ms": 350})
    else:
        sim.faults({"path": "/quotes/random", "mode": "delay", "delay_ms": 1000})

    for _ in range(5):
        response = bff.get("/v1/home", deadline=0.3)
        assert sections(response)["quote"]["status"] == "timeout"
        if bff.cache_on:
            bff.forget()

    assert bff.breaker("quotes").state is BreakerState.CLOSED
    if bff.cache_on:
        assert sim.route_count("/quotes/random") == 5


def test_timeouts_of_the_downstream_itself_open_the_breaker(bff: ChaosBFF, sim: Simulator) -> None:
    sim.faults({"path": "/quotes/random", "mode": "delay", "delay_ms": 3000})

    response = bff.get("/v1/home", deadline=2.0)

    assert sections(response)["quote"]["status"] == "timeout"
    assert bff.breaker("quotes").state is BreakerState.OPEN


@pytest.fixture
def hedging_bff(
    simulator_server: BackgroundServer, transport: str, cache_enabled: bool
) -> Iterator[ChaosBFF]:
    """With the cache on, a manual clock lets each request step past the quote's freshness, so
    every one reaches the downstream (hedging learns from the latencies it sees)."""
    with serve_bff(
        simulator_server.url,
        clock=ManualClock() if cache_enabled else None,
        cache_enabled=cache_enabled,
        http_transport=transport,
        request_timeout=2.0,
        downstream_timeout=1.5,
        hedge_services=("quotes",),
    ) as served:
        yield served


def test_a_slow_call_is_hedged_and_the_loser_released(
    hedging_bff: ChaosBFF, sim: Simulator
) -> None:
    def past_the_quotes_copy() -> None:
        if hedging_bff.cache_on:  # the hedged call is then the cache's shared call
            assert isinstance(hedging_bff.clock, ManualClock)
            hedging_bff.clock.advance(QUOTE_TTL + 1)

    for _ in range(20):  # the latency samples hedging needs before it starts
        past_the_quotes_copy()
        assert sections(hedging_bff.get("/v1/home"))["quote"]["status"] == "ok"
    assert sim.route_count("/quotes/random") == 20
    sim.clear()
    sim.faults({"path": "/quotes/random", "mode": "delay", "delay_ms": 1500, "times": 1})
    past_the_quotes_copy()

    started = time.perf_counter()
    response = hedging_bff.get("/v1/home")
    elapsed = time.perf_counter() - started

    assert sections(response)["quote"]["status"] == "ok"
    assert response.json()["meta"]["partial"] is False
    assert sim.route_count("/quotes/random") == 2, "the first attempt and its hedge"
    assert elapsed < 1.0, f"the hedge answered, not the 1.5 s attempt ({elapsed:.3f}s)"
    assert "quotes;dur=" in response.headers["server-timing"]
    assert "attempts=2" in response.headers["server-timing"]
