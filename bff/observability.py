"""Per-request context: the request id and the deadline every downstream call inherits.

Written as a pure ASGI middleware, not ``BaseHTTPMiddleware``: it runs in the request's own task,
so the context variables it sets are seen by the route and by every downstream call the route
makes, and it adds no extra task or body buffering per request.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clients.context import request_id_var
from clients.deadline import deadline_var, set_deadline

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_TIMEOUT_HEADER = "X-Request-Timeout"

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

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if REQUEST_ID_HEADER not in headers:
                    headers.append(REQUEST_ID_HEADER, request_id)
            await send(message)

        id_token = request_id_var.set(request_id)
        deadline_token = set_deadline(_budget(scope, self.request_timeout))
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            deadline_var.reset(deadline_token)
            request_id_var.reset(id_token)
