"""The socket side of the door: what a connection may cost before the app sees a request.

uvicorn (with httptools) bounds none of this by itself: it accepts connections until the process
runs out of file descriptors, buffers a request line and headers of any size, and waits for them
forever (its keep-alive timeout only runs *between* requests, and any byte cancels it). A flood
of slow or huge headers therefore holds memory and descriptors until nothing else, probes
included, can connect. Rather than trade uvicorn for another server (the lifecycle, the signal
handling and the logs are built on it) or require a proxy in front, this module extends
uvicorn's own httptools protocol, the documented ``http=`` class of ``uvicorn.Config``, with the
limits servers such as nginx, Node and Go put at the same place:

* **Header size and count** (``BFF_MAX_HEADER_BYTES``, ``BFF_MAX_HEADERS``): bytes received
  while a request's line and headers are incomplete are counted as they arrive, so an endless
  header is refused (431) after at most the limit plus one read; httptools never holds more.
* **Header time** (``BFF_HEADER_TIMEOUT``): from the connection's start (or a request's first
  byte on a kept-alive connection) until its headers are complete, like Go's
  ``ReadHeaderTimeout`` or nginx's ``client_header_timeout``; past it the connection gets 408
  and is closed, and one that never sent a byte is just closed.
* **Connections per worker** (``BFF_MAX_CONNECTIONS``): past the cap a new connection gets an
  immediate 503 and is closed, so its descriptor is back at once and the process never reaches
  its descriptor limit (raised at start towards what the cap needs, up to the hard limit; the
  cap is lowered to fit it if it must be).
* **An operations listener** (``BFF_OPS_PORT``): probes, ``/metrics`` and the status page on a
  port of their own with its own small connection cap, as Envoy's admin listener, so a flood of
  the public port cannot starve the kubelet's probes or the scraper.

Refusals are problem+json like every other error, written directly on the socket: no request
reached the app, so no handler could write them. After one, the write side is shut and what the
client still sends is read and dropped for a moment before the close (a lingering close), so the
answer is not destroyed by the reset a close with unread input would send.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import socket
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

import uvicorn

# uvicorn's httptools protocol and its supervisor are internals, named in one place, with the
# methods and attributes overridden or read here (``clients/internals.py``, checked at start-up).
from clients.internals import HttpToolsProtocol, Multiprocess, ServerState

logger = logging.getLogger("bff.server")

Listener = Literal["main", "ops"]

LISTENER_EXTENSION = "bff.listener"
"""The ``scope["extensions"]`` key naming the listener a request came in on (``bff/edge.py``)."""

OPS_MAX_CONNECTIONS = 64
"""Connections the operations listener takes at once: a few probes and scrapers, never a crowd."""

LINGER_SECONDS = 0.5
"""How long a refused connection is kept half-closed, its input read and dropped, before it is
closed: closing a socket with unread input sends a reset, which can destroy the refusal on its
way to the client (nginx's ``lingering_close``)."""
MAX_LINGERING = 256
"""Refused connections lingering at once per worker; past it, refusals close at once."""

# Descriptors a worker needs besides client connections: its downstream pool is added to this
# (listeners, logs, Redis, the event loop's own, imported modules' files).
_RESERVED_DESCRIPTORS = 64


@dataclass(frozen=True, slots=True)
class EdgeLimits:
    """What one connection may cost. Travels to every worker inside the uvicorn config."""

    max_header_bytes: int = 16 * 1024
    max_headers: int = 100
    header_timeout: float = 10.0
    max_connections: int = 2000
    ops_port: int | None = None
    """The operations listener's bound port, or None when there is none."""
    ops_max_connections: int = OPS_MAX_CONNECTIONS

    def cap(self, listener: Listener) -> int:
        return self.ops_max_connections if listener == "ops" else self.max_connections


class EdgeConfig(uvicorn.Config):
    """uvicorn's config with the edge limits and the guarded protocol. Picklable, as uvicorn
    hands it to each worker process."""

    def __init__(self, app: Any, *, limits: EdgeLimits, **kwargs: Any) -> None:
        super().__init__(app, http=EdgeProtocol, **kwargs)
        self.limits = limits


DOOR_STATE_KEY = "door"
"""Where a server's `DoorCounters` live in its app state (and so in every request's state)."""


@dataclass(slots=True)
class DoorCounters:
    """What the door of one server (one per worker) holds and has refused: open connections per
    listener, refused connections lingering, refusals by reason (``connection_limit``,
    ``header_size``, ``header_count``, ``header_timeout``). Kept in the server's app state, which
    uvicorn shares with every connection and copies into every request's ``scope["state"]``:
    the cap is per server without a global, and ``/metrics`` reads it (``bff/metrics.py``)."""

    main: int = 0
    ops: int = 0
    lingering: int = 0
    refused: dict[str, int] = field(default_factory=dict)

    def refuse(self, reason: str) -> None:
        self.refused[reason] = self.refused.get(reason, 0) + 1


def door_of(app_state: dict[str, Any]) -> DoorCounters:
    door = app_state.get(DOOR_STATE_KEY)
    if not isinstance(door, DoorCounters):
        door = app_state[DOOR_STATE_KEY] = DoorCounters()
    return door


class _HeaderLimitExceeded(Exception):
    """Raised from a parser callback to stop parsing a request with too many headers."""


def problem_bytes(status: int, detail: str, *, retry_after: int | None = None) -> bytes:
    """A complete HTTP/1.1 problem+json response that closes the connection."""
    phrase = HTTPStatus(status).phrase
    request_id = uuid.uuid4().hex
    body = json.dumps(
        {
            "type": "urn:bff:problem:" + phrase.lower().replace(" ", "-"),
            "title": phrase,
            "status": status,
            "detail": detail,
            "instance": None,
            "requestId": request_id,
        }
    ).encode()
    head = [
        f"HTTP/1.1 {status} {phrase}",
        "content-type: application/problem+json",
        f"content-length: {len(body)}",
        f"x-request-id: {request_id}",
        "cache-control: no-store",
        "connection: close",
    ]
    if retry_after is not None:
        head.append(f"retry-after: {retry_after}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body


class EdgeProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits of `EdgeLimits` (see the module docstring).

    Only the protocol's own methods are overridden (the parser callbacks, the connection events
    and the 400 writer), each calling uvicorn's. They are uvicorn internals, not an API: each one,
    and each attribute read here, is declared in ``clients/internals.py``, whose start-up check
    stops a uvicorn release that has dropped or changed one;
    ``tests/integration/test_edge_limits.py`` and ``tests/chaos/test_edge_flood.py`` drive this
    class on real sockets.
    """

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits: EdgeLimits = getattr(config, "limits", None) or EdgeLimits()
        self.listener: Listener = "main"
        self._counted = False
        self._refused = False
        self._awaiting_headers = True
        self._header_bytes = 0
        self._header_count = 0
        self._header_limit_hit = False
        self._header_timer: asyncio.TimerHandle | None = None
        self._linger_timer: asyncio.TimerHandle | None = None

    # Connection events.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        port = self.server[1] if self.server else None
        if self.limits.ops_port is not None and port == self.limits.ops_port:
            self.listener = "ops"
        door = door_of(self.app_state)
        open_here = door.ops if self.listener == "ops" else door.main
        if open_here >= self.limits.cap(self.listener):
            door.refuse("connection_limit")
            self._refuse(503, "The server is at its connection limit; retry shortly.", 1)
            return
        self._count(+1)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        if self._counted:
            self._count(-1)
        if self._linger_timer is not None:
            self._linger_timer.cancel()
            self._linger_timer = None
            door_of(self.app_state).lingering -= 1
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._awaiting_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        if (
            self._awaiting_headers
            and self._header_bytes > self.limits.max_header_bytes
            and not self._refused
        ):
            self._refuse_headers(
                "header_size", "The request line and headers exceed the size limit."
            )

    # Parser callbacks.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._awaiting_headers = True
        if self._header_timer is None:
            self._arm_header_timer()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.limits.max_headers:
            self._header_limit_hit = True
            raise _HeaderLimitExceeded
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm_header_timer()
        self._awaiting_headers = False
        self._header_bytes = 0
        self._header_count = 0
        super().on_headers_complete()  # schedules the app's task: the scope can still change
        if self.listener == "ops":
            extensions = self.scope.setdefault("extensions", {})
            extensions[LISTENER_EXTENSION] = {"name": "ops"}

    def on_message_complete(self) -> None:
        super().on_message_complete()
        # What arrives next is the next request's line and headers.
        self._awaiting_headers = True

    def send_400_response(self, msg: str) -> None:
        """uvicorn answers any parser error with 400; a header limit deserves its own 431."""
        if self._header_limit_hit:
            self._refuse_headers(
                "header_count", f"More than {self.limits.max_headers} request headers."
            )
            return
        super().send_400_response(msg)

    # The limits.
    def _count(self, delta: int) -> None:
        door = door_of(self.app_state)
        if self.listener == "ops":
            door.ops += delta
        else:
            door.main += delta
        self._counted = delta > 0

    def _arm_header_timer(self) -> None:
        self._disarm_header_timer()
        self._header_timer = self.loop.call_later(self.limits.header_timeout, self._header_timeout)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timeout(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or not self._awaiting_headers:
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # A pipelined request is slow while an earlier one is still being answered: stop
            # reading, and close once that answer is out.
            self.cycle.keep_alive = False
            self.flow.pause_reading()
            return
        if self._header_bytes == 0:
            self.transport.close()  # an idle connection: nothing to answer
            return
        door_of(self.app_state).refuse("header_timeout")
        self._refuse(408, "The request headers did not arrive in time.")

    def _refuse_headers(self, reason: str, detail: str) -> None:
        door_of(self.app_state).refuse(reason)
        self._refuse(431, detail)

    def _refuse(self, status: int, detail: str, retry_after: int | None = None) -> None:
        """Answer and close; what the client still sends is read and dropped (`data_received`
        returns early) for at most `LINGER_SECONDS`, so the answer is not lost to a reset."""
        self._refused = True
        self._disarm_header_timer()
        transport = self.transport
        if transport.is_closing():
            return
        transport.write(problem_bytes(status, detail, retry_after=retry_after))
        door = door_of(self.app_state)
        if door.lingering >= MAX_LINGERING or not transport.can_write_eof():
            transport.close()
            return
        transport.write_eof()
        transport.resume_reading()
        door.lingering += 1
        self._linger_timer = self.loop.call_later(LINGER_SECONDS, transport.close)


def raise_descriptor_limit(needed: int) -> int:
    """Raise this process's soft descriptor limit towards ``needed`` (up to the hard limit), as
    Go's runtime and nginx's ``worker_rlimit_nofile`` do; workers inherit it. Returns the soft
    limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft if soft != resource.RLIM_INFINITY else needed


def fit_connections(limits: EdgeLimits, pool_connections: int) -> EdgeLimits:
    """The limits with a connection cap that fits the descriptor limit (warned when lowered)."""
    reserved = limits.ops_max_connections + MAX_LINGERING + pool_connections + _RESERVED_DESCRIPTORS
    available = raise_descriptor_limit(limits.max_connections + reserved) - reserved
    if available >= limits.max_connections:
        return limits
    fitted = max(1, available)
    logger.warning(
        "BFF_MAX_CONNECTIONS lowered from %d to %d: the descriptor limit (ulimit -n) leaves "
        "no room for more beside the downstream pool",
        limits.max_connections,
        fitted,
    )
    return EdgeLimits(
        max_header_bytes=limits.max_header_bytes,
        max_headers=limits.max_headers,
        header_timeout=limits.header_timeout,
        max_connections=fitted,
        ops_port=limits.ops_port,
        ops_max_connections=limits.ops_max_connections,
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket, bound in the parent so every worker shares it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family=family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def serve(
    app: Any,
    *,
    host: str,
    port: int,
    ops_port: int | None,
    workers: int,
    limits: EdgeLimits,
    pool_connections: int,
    **options: Any,
) -> None:
    """Run ``app`` (an import string with ``factory=True`` for several workers, or an app) on
    the public listener and, with ``ops_port``, the operations listener, with the edge limits.

    uvicorn's own ``run`` binds one socket; this binds both and hands them to uvicorn's server
    (one worker) or its process supervisor (several), the way ``uvicorn.run`` does.
    """
    # The config first: it applies the logging configuration the warnings below go through.
    config = EdgeConfig(app, limits=limits, host=host, port=port, workers=workers, **options)
    main = bind(host, port)
    sockets = [main]
    if ops_port is not None:
        ops = bind(host, ops_port)
        sockets.append(ops)
        limits = EdgeLimits(**{**_fields(limits), "ops_port": ops.getsockname()[1]})
    config.limits = fit_connections(limits, pool_connections)
    logger.info(
        "listening on http://%s:%d%s",
        host,
        main.getsockname()[1],
        f" (operations: port {config.limits.ops_port})" if ops_port is not None else "",
    )
    server = uvicorn.Server(config)
    try:
        if workers > 1:
            Multiprocess(config, sockets=sockets).run()
        else:
            server.run(sockets=sockets)
    except KeyboardInterrupt:
        # uvicorn re-raises the SIGINT it captured once it has shut down, as `uvicorn.run` does.
        pass
    if workers == 1 and not server.started:
        raise SystemExit(3)


def _fields(limits: EdgeLimits) -> dict[str, Any]:
    return {name: getattr(limits, name) for name in EdgeLimits.__slots__}
