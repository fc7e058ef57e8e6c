"""The live status page: per downstream service, what the last minute looked like.

``GET /status`` is a page a person opens (``bff/status_page.py``); ``GET /status.json`` is what it
shows, refreshed by the page every few seconds. Per service: calls per second, the share of calls
that failed, p50/p99 latency, the circuit breaker's state and the share of cacheable calls the
cache answered, over the last `WINDOW_SECONDS`.

`StatusRecorder` is a request observer (see ``bff.observability``) fed with each request's
downstream calls. Per service it keeps a ring of one-second buckets (calls, failures, cache
lookups and hits) and a ring of the last `LATENCY_SAMPLES` call durations: fixed-size lists
allocated once, so recording a call is a few index operations, and old data ages out by being
overwritten, with no timer. Percentiles are computed when the JSON is asked for, over the samples
still inside the window. This is for people looking at one process now; Prometheus (``/metrics``)
is for history, alerts and aggregation across workers: each worker process has its own recorder.

A failure here is what an operator would call one: any error code except ``not_found`` (the
downstream answered, the thing is missing) and the caller's own refused credentials (a forged
token says nothing about the auth API); calls cancelled because a sibling failed are neither.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import HTMLResponse, JSONResponse

from bff.docs import CONTENT_SECURITY_POLICY
from bff.observability import RequestRecord
from bff.status_page import STATUS_PAGE
from clients.breaker import CircuitBreaker
from clients.cooldown import Cooldown
from clients.record import CallRecord
from clients.registry import SERVICES

STATUS_PATH = "/status"
STATUS_JSON_PATH = "/status.json"

WINDOW_SECONDS = 60
LATENCY_SAMPLES = 512

_NOT_FAILURES = frozenset({"ok", "not_found", "cancelled"})
_CACHE_LOOKUPS = frozenset({"hit", "stale", "miss"})
_CACHE_ANSWERS = frozenset({"hit", "stale"})


class ServiceWindow:
    """One service's last `window` seconds of calls (see the module docstring)."""

    __slots__ = (
        "_calls",
        "_durations",
        "_epochs",
        "_failures",
        "_hits",
        "_lookups",
        "_next",
        "_times",
        "_window",
        "last_failure",
    )

    def __init__(self, window: int = WINDOW_SECONDS, samples: int = LATENCY_SAMPLES) -> None:
        self._window = window
        self._epochs = [-1] * window
        self._calls = [0] * window
        self._failures = [0] * window
        self._lookups = [0] * window
        self._hits = [0] * window
        self._times = [-math.inf] * samples
        self._durations = [0.0] * samples
        self._next = 0
        self.last_failure: str | None = None
        """The error code of the most recent failed call (ever, not only within the window)."""

    def add(self, now: float, call: CallRecord) -> None:
        second = int(now)
        slot = second % self._window
        if self._epochs[slot] != second:
            self._epochs[slot] = second
            self._calls[slot] = self._failures[slot] = self._lookups[slot] = self._hits[slot] = 0
        self._calls[slot] += 1
        if call.outcome not in _NOT_FAILURES and not call.callers_fault:
            self._failures[slot] += 1
            self.last_failure = call.outcome
        if call.cache in _CACHE_LOOKUPS:
            self._lookups[slot] += 1
            if call.cache in _CACHE_ANSWERS:
                self._hits[slot] += 1
        index = self._next
        self._times[index] = now
        self._durations[index] = call.duration
        self._next = (index + 1) % len(self._times)

    def figures(self, now: float, span: float) -> dict[str, Any]:
        """This window's figures, rounded to what the page shows (so page and JSON agree)."""
        oldest = int(now) - self._window
        live = [slot for slot, epoch in enumerate(self._epochs) if epoch > oldest]
        calls = sum(self._calls[slot] for slot in live)
        failures = sum(self._failures[slot] for slot in live)
        lookups = sum(self._lookups[slot] for slot in live)
        hits = sum(self._hits[slot] for slot in live)
        since = now - self._window
        durations = sorted(
            duration
            for at, duration in zip(self._times, self._durations, strict=True)
            if at > since
        )
        return {
            "calls": calls,
            "failures": failures,
            "callRate": round(calls / span, 2),
            "errorPercent": round(100 * failures / calls, 1) if calls else None,
            "p50Ms": _percentile_ms(durations, 0.50),
            "p99Ms": _percentile_ms(durations, 0.99),
            "cacheHitPercent": round(100 * hits / lookups, 1) if lookups else None,
            "lastError": self.last_failure,
        }


_NO_CALLS: dict[str, Any] = {
    "calls": 0,
    "failures": 0,
    "callRate": 0.0,
    "errorPercent": None,
    "p50Ms": None,
    "p99Ms": None,
    "cacheHitPercent": None,
    "lastError": None,
}


def _percentile_ms(ordered: list[float], quantile: float) -> float | None:
    """Nearest-rank percentile of sorted seconds, in milliseconds, or None without samples."""
    if not ordered:
        return None
    rank = max(0, math.ceil(quantile * len(ordered)) - 1)
    return round(ordered[rank] * 1000, 1)


class StatusRecorder:
    """Every service's `ServiceWindow`, fed by the request observer `observe`."""

    def __init__(
        self,
        *,
        window: int = WINDOW_SECONDS,
        samples: int = LATENCY_SAMPLES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self._samples = samples
        self._clock = clock
        self._started = clock()
        self._services: dict[str, ServiceWindow] = {}

    def observe(self, record: RequestRecord) -> None:
        if not record.calls:
            return
        now = self._clock()
        services = self._services
        for call in record.calls:
            service = services.get(call.service)
            if service is None:
                service = services[call.service] = ServiceWindow(self.window, self._samples)
            service.add(now, call)

    def snapshot(
        self,
        breakers: Mapping[str, CircuitBreaker],
        *,
        cache_enabled: bool | None = None,
        cooldowns: Mapping[str, Cooldown] | None = None,
    ) -> dict[str, Any]:
        """The ``/status.json`` document: every known service, the configured ones first."""
        now = self._clock()
        uptime = now - self._started
        # Rates over the time actually observed: a process up for 5 s has no 60 s of history.
        span = max(1.0, min(float(self.window), uptime))
        seen = self._services
        names = [*SERVICES, *sorted((set(seen) | set(breakers)) - set(SERVICES))]
        services = []
        for name in names:
            window = seen.get(name)
            breaker = breakers.get(name)
            if window is None and breaker is None:
                continue
            services.append(
                {
                    "service": name,
                    **(window.figures(now, span) if window is not None else _NO_CALLS),
                    "breaker": breaker.state.value if breaker is not None else None,
                    "coolDownSeconds": _cool_down(cooldowns, name),
                }
            )
        return {
            "generatedAt": datetime.now(UTC).isoformat(timespec="seconds"),
            "windowSeconds": self.window,
            "uptimeSeconds": round(uptime, 1),
            "cacheEnabled": cache_enabled,
            "services": services,
        }


def _cool_down(cooldowns: Mapping[str, Cooldown] | None, name: str) -> float | None:
    """Seconds left in the rate-limit cool-down of the service's origin (0: none running)."""
    cooldown = cooldowns.get(name) if cooldowns is not None else None
    return round(cooldown.remaining, 1) if cooldown is not None else None


def install_status(app: FastAPI, recorder: StatusRecorder) -> None:
    """Serve ``GET /status`` and ``GET /status.json``; not in the OpenAPI contract (they are
    for operators, not frontends)."""

    async def status_json(request: Request) -> JSONResponse:
        state: Mapping[str, Any] = request.scope.get("state") or {}
        downstreams = state.get("downstreams")
        media = state.get("media")
        cache = state.get("cache")
        breakers = dict(downstreams.breakers) if downstreams is not None else {}
        if media is not None:
            breakers.update({name: client.breaker for name, client in media.pipelines.items()})
        document = recorder.snapshot(
            breakers,
            cache_enabled=cache.enabled if cache is not None else None,
            cooldowns=downstreams.cooldowns if downstreams is not None else None,
        )
        return JSONResponse(document, headers={"Cache-Control": "no-store"})

    async def status_page() -> HTMLResponse:
        return HTMLResponse(
            STATUS_PAGE,
            headers={
                "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                "Cache-Control": "no-cache",
            },
        )

    app.add_api_route(STATUS_JSON_PATH, status_json, methods=["GET"], include_in_schema=False)
    app.add_api_route(STATUS_PATH, status_page, methods=["GET"], include_in_schema=False)
