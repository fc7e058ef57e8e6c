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
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from time import perf_counter
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clients.context import request_id_var
from clients.deadline import deadline_var, set_deadline
from clients.timing import CallTiming, calls_var

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_TIMEOUT_HEADER = "X-Request-Timeout"
SERVER_TIMING_HEADER = "Server-Timing"
PARTIAL_HEADER = "X-BFF-Partial"

# A screen fanning out to a hundred products should not send a 10 KB header: past this many calls,
# one summary entry stands for the rest.
SERVER_TIMING_MAX_CALLS = 50


@dataclass(slots=True)
class _ResponseNotes:
    partial: bool = False


_notes_var: ContextVar[_ResponseNotes | None] = ContextVar("response_notes", default=None)


def mark_partial() -> None:
    """Say that this request's answer is partial (``X-BFF-Partial``); a no-op outside requests."""
    notes = _notes_var.get()
    if notes is not None:
        notes.partial = True


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def server_timing(calls: list[CallTiming], total: float) -> str:
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


def _budget(scope: Scope, default: float) -> float:
    """The request's time budget: the setting, lowered (never raised) by the caller's header."""
    raw = _header(scope, b"x-request-timeout")
    if raw is None:
        return default
    try:
        asked = float(raw)
    except ValueError:
        return default
    return min(default, asked) if asked > 0 else default


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, request_timeout: float) -> None:
        self.app = app
        self.request_timeout = request_timeout

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
        calls: list[CallTiming] = []
        notes = _ResponseNotes()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if REQUEST_ID_HEADER not in headers:
                    headers.append(REQUEST_ID_HEADER, request_id)
                headers.append(SERVER_TIMING_HEADER, server_timing(calls, perf_counter() - started))
                if notes.partial and 200 <= message["status"] < 300:
                    headers.append(PARTIAL_HEADER, "true")
            await send(message)

        id_token = request_id_var.set(request_id)
        deadline_token = set_deadline(_budget(scope, self.request_timeout))
        calls_token = calls_var.set(calls)
        notes_token = _notes_var.set(notes)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _notes_var.reset(notes_token)
            calls_var.reset(calls_token)
            deadline_var.reset(deadline_token)
            request_id_var.reset(id_token)
