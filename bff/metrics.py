"""Prometheus metrics at ``GET /metrics``: screens, downstream calls, breakers, cache and pool.

Two kinds of figures, two ways of getting them:

* **Per request**, counted as requests finish: `Metrics.observe` is a request observer (see
  ``bff.observability``) that turns each `RequestRecord` into screen counters and histograms and,
  per downstream call, call counters, latency histograms and retries. It runs on every request,
  so the labelled children are looked up once per label set and kept (a dict lookup afterwards).
* **State the app already keeps**, read at scrape time: breaker states and transitions, retry
  budget denials and balance, hedges, the cache's counters and the shared pool's connections
  live in the objects of the lifespan state, so a scrape-time collector reads them there instead
  of mirroring every change into a second counter.

Every app has its own ``CollectorRegistry``: never prometheus-client's global default registry,
so two apps in one process (tests build many) never share or collide on a metric. Label values
are bounded: route templates (never raw paths or ids), the typed clients' operation names, error
codes, service names, normalised methods and status classes.

With several worker processes (``bff serve --workers N``) each worker has its own registry and
answers ``/metrics`` for itself alone: scrape each worker (one port per pod, one worker per pod,
as in ``deploy/``) or aggregate in Prometheus; prometheus-client's multiprocess mode is not used,
as it cannot express the scrape-time collectors.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import httpx
from fastapi import FastAPI, Request
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.gc_collector import GCCollector
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from starlette.responses import Response

from bff.admission import Admission
from bff.observability import RequestRecord
from bff.server import DOOR_STATE_KEY, DoorCounters
from bff.transport import pool_usage
from clients.base import DownstreamClient
from clients.breaker import BreakerState
from clients.cache_layer import CacheLayer
from clients.internals import default_transport
from clients.media import MediaClient
from clients.registry import Downstreams

METRICS_PATH = "/metrics"

# Seconds. Finer than prometheus-client's defaults at the low end, where cached and in-process
# answers live; up to the default 10 s request deadline at the high end.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Any other method (a client can send anything) is counted as "other": labels stay bounded.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

UNNAMED_OPERATION = "other"
"""The operation label of a downstream call made without an operation name."""

# (metric name, CacheCounters field, help): the cache's counters as scrape-time counters.
CACHE_COUNTERS = (
    ("bff_cache_hits", "hits", "Cached downstream answers served fresh."),
    ("bff_cache_misses", "misses", "Cacheable downstream calls that found no usable entry."),
    (
        "bff_cache_stale_served",
        "stale",
        "Stale entries served while one background refresh runs (stale-while-revalidate).",
    ),
    (
        "bff_cache_stale_if_error_served",
        "stale_errors",
        "Stale entries served in place of a failed downstream call (stale-if-error).",
    ),
    ("bff_cache_refreshes", "refreshes", "Background refreshes of stale entries started."),
    (
        "bff_cache_singleflight_joins",
        "joins",
        "Calls that joined an identical call already in flight instead of calling again.",
    ),
    (
        "bff_cache_tier_errors",
        "tier_errors",
        "Failed Redis operations: shared tier reads and writes, leases, replica messages.",
    ),
    (
        "bff_cache_lease_joins",
        "lease_joins",
        "Misses answered by another replica's downstream call (its lease on the key).",
    ),
)


def _method(method: str) -> str:
    return method if method in _METHODS else "other"


class Metrics:
    """The app's registry, its per-request instruments, and the observer that feeds them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        registry = self.registry
        self.requests = Counter(
            "bff_http_requests",
            "HTTP requests answered, by route template, method and status class.",
            ["route", "method", "status_class"],
            registry=registry,
        )
        self.request_duration = Histogram(
            "bff_http_request_duration_seconds",
            "Time from a request's arrival until its response was complete.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.partial = Counter(
            "bff_http_partial_responses",
            "Successful answers with meta.partial true: an optional section failed.",
            ["route"],
            registry=registry,
        )
        self.calls = Counter(
            "bff_downstream_calls",
            "Downstream calls by service, operation and outcome (ok, or the error code).",
            ["service", "operation", "outcome"],
            registry=registry,
        )
        self.call_duration = Histogram(
            "bff_downstream_call_duration_seconds",
            "Duration of downstream calls, retries and cache included.",
            ["service", "operation"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.retries = Counter(
            "bff_downstream_retries",
            "Attempts beyond each call's first (retries, and hedged second attempts).",
            ["service", "operation"],
            registry=registry,
        )
        # Label set -> children, so the hot path does one dict lookup per instrument.
        self._screens: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._partials: dict[str, Counter] = {}
        self._calls: dict[tuple[str, str, str], Counter] = {}
        self._durations: dict[tuple[str, str], tuple[Histogram, Counter]] = {}

    def observe(self, record: RequestRecord) -> None:
        """The request observer: count the request and each of its downstream calls."""
        method = _method(record.method)
        status_class = record.status // 100
        key = (record.route, method, status_class)
        screen = self._screens.get(key)
        if screen is None:
            screen = self._screens[key] = (
                self.requests.labels(record.route, method, f"{status_class}xx"),
                self.request_duration.labels(record.route, method),
            )
        screen[0].inc()
        screen[1].observe(record.duration)
        if record.partial:
            partial = self._partials.get(record.route)
            if partial is None:
                partial = self._partials[record.route] = self.partial.labels(record.route)
            partial.inc()
        for call in record.calls:
            operation = call.operation or UNNAMED_OPERATION
            outcome_key = (call.service, operation, call.outcome)
            counter = self._calls.get(outcome_key)
            if counter is None:
                counter = self._calls[outcome_key] = self.calls.labels(*outcome_key)
            counter.inc()
            duration_key = (call.service, operation)
            children = self._durations.get(duration_key)
            if children is None:
                children = self._durations[duration_key] = (
                    self.call_duration.labels(*duration_key),
                    self.retries.labels(*duration_key),
                )
            children[0].observe(call.duration)
            if call.attempts > 1:
                children[1].inc(call.attempts - 1)

    def render(self, state: Mapping[str, Any], accept: str = "") -> tuple[bytes, str]:
        """The exposition for this scrape (the format the scraper asked for) and its media
        type: the registry, plus what `StateCollector` reads from the lifespan state now."""
        encoder, media_type = choose_encoder(accept)
        return encoder(_Scrape(self.registry, StateCollector.of(state))), media_type


class _Scrape:
    """The registry and the scrape-time collector as one collector, for one exposition."""

    def __init__(self, *collectors: Collector) -> None:
        self._collectors = collectors

    def collect(self) -> Iterator[Metric]:
        for collector in self._collectors:
            yield from collector.collect()


class StateCollector:
    """Reads, at scrape time, what the lifespan's objects already count; absent objects (a
    transport without a pool, a scrape before startup finished) leave their metrics out."""

    def __init__(
        self,
        downstreams: Downstreams | None,
        cache: CacheLayer | None,
        http: httpx.AsyncClient | None,
        admission: Admission | None = None,
        media: MediaClient | None = None,
        media_http: httpx.AsyncClient | None = None,
        door: DoorCounters | None = None,
    ) -> None:
        self._downstreams = downstreams
        self._cache = cache
        self._http = http
        self._admission = admission
        self._media = media
        self._media_http = media_http
        self._door = door

    @classmethod
    def of(cls, state: Mapping[str, Any]) -> StateCollector:
        return cls(
            state.get("downstreams"),
            state.get("cache"),
            state.get("http"),
            state.get("admission"),
            state.get("media"),
            state.get("media_http"),
            door if isinstance(door := state.get(DOOR_STATE_KEY), DoorCounters) else None,
        )

    def collect(self) -> Iterator[Metric]:
        pipelines: dict[str, DownstreamClient] = {}
        if self._downstreams is not None:
            pipelines.update(self._downstreams.pipelines)
        if self._media is not None:
            pipelines.update(self._media.pipelines)
            yield from self._streams(self._media)
        if pipelines:
            yield from self._downstream_state(pipelines)
        if self._media_http is not None:
            yield from self._pool(
                self._media_http,
                "bff_stream_pool_connections",
                "Connections of the pictures' own pool: held by a stream, idle, or waited for.",
            )
        if self._cache is not None:
            yield from self._cache_counters(self._cache)
        if self._http is not None:
            yield from self._pool(self._http)
        if self._admission is not None:
            yield from self._screens_admitted(self._admission)
        if self._door is not None:
            yield from self._door_counters(self._door)

    @staticmethod
    def _door_counters(door: DoorCounters) -> Iterator[Metric]:
        """Only under ``bff serve``, whose server keeps them (``bff/server.py``)."""
        connections = GaugeMetricFamily(
            "bff_edge_connections",
            "Open client connections, by listener (public `main`, operations `ops`).",
            labels=["listener"],
        )
        connections.add_metric(["main"], door.main)
        connections.add_metric(["ops"], door.ops)
        yield connections
        refused = CounterMetricFamily(
            "bff_edge_refused",
            "Connections refused at the door before any request reached the app, by reason.",
            labels=["reason"],
        )
        for reason in ("connection_limit", "header_size", "header_count", "header_timeout"):
            refused.add_metric([reason], door.refused.get(reason, 0))
        yield refused

    @staticmethod
    def _screens_admitted(admission: Admission) -> Iterator[Metric]:
        screens = GaugeMetricFamily(
            "bff_admission_screens",
            "Screen requests fanning out now (in_flight), slots still held after the answer by "
            "the shared calls a request started (lingering; with in_flight at most "
            "BFF_MAX_CONCURRENT_SCREENS), or requests waiting for a slot (waiting).",
            labels=["state"],
        )
        screens.add_metric(["in_flight"], admission.in_flight)
        screens.add_metric(["lingering"], admission.lingering)
        screens.add_metric(["waiting"], admission.waiting)
        yield screens
        yield CounterMetricFamily(
            "bff_admission_refused",
            "Screen requests refused with 503 overloaded: their deadline ended while they waited.",
            value=admission.refused,
        )

    @staticmethod
    def _streams(media: MediaClient) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "bff_streams_open",
            "Pictures being streamed now (at most BFF_MAX_CONCURRENT_STREAMS).",
            value=media.open_streams,
        )
        yield CounterMetricFamily(
            "bff_streams_refused",
            "Picture requests refused with 503 because every stream slot was taken.",
            value=media.refused,
        )

    @staticmethod
    def _downstream_state(pipelines: Mapping[str, DownstreamClient]) -> Iterator[Metric]:
        state = GaugeMetricFamily(
            "bff_downstream_breaker_state",
            "Circuit breaker state per service: 1 for the current state, 0 for the others.",
            labels=["service", "state"],
        )
        transitions = CounterMetricFamily(
            "bff_downstream_breaker_transitions",
            "Circuit breaker state changes per service, by the state entered.",
            labels=["service", "state"],
        )
        denials = CounterMetricFamily(
            "bff_downstream_retry_budget_denials",
            "Retries and hedges not made because the service's retry budget was spent.",
            labels=["service"],
        )
        balance = GaugeMetricFamily(
            "bff_downstream_retry_budget_tokens",
            "Retries (or hedges) the service's retry budget would allow right now.",
            labels=["service"],
        )
        hedges = CounterMetricFamily(
            "bff_downstream_hedges",
            "Hedged second attempts started (slower than the service's recent p95).",
            labels=["service"],
        )
        cooling = GaugeMetricFamily(
            "bff_downstream_cooldown_seconds",
            "Seconds left in the rate-limit cool-down of the service's origin (0: calls go out).",
            labels=["service"],
        )
        cooldowns = CounterMetricFamily(
            "bff_downstream_cooldowns",
            "Rate-limit cool-downs started by the service's origin (a 429 or "
            "X-RateLimit-Remaining: 0); services of one origin share them.",
            labels=["service"],
        )
        refusals = CounterMetricFamily(
            "bff_downstream_cooldown_refusals",
            "Calls to the service's origin not sent because a rate-limit cool-down was running.",
            labels=["service"],
        )
        for service, client in pipelines.items():
            breaker = client.breaker
            current = breaker.state
            for member in BreakerState:
                state.add_metric([service, member.value], 1.0 if member is current else 0.0)
                transitions.add_metric([service, member.value], breaker.transitions[member])
            denials.add_metric([service], client.budget.denied)
            balance.add_metric([service], client.budget.balance)
            hedges.add_metric([service], client.hedges)
            cooling.add_metric([service], client.cooldown.remaining)
            cooldowns.add_metric([service], client.cooldown.started)
            refusals.add_metric([service], client.cooldown.refused)
        yield from (state, transitions, denials, balance, hedges, cooling, cooldowns, refusals)

    @staticmethod
    def _cache_counters(cache: CacheLayer) -> Iterator[Metric]:
        counters = cache.counters
        for name, field, documentation in CACHE_COUNTERS:
            yield CounterMetricFamily(name, documentation, value=getattr(counters, field))
        if (link := cache.link) is not None:
            yield GaugeMetricFamily(
                "bff_replicas_subscribed",
                "1 while this process hears the other replicas' purges and cool-downs (Redis).",
                value=int(link.listening),
            )
            yield CounterMetricFamily(
                "bff_replicas_resubscriptions",
                "Subscriptions to the other replicas re-established after a loss (each dropped "
                "the in-process cache: a purge may have been missed).",
                value=link.reconnects,
            )

    @staticmethod
    def _pool(
        http: httpx.AsyncClient,
        name: str = "bff_downstream_pool_connections",
        documentation: str = "Connections of the shared downstream pool: held by a call, idle, "
        "or waited for.",
    ) -> Iterator[Metric]:
        transport = default_transport(http)
        if transport is None:
            return
        try:
            usage = pool_usage(transport)
        except TypeError:  # a test's mock transport: no pool to report
            return
        if usage is None:  # a release whose pool state is not known: no gauge rather than a guess
            return
        pool = GaugeMetricFamily(name, documentation, labels=["state"])
        pool.add_metric(["in_use"], usage.in_use)
        pool.add_metric(["idle"], usage.idle)
        pool.add_metric(["waiting"], usage.waiting)
        yield pool


def install_metrics(app: FastAPI, metrics: Metrics) -> None:
    """Serve ``GET /metrics``. Not in the OpenAPI contract: it is for scrapers, not frontends."""

    async def get_metrics(request: Request) -> Response:
        body, media_type = metrics.render(
            request.scope.get("state") or {}, request.headers.get("accept", "")
        )
        return Response(body, media_type=media_type)

    app.add_api_route(METRICS_PATH, get_metrics, methods=["GET"], include_in_schema=False)
