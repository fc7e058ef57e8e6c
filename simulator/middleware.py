"""The ASGI layer in front of the data routes: counting, the rate limit, redirects, delays and
fault injection.

It sits outside the gzip middleware, so faults act on the wire format directly: a `reset` aborts
the connection itself and a `slow_body` paces the bytes the client actually receives.

How `reset` works: ASGI has no "close the socket" message, but uvicorn (httptools and h11 alike)
closes the transport when the app raises after `http.response.start`. So the simulator announces a
body with Content-Length and raises `SimulatedReset`: the client gets headers and then EOF, which
httpx reports as `RemoteProtocolError`, never as an HTTP response. A logging filter keeps
uvicorn from printing a traceback for these deliberate aborts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulator.control import CONTROL_PREFIX
from simulator.faults import FaultRule
from simulator.ratelimit import LIMIT_MESSAGE
from simulator.responses import JSON_TYPE, dumps
from simulator.state import SimulatorState

MAX_DELAY_MS = 5000
MALFORMED_BODY = b'{"id": 1, "title": '
_RESET_ANNOUNCED_LENGTH = b"1048576"
_TEMPLATE_CACHE_SIZE = 10_000


class SimulatedReset(Exception):
    """Raised on purpose after the response started, so uvicorn drops the connection."""


class _HideSimulatedResets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, SimulatedReset)


def install_reset_log_filter() -> None:
    """Idempotently silence uvicorn's "Exception in ASGI application" for deliberate resets."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(existing, _HideSimulatedResets) for existing in logger.filters):
        logger.addFilter(_HideSimulatedResets())


class InvalidDelay(ValueError):
    pass


def parse_delay(query_string: bytes) -> int:
    """`?delay=<ms>` with the real service's validation and messages."""
    for name, value in parse_qsl(query_string.decode("latin-1")):
        if name != "delay" or not value:
            continue
        try:
            delay = float(value)
        except ValueError:
            delay = math.nan
        if not math.isfinite(delay) or delay < 0:
            raise InvalidDelay("Delay should be a positive number in milliseconds")
        if delay > MAX_DELAY_MS:
            raise InvalidDelay("Delay should be less than 5 seconds (5000 milliseconds)")
        return int(delay)
    return 0


async def _send_body(
    send: Send, status: int, body: bytes, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send_json(send: Send, status: int, value: Any, extra: Sequence[Any] = ()) -> None:
    await _send_body(send, status, dumps(value), [(b"content-type", JSON_TYPE.encode()), *extra])


async def _capture(
    app: ASGIApp, scope: Scope, receive: Receive
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Run the inner app to completion and return (status, headers, whole body)."""
    start: Message = {}
    chunks: list[bytes] = []

    async def collect(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, collect)
    headers = [
        (name, value)
        for name, value in start.get("headers", [])
        if name.lower() not in (b"content-length", b"transfer-encoding")
    ]
    return start.get("status", 500), headers, b"".join(chunks)


def _with_headers(send: Send, headers: list[tuple[bytes, bytes]]) -> Send:
    async def sender(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *headers]}
        await send(message)

    return sender


def _without_id(value: Any) -> Any:
    return {k: v for k, v in value.items() if k != "id"} if isinstance(value, dict) else value


def drop_ids(value: Any) -> Any:
    """Schema drift: remove `id` from the object, or from the items of its lists."""
    if isinstance(value, list):
        return [_without_id(item) for item in value]
    if isinstance(value, dict):
        if "id" in value:
            return _without_id(value)
        return {k: drop_ids(v) if isinstance(v, list) else v for k, v in value.items()}
    return value


class SimulatorMiddleware:
    def __init__(self, app: ASGIApp, state: SimulatorState, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.state = state
        self.routes = routes
        self._templates: dict[tuple[str, str], str | None] = {}

    def _template(self, scope: Scope) -> str | None:
        """The route template (`/users/{id}`) a request maps to, memoized per method and path."""
        key = (scope["method"], scope["path"])
        try:
            return self._templates[key]
        except KeyError:
            pass
        template = None
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                template = getattr(route, "path", None)
                break
        if len(self._templates) >= _TEMPLATE_CACHE_SIZE:
            self._templates.clear()
        self._templates[key] = template
        return template

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"] if scope["type"] == "http" else ""
        if not path or path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        state = self.state
        state.stats.record(path, self._template(scope))

        if state.rate_limiter.config is not None:
            client = scope.get("client")
            verdict = state.rate_limiter.hit(client[0] if client else "")
            if verdict is not None:
                if verdict.refused:
                    extra = [*verdict.headers, (b"retry-after", str(verdict.retry_after).encode())]
                    await _send_json(send, 429, {"message": LIMIT_MESSAGE}, extra)
                    return
                send = _with_headers(send, verdict.headers)

        if len(path) > 1 and path.endswith("/"):
            await self._redirect_without_slash(scope, send)
            return

        delay_ms = state.delay_ms
        query_string: bytes = scope["query_string"]
        if b"delay" in query_string:
            try:
                delay_ms += parse_delay(query_string)
            except InvalidDelay as exc:
                await _send_json(send, 400, {"message": str(exc)})
                return
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)

        rule = state.faults.pick(scope["method"], path) if state.faults else None
        if rule is None:
            await self.app(scope, receive, send)
        else:
            await self._inject(rule, scope, receive, send)

    async def _redirect_without_slash(self, scope: Scope, send: Send) -> None:
        location = "/" + "/".join(part for part in scope["path"].split("/") if part)
        if scope["query_string"]:
            location += "?" + scope["query_string"].decode("latin-1")
        body = f"Moved Permanently. Redirecting to {location}".encode()
        headers = [
            (b"location", location.encode("utf-8")),
            (b"content-type", b"text/plain; charset=utf-8"),
        ]
        await _send_body(send, 301, body, headers)

    async def _inject(self, rule: FaultRule, scope: Scope, receive: Receive, send: Send) -> None:
        if rule.delay_ms and rule.mode != "slow_body":
            await asyncio.sleep(rule.delay_ms / 1000)
        if rule.mode == "delay":
            await self.app(scope, receive, send)
        elif rule.mode == "status":
            await self._status(rule, send)
        elif rule.mode == "reset" and rule.after_bytes is not None:
            await self._reset_after(rule.after_bytes, scope, receive, send)
        elif rule.mode == "reset":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", JSON_TYPE.encode()),
                        (b"content-length", _RESET_ANNOUNCED_LENGTH),
                    ],
                }
            )
            raise SimulatedReset(scope["path"])
        elif rule.mode == "malformed":
            await _send_body(send, 200, MALFORMED_BODY, [(b"content-type", JSON_TYPE.encode())])
        elif rule.mode == "slow_body":
            await self._slow_body(rule, scope, receive, send)
        else:
            await self._drift(scope, receive, send)

    async def _reset_after(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the real response, but drop the connection once `limit` body bytes are out."""
        sent = 0

        async def cut(message: Message) -> None:
            nonlocal sent
            if message["type"] == "http.response.body":
                body: bytes = message.get("body", b"")
                if sent + len(body) >= limit:
                    await send({**message, "body": body[: limit - sent], "more_body": True})
                    raise SimulatedReset(scope["path"])
                sent += len(body)
            await send(message)

        plain = [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]
        await self.app({**scope, "headers": plain}, receive, cut)

    async def _status(self, rule: FaultRule, send: Send) -> None:
        if rule.status in (204, 304):
            await _send_body(send, rule.status, b"")
            return
        extra = [(b"retry-after", str(rule.retry_after).encode())] if rule.status == 429 else []
        await _send_json(send, rule.status, {"message": "Simulated fault"}, extra)

    async def _slow_body(self, rule: FaultRule, scope: Scope, receive: Receive, send: Send) -> None:
        status, headers, body = await _capture(self.app, scope, receive)
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        chunks = max(1, min(rule.chunks, len(body)))
        size = -(-len(body) // chunks)
        pause = rule.delay_ms / 1000 / chunks
        for index in range(chunks):
            await asyncio.sleep(pause)
            piece = body[index * size : (index + 1) * size]
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def _drift(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Ask for an uncompressed body so it can be edited.
        plain = [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]
        status, headers, body = await _capture(self.app, {**scope, "headers": plain}, receive)
        content_type = dict(headers).get(b"content-type", b"")
        if status == 200 and content_type.startswith(b"application/json"):
            body = dumps(drop_ids(json.loads(body)))
            headers = [(k, v) for k, v in headers if k.lower() != b"etag"]
        await _send_body(send, status, body, headers)
