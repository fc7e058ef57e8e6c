"""The transport beneath the shared ``httpx.AsyncClient``, chosen by ``BFF_HTTP_TRANSPORT``.

Typed clients only ever see ``httpx.AsyncClient``; what moves the bytes is a setting, because
httpx 0.28's own pool (httpcore 1.0) spends CPU that grows with the number of queued requests
(encode/httpx#3215: the request-to-connection assignment loop is quadratic) and can lose pool
slots when requests are cancelled under contention (encode/httpcore#1093). ``aiohttp`` moves the
bytes with aiohttp's connector instead; httpx still builds requests, applies timeouts and
decodes bodies, so tests keep injecting ``httpx.MockTransport`` through ``create_app``.

Why not the httpx-aiohttp package: its 0.2 transport reports a server that drops the connection
as ``httpx.ConnectTimeout`` (it maps aiohttp's ``ClientConnectionError`` base class), cannot tell
a pool wait from a slow connect, and leaves aiohttp's silent one-time retry on. Each of those
changes which typed ``DownstreamError`` a screen reports, so the mapping below is ours, and the
tests check it against the httpcore transport fault by fault.

When a transport is handed to ``httpx.AsyncClient`` the client ignores its ``limits``: the pool
settings are applied here, to whichever transport is built.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from types import SimpleNamespace
from typing import Any

import aiohttp
import httpx
from yarl import URL

from bff.settings import Settings
from clients.internals import (
    aiohttp_pool_counts,
    connector_noting_waits,
    disable_connection_retry,
    httpcore_pool_counts,
    waits_noted,
)

# aiohttp adds these when missing; httpx has already set the ones it wants, and a header httpx
# left out on purpose (no Content-Type on a raw body) must stay out. Named per request, and only
# when it matters: a skip list makes aiohttp build and sort a multidict per request (~5% of a
# screen's CPU), and a body-less request that carries the first three has nothing to skip.
_SKIP_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")
_AUTO_HEADERS = frozenset(name.lower() for name in _SKIP_AUTO_HEADERS[:3])


def stream_limits(settings: Settings) -> httpx.Limits:
    """The pictures' own pool: one connection per stream slot, so a stream never waits for a
    connection and never takes one of the screens'."""
    return httpx.Limits(
        max_connections=settings.max_concurrent_streams,
        max_keepalive_connections=min(settings.max_concurrent_streams, 16),
        keepalive_expiry=settings.pool_keepalive_expiry,
    )


def pool_limits(settings: Settings) -> httpx.Limits:
    """The one place the pool settings become limits, whatever the transport."""
    return httpx.Limits(
        max_connections=settings.pool_max_connections,
        max_keepalive_connections=settings.pool_max_keepalive,
        keepalive_expiry=settings.pool_keepalive_expiry,
    )


STREAM_RECEIVE_BUFFER = 256 * 1024
"""Kernel receive buffer of each picture connection. Left to autotuning, one can grow to
``net.ipv4.tcp_rmem``'s maximum (32 MiB here): that much of a picture the origin has sent, and
the machine holds, for a frontend that may never read it. 256 KiB still moves pictures at
~25 MB/s per stream over a 10 ms round trip."""


def _socket(addr_info: tuple[Any, ...], *, receive_buffer: int) -> socket.socket:
    family, kind, proto, _, _ = addr_info
    sock = socket.socket(family=family, type=kind, proto=proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    return sock


def build_transport(
    settings: Settings, limits: httpx.Limits | None = None, *, receive_buffer: int | None = None
) -> httpx.AsyncBaseTransport:
    """The transport named by ``settings.http_transport``, with the pool settings applied (or
    ``limits``, for a pool of its own such as the pictures', whose sockets also get a fixed
    ``receive_buffer``).

    Call it inside a running event loop (the app's lifespan): aiohttp binds its connector to
    the loop that creates it.
    """
    limits = limits or pool_limits(settings)
    if settings.http_transport == "aiohttp":
        return AiohttpTransport(limits=limits, receive_buffer=receive_buffer)
    options = (
        [] if receive_buffer is None else [(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)]
    )
    return httpx.AsyncHTTPTransport(
        limits=limits, trust_env=False, retries=0, socket_options=options or None
    )


@dataclass(slots=True)
class _Queueing:
    """Per request: did it wait for a free connection, and is it still waiting?

    aiohttp has one ``connect`` budget for waiting in the pool and opening a socket, and raises
    the same ``ConnectionTimeoutError`` for both; this tells ``PoolTimeout`` (congestion, not
    worth a retry) from ``ConnectTimeout`` (the downstream is slow to accept).
    """

    waiting: bool = False


_queueing_var: ContextVar[_Queueing | None] = ContextVar("aiohttp_pool_queueing", default=None)
"""The request the current task is sending. A context variable because it cannot be an
argument: aiohttp calls the connector's wait with no per-request value of ours (only the
connection key and its trace list), in the sending task, so this is how the wait finds the
request it delays. One of the product's two context variables (the other is the request scope,
``clients/context.py``)."""


_QUEUE_AWARE_CONNECTOR = connector_noting_waits(_queueing_var)
"""A connector that notes, on the request being sent, when it waits for a free slot.

aiohttp's tracing signals could say so too (``on_connection_queued_start/end``), but a trace
config makes every request build a ``Trace`` and await a dozen signals, measured at 3-4% of the
BFF's CPU per screen, for an answer only needed when a connect budget runs out. This hook costs
nothing unless the pool is full. It overrides a private method of aiohttp 3.11+, so it is built
in ``clients/internals.py``; None there (or turned off by its start-up check), and the trace
config is used instead."""


def _connector_class() -> type[aiohttp.TCPConnector] | None:
    """The queue-aware connector class, or None when the trace config must note waits."""
    return _QUEUE_AWARE_CONNECTOR if waits_noted() else None


async def _queued_start(
    session: aiohttp.ClientSession, context: SimpleNamespace, params: object
) -> None:
    queueing: _Queueing = context.trace_request_ctx
    queueing.waiting = True


async def _queued_end(
    session: aiohttp.ClientSession, context: SimpleNamespace, params: object
) -> None:
    queueing: _Queueing = context.trace_request_ctx
    queueing.waiting = False


def _queue_tracing() -> aiohttp.TraceConfig:
    """The fallback for an aiohttp without the connector hook (see `_QUEUE_AWARE_CONNECTOR`)."""
    config = aiohttp.TraceConfig()
    config.on_connection_queued_start.append(_queued_start)
    config.on_connection_queued_end.append(_queued_end)
    config.freeze()
    return config


def _translate(exc: BaseException, queueing: _Queueing | None = None) -> httpx.TransportError:
    """The httpx exception that httpcore raises for the same failure (see the module docstring)."""
    message = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        if queueing is not None and queueing.waiting:
            return httpx.PoolTimeout(message)
        return httpx.ConnectTimeout(message)
    if isinstance(exc, asyncio.TimeoutError):  # SocketTimeoutError, ServerTimeoutError
        return httpx.ReadTimeout(message)
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, DNS, TLS handshake
        return httpx.ConnectError(message)
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        # Closed before a response, or before the announced body was complete.
        return httpx.RemoteProtocolError(message)
    if isinstance(exc, aiohttp.ClientResponseError):  # an unparsable status line or header
        return httpx.RemoteProtocolError(message)
    if isinstance(exc, aiohttp.ClientConnectionResetError):
        return httpx.WriteError(message)
    if isinstance(exc, aiohttp.ClientOSError):
        return httpx.ReadError(message)
    if isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        return httpx.UnsupportedProtocol(message)
    if isinstance(exc, aiohttp.ClientConnectionError):
        return httpx.ConnectError(message)
    return httpx.TransportError(message)


_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError)


@contextmanager
def _mapped_errors(queueing: _Queueing | None = None) -> Iterator[None]:
    try:
        yield
    except _ERRORS as exc:
        raise _translate(exc, queueing) from exc


class _ResponseStream(httpx.AsyncByteStream):
    """The body as aiohttp receives it (still encoded: httpx decodes), chunk by chunk."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped_errors():
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        # Synchronous on purpose, so a cancelled caller cannot interrupt it: a fully read
        # connection goes back to the pool, a partly read one is closed.
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport over one aiohttp ``ClientSession``, built for the shared client.

    The session keeps no cookies (``DummyCookieJar``: the client serves every user), ignores
    proxy variables (``trust_env=False``) and never retries by itself: retries are the request
    pipeline's, which counts them. Connections: at most ``max_connections`` open, idle ones
    closed after ``keepalive_expiry``. aiohttp has no separate cap on idle connections, so
    ``max_keepalive_connections`` only matters at 0, where nothing is kept alive.
    """

    def __init__(
        self,
        *,
        limits: httpx.Limits,
        ssl_context: ssl.SSLContext | None = None,
        receive_buffer: int | None = None,
    ) -> None:
        keep_alive = limits.max_keepalive_connections != 0 and limits.keepalive_expiry != 0
        connector_options: dict[str, Any] = {}
        if keep_alive and limits.keepalive_expiry is not None:
            connector_options["keepalive_timeout"] = limits.keepalive_expiry
        if receive_buffer is not None:
            connector_options["socket_factory"] = partial(_socket, receive_buffer=receive_buffer)
        queue_aware = _connector_class()
        connector_class = queue_aware or aiohttp.TCPConnector
        self._connector = connector_class(
            limit=limits.max_connections or 0,
            limit_per_host=0,
            force_close=not keep_alive,
            ssl=ssl_context or httpx.create_ssl_context(trust_env=False),
            **connector_options,
        )
        self._session = aiohttp.ClientSession(
            connector=self._connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
            auto_decompress=False,
            trace_configs=None if queue_aware is not None else [_queue_tracing()],
        )
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}
        # aiohttp resends an idempotent request once when a connection drops before the
        # response, and offers no switch for it (aio-libs/aiohttp#10790).
        disable_connection_retry(self._session)

    def _timeout(
        self, pool: float | None, connect: float | None, read: float | None
    ) -> aiohttp.ClientTimeout:
        """aiohttp's timeout for httpx's; built once per distinct value (an attrs class costs
        more to build than the rest of the request's translation), a few dozen at most: a
        deadline-shortened attempt brings new values, so the memo starts over when full."""
        key = (pool, connect, read)
        timeout = self._timeouts.get(key)
        if timeout is None:
            if len(self._timeouts) >= 64:
                self._timeouts.clear()
            timeout = self._timeouts[key] = aiohttp.ClientTimeout(
                total=None, connect=pool, sock_connect=connect, sock_read=read
            )
        return timeout

    @property
    def connector(self) -> aiohttp.TCPConnector:
        """The pool, for tests and diagnostics."""
        return self._connector

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        timeout = self._timeout(timeouts.get("pool"), timeouts.get("connect"), timeouts.get("read"))
        headers = request.headers.multi_items()
        data: bytes | httpx.AsyncByteStream | None
        try:
            data = request.content or None
        except httpx.RequestNotRead:
            data = request.stream  # type: ignore[assignment]
            headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
        skip: tuple[str, ...] | None = _SKIP_AUTO_HEADERS
        if data is None and _AUTO_HEADERS.issubset({name.lower() for name, _ in headers}):
            skip = None
        queueing = _Queueing()
        token = _queueing_var.set(queueing)
        try:
            with _mapped_errors(queueing):
                response = await self._session.request(
                    request.method,
                    URL(str(request.url), encoded=True),
                    headers=headers,
                    data=data,
                    allow_redirects=False,
                    timeout=timeout,
                    skip_auto_headers=skip,
                    trace_request_ctx=queueing,
                )
        finally:
            _queueing_var.reset(token)
        version = response.version
        extensions: dict[str, Any] = {
            "http_version": f"HTTP/{version.major}.{version.minor}".encode()
            if version
            else b"HTTP/1.1"
        }
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode("ascii", "replace")
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_ResponseStream(response),
            extensions=extensions,
        )

    async def aclose(self) -> None:
        await self._session.close()


@dataclass(frozen=True, slots=True)
class PoolUsage:
    """A snapshot of the shared pool. Once every call has finished, ``in_use`` and ``waiting``
    must both read 0: anything else is a leaked slot that no request will ever give back."""

    in_use: int
    """Connections (or connection slots) held by a request."""
    waiting: int
    """Requests queued for a free connection."""
    idle: int
    """Open connections kept alive for reuse."""


def pool_usage(transport: httpx.AsyncBaseTransport) -> PoolUsage | None:
    """Read the pool state of a transport built by ``build_transport``; None when the installed
    httpcore or aiohttp is not a release whose private state this was checked against.

    Neither httpcore nor aiohttp exposes these counts, so this reads their private state
    (``clients/internals.py`` names the releases); it is for metrics, tests and benchmarks,
    never for logic.
    """
    if isinstance(transport, AiohttpTransport):
        counts = aiohttp_pool_counts(transport.connector)
        if counts is None:
            return None
        in_use, waiting, idle = counts
        return PoolUsage(in_use=in_use, waiting=waiting, idle=idle)
    if isinstance(transport, httpx.AsyncHTTPTransport):
        counts = httpcore_pool_counts(transport)
        if counts is None:
            return None
        held, queued, idle = counts
        return PoolUsage(in_use=held - queued, waiting=queued, idle=idle)
    raise TypeError(f"no pool to inspect in {type(transport).__name__}")
