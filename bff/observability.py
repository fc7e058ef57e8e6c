"""Per-request context: the request id, the deadline, and what the response tells about them.

Written as a pure ASGI middleware, not ``BaseHTTPMiddleware``: it runs in the request's own task,
so the context variables it sets are seen by the route and by every downstream call the route
makes, and it adds no extra task or body buffering per request.

On the way out it adds, besides ``X-Request-ID``:

* ``Server-Timing``: one entry per downstream call the request made, in the order the code made
  them, named by the downstream service (``users;dur=12.3;desc="GET /users/1"``; failures add
  their code and attempts to ``desc``), then ``total``: the time until the response started.
  Browsers show it in the network panel and expose it to scripts (``PerformanceServerTiming``),
  so a frontend sees which downstream made a screen slow without any tracing system.
* ``X-BFF-Partial: true`` on a successful response whose ``meta.partial`` is true, so caches,
  proxies and monitoring can see degraded answers without parsing bodies. ``Sections.meta()``
  marks the request through `mark_partial`; routes never set it themselves.

Both are collected in per-request mutable objects held by context variables: route code and
fan-out tasks run in copies of the middleware's context, and a copy shares the objects.

Once the response is complete (or the app raised), the middleware hands one `RequestRecord` to
each observer it was built with (metrics, the request log, the status page). One hook for all of
them, so each request is timed once, its route template is found once, and none of them needs a
middleware, a task or a context variable of its own. Observers run synchronously on the event
loop: they must be quick and never await.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clients.context import RequestScope, ResponseNotes, current_scope, enter, scope_var
from clients.record import CallRecord

REQUEST_ID_HEADER = "X-Request-ID"
SERVER_TIMING_HEADER = "Server-Timing"
PARTIAL_HEADER = "X-BFF-Partial"

# A screen fanning out to a hundred products should not send a 10 KB header: past this many calls,
# one summary entry stands for the rest.
SERVER_TIMING_MAX_CALLS = 50

UNMATCHED_ROUTE = "unmatched"
"""The route label of a request no route matched (404s, slash redirects): never the raw path."""

# nginx's code for "the client closed the connection before the answer": a request cancelled
# before its response started is recorded with it, so it is neither a success nor a server error.
CLIENT_CLOSED_REQUEST = 499

logger = logging.getLogger("bff.observability")


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One finished HTTP request, as observers see it.

    Everything here is bounded enough to label metrics with, except `request_id` and the
    `calls`' raw paths; the route is the template (`/v1/users/{user_id}/profile`), never the path.
    """

    request_id: str
    method: str
    route: str
    """The matched route's template, or `UNMATCHED_ROUTE`."""
    status: int
    """The status sent; 500 when the app raised before answering, 499 when it was cancelled."""
    duration: float
    """Seconds from the request's arrival until its response was complete."""
    partial: bool
    calls: Sequence[CallRecord]
    """The downstream calls the request made, in the order the code made them."""


RequestObserver = Callable[[RequestRecord], None]
"""Called once per finished HTTP request, on the event loop; must not block or raise."""


def route_template(scope: Scope) -> str:
    """The template of the route that handled the request (the router sets ``scope["route"]``
    when one matched; a mount's is ``/prefix/{path}``), or `UNMATCHED_ROUTE`."""
    route = scope.get("route") or _mount_of(scope)
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) and template else UNMATCHED_ROUTE


def _mount_of(scope: Scope) -> Mount | None:
    """The mount that served the request: FastAPI's router does not set ``scope["route"]`` for
    mounts (the static docs assets), but leaves the mounted app as ``scope["endpoint"]``."""
    endpoint = scope.get("endpoint")
    if endpoint is None:
        return None
    for route in getattr(scope.get("router"), "routes", ()):
        if isinstance(route, Mount) and route.app is endpoint:
            return route
    return None


def mark_partial() -> None:
    """Say that this request's answer is partial (``X-BFF-Partial``); a no-op outside requests."""
    notes = current_scope().notes
    if notes is not None:
        notes.partial = True


def mark_personal() -> None:
    """Say that this request's answer is built with the caller's credentials: it must never be
    stored by any cache (``bff/http_caching.py``); a no-op outside requests."""
    notes = current_scope().notes
    if notes is not None:
        notes.personal = True


def is_personal() -> bool:
    notes = current_scope().notes
    return notes is not None and notes.personal


def is_partial() -> bool:
    """Whether this request's answer was marked partial (for the HTTP caching of screens)."""
    notes = current_scope().notes
    return notes is not None and notes.partial


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def server_timing(calls: list[CallRecord], total: float) -> str:
    """The ``Server-Timing`` value for these calls (durations in milliseconds, as the spec has)."""
    entries = []
    for call in calls[:SERVER_TIMING_MAX_CALLS]:
        desc = f"{call.method} {call.path}"
        if call.outcome != "ok":
            desc += f" {call.outcome}" + (f" {call.status}" if call.status is not None else "")
        if call.attempts > 1:
            desc += f" attempts={call.attempts}"
        if call.cache is not None:
            desc += f" cache={call.cache}"
        entries.append(f"{call.service};dur={call.duration * 1000:.1f};desc={_quoted(desc)}")
    if len(calls) > SERVER_TIMING_MAX_CALLS:
        more = len(calls) - SERVER_TIMING_MAX_CALLS
        entries.append(f"more;desc={_quoted(f'{more} more downstream calls')}")
    entries.append(f"total;dur={total * 1000:.1f}")
    return ", ".join(entries)


# An inbound id is echoed into headers and logs: accept only a short, plain token.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._\-]{1,128}")


def request_id_of(request: Request) -> str | None:
    state: dict[str, Any] = request.scope.get("state") or {}
    value = state.get("request_id")
    return value if isinstance(value, str) else None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _budget(scope: Scope, default: float, floor: float = 0.0) -> float:
    """The request's time budget: the setting, lowered (never raised) by the caller's header,
    but never below `floor` (``BFF_MIN_REQUEST_TIMEOUT``): a deadline shorter than a downstream
    round trip can only start calls nobody waits for. Unusable values are ignored."""
    raw = _header(scope, b"x-request-timeout")
    if raw is None:
        return default
    try:
        asked = float(raw)
    except ValueError:
        return default
    if not asked > 0:
        return default
    return min(default, max(floor, asked))


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        request_timeout: float,
        min_request_timeout: float = 0.0,
        observers: Sequence[RequestObserver] = (),
    ) -> None:
        self.app = app
        self.request_timeout = request_timeout
        self.min_request_timeout = min_request_timeout
        self.observers = tuple(observers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        inbound = _header(scope, b"x-request-id")
        request_id = (
            inbound if inbound and _VALID_REQUEST_ID.fullmatch(inbound) else uuid.uuid4().hex
        )
        scope.setdefault("state", {})["request_id"] = request_id

        started = perf_counter()
        calls: list[CallRecord] = []
        notes = ResponseNotes()
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                if REQUEST_ID_HEADER not in headers:
                    headers.append(REQUEST_ID_HEADER, request_id)
                headers.append(SERVER_TIMING_HEADER, server_timing(calls, perf_counter() - started))
                if notes.partial and 200 <= message["status"] < 300:
                    headers.append(PARTIAL_HEADER, "true")
            await send(message)

        budget = _budget(scope, self.request_timeout, self.min_request_timeout)
        token = enter(
            RequestScope(
                request_id=request_id,
                deadline=time.monotonic() + budget,
                # Tracing, when on, is installed around this middleware and put its tracer in
                # the scope it found.
                tracer=current_scope().tracer,
                calls=calls,
                owned=[],
                notes=notes,
            )
        )
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if status is None:
                status = 500
            raise
        finally:
            if self.observers:
                self._observe(scope, request_id, started, calls, notes, status)
            scope_var.reset(token)

    def _observe(
        self,
        scope: Scope,
        request_id: str,
        started: float,
        calls: list[CallRecord],
        notes: ResponseNotes,
        status: int | None,
    ) -> None:
        record = RequestRecord(
            request_id=request_id,
            method=scope["method"],
            route=route_template(scope),
            status=status if status is not None else CLIENT_CLOSED_REQUEST,
            duration=perf_counter() - started,
            partial=notes.partial,
            calls=calls,
        )
        for observer in self.observers:
            try:
                observer(record)
            except Exception:
                # Observing must never fail a request, nor stop the other observers.
                logger.exception("request observer %r failed", observer)
