"""The request side of the door: what the app refuses or rewrites before any route runs.

``bff/server.py`` bounds connections and headers on the socket; this ASGI middleware does the
rest at the first moment a request exists, before routing, parsing or authentication:

* **Body size** (``BFF_MAX_BODY_BYTES``): every body the BFF takes is a small JSON document. A
  declared ``Content-Length`` above the limit is answered 413 without reading a byte; a body
  sent without one (chunked) is counted as it is read and refused once past the limit. Both
  happen before FastAPI parses the body or runs a dependency, so an unauthenticated purge with a
  100 MB body costs what a 4 KiB one does. Starlette 1.x has a limiter of its own
  (``max_body_size``), but it answers ``text/plain``; every error here is problem+json.
* **Body time**: the body must arrive within the request's deadline (``BFF_REQUEST_TIMEOUT``,
  the one the downstream calls share), or the answer is 408: the header timeout of
  ``bff/server.py`` ends where the body begins, and 4 KiB sent a byte at a time would otherwise
  hold a connection for hours.
* **Unread bodies close the connection**: an answer given before the request's body was read
  (a 413, a 404, a GET with a body) carries ``Connection: close``, so the server stops there
  instead of reading and discarding the rest of a huge body to keep the connection.
* **HEAD** is answered wherever GET is (RFC 9110: same status and headers, no body): the request
  runs as a GET and the body is dropped; a streamed body stops at its first chunk.
* **Redirects never carry the client's Host**: Starlette's trailing-slash redirect builds an
  absolute URL from the ``Host`` header; its ``Location`` is made relative.
* **Listeners**: with ``BFF_OPS_PORT``, the operations listener (marked by ``bff/server.py``)
  serves only the probes, ``/metrics`` and the status page, and those two leave the public port.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bff.errors import problem
from bff.server import LISTENER_EXTENSION
from clients.context import remaining

PROBE_PATHS = frozenset({"/healthz", "/readyz"})
OPS_ONLY_PATHS = frozenset({"/metrics", "/status", "/status.json"})
"""Served only on the operations listener when there is one."""

CONTENT_TOO_LARGE = "content_too_large"
"""The problem code of a 413 (``urn:bff:problem:content-too-large``), whichever path sent it."""

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a body without a declared length grows past the limit.
    FastAPI re-raises an ``HTTPException`` met while reading a body, so it reaches the problem
    handler as a 413 (any other exception there would become a 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")


class BodyTooSlow(HTTPException):
    """Raised from ``receive`` when the body has not arrived by the request's deadline."""

    def __init__(self) -> None:
        super().__init__(408, "The request body did not arrive before the request's deadline.")


class _HeadDone(Exception):
    """Stops a streamed response to a HEAD request once its headers are out."""


def declared_length(scope: Scope) -> tuple[int | None, bool]:
    """The ``Content-Length`` (None if absent) and whether a body follows at all."""
    length: int | None = None
    chunked = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                length = None
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked or bool(length)


def relative_location(location: str) -> str:
    """``http://any.host/v1/home?x=1`` -> ``/v1/home?x=1``; a relative one is kept."""
    parts = urlsplit(location)
    if not parts.scheme and not parts.netloc:
        return location
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class EdgeMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        ops_listener: bool = False,
        ops_only_paths: Collection[str] = OPS_ONLY_PATHS,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.ops_listener = ops_listener
        self.ops_only_paths = frozenset(ops_only_paths)
        self.ops_paths = PROBE_PATHS | self.ops_only_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        on_ops = LISTENER_EXTENSION in (scope.get("extensions") or {})
        if (on_ops and path not in self.ops_paths) or (
            self.ops_listener and not on_ops and path in self.ops_only_paths
        ):
            await problem(Request(scope), 404, "Not Found")(scope, receive, send)
            return

        length, has_body = declared_length(scope)
        limit = self.max_body_bytes
        if length is not None and length > limit:
            response = problem(
                Request(scope),
                413,
                f"The request body is larger than {limit} bytes.",
                code=CONTENT_TOO_LARGE,
                headers={"Connection": "close"},
            )
            await response(scope, receive, send)
            return

        body_done = not has_body
        received = 0

        async def receive_counted() -> Message:
            nonlocal body_done, received
            if body_done:
                return await receive()  # a disconnect, once the body is in
            try:
                async with asyncio.timeout(remaining()):
                    message = await receive()
            except TimeoutError:
                raise BodyTooSlow from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
                if not message.get("more_body", False):
                    body_done = True
            return message

        head = scope["method"] == "HEAD"
        head_sent = False

        async def send_checked(message: Message) -> None:
            nonlocal head_sent
            if message["type"] == "http.response.start":
                if head:
                    scope["method"] = "HEAD"  # what the server reads to send no body
                headers = MutableHeaders(scope=message)
                if message["status"] in _REDIRECTS and "location" in headers:
                    headers["location"] = relative_location(headers["location"])
                if not body_done:
                    headers["connection"] = "close"
            elif head and message["type"] == "http.response.body":
                if head_sent:
                    raise _HeadDone
                head_sent = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                if message.get("more_body", False):
                    raise _HeadDone
                return
            await send(message)

        if head:
            scope["method"] = "GET"
        try:
            await self.app(scope, receive_counted if has_body else receive, send_checked)
        except* _HeadDone:
            pass
        finally:
            if head:
                scope["method"] = "HEAD"
