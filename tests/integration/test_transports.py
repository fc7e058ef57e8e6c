"""Both transports of ``BFF_HTTP_TRANSPORT`` fail alike and keep their pool whole.

Each test runs once per transport (the session fixture ``http_transport``) against the real
simulator and asserts the same outcome for both: the same httpx exception for each fault, hence
the same typed ``DownstreamError`` for the screens, and a pool with no slot lost to cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from support import Simulator, settings_for

from bff import __version__
from bff.app import build_http_client
from bff.settings import Settings
from bff.transport import build_transport, pool_usage
from clients import Downstreams
from clients.errors import (
    BadResponse,
    DownstreamError,
    RateLimited,
    Timeout,
    Unavailable,
)

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


@dataclass(frozen=True)
class Fault:
    rules: list[dict[str, Any]]
    raised: type[httpx.HTTPError] | None
    """What ``AsyncClient.get`` raises; None when the fault is an HTTP answer."""
    kind: type[DownstreamError]
    status: int | None = None


FAULTS = {
    "reset after the headers": Fault(
        [{"path": "/users/1", "mode": "reset"}], httpx.RemoteProtocolError, Unavailable
    ),
    "reset in the middle of the body": Fault(
        [{"path": "/users/1", "mode": "reset", "after_bytes": 10}],
        httpx.RemoteProtocolError,
        Unavailable,
    ),
    "no answer before the timeout": Fault(
        [{"path": "/users/1", "mode": "delay", "delay_ms": 2000}], httpx.ReadTimeout, Timeout
    ),
    "a body slower than the timeout": Fault(
        [{"path": "/users/1", "mode": "slow_body", "delay_ms": 3000, "chunks": 3}],
        httpx.ReadTimeout,
        Timeout,
    ),
    "503": Fault([{"path": "/users/1", "status": 503}], None, Unavailable, 503),
    "429": Fault([{"path": "/users/1", "status": 429, "retry_after": 0}], None, RateLimited, 429),
    "malformed JSON": Fault([{"path": "/users/1", "mode": "malformed"}], None, BadResponse, 200),
}
TIMEOUT = 0.4


def _settings(url: str, transport: str, **overrides: Any) -> Settings:
    return settings_for(
        url, http_transport=transport, downstream_timeout=TIMEOUT, request_timeout=5, **overrides
    )


async def _typed_error(settings: Settings) -> DownstreamError:
    async with build_http_client(settings) as http:
        users = Downstreams.build(http, settings.service_policies()).users
        with pytest.raises(DownstreamError) as caught:
            await users.get(1)
    return caught.value


async def _raw_error(settings: Settings, url: str) -> type[BaseException] | int:
    async with build_http_client(settings) as http:
        try:
            response = await http.get(url, timeout=TIMEOUT)
        except httpx.HTTPError as exc:
            return type(exc)
        return response.status_code


@pytest.mark.parametrize("name", FAULTS)
async def test_a_fault_is_the_same_error_whatever_the_transport(
    sim: Simulator, http_transport: str, name: str
) -> None:
    fault = FAULTS[name]
    sim.faults(*fault.rules)
    settings = _settings(sim.url, http_transport)

    raw = await _raw_error(settings, f"{sim.url}/users/1")
    error = await _typed_error(settings)

    assert raw == (fault.raised or fault.status)
    assert type(error) is fault.kind, repr(error)
    assert error.status == (fault.status if fault.kind is not BadResponse else None)


@contextmanager
def _refusing_url() -> Iterator[str]:
    """A loopback URL whose port was just freed, so connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield f"http://127.0.0.1:{port}"


async def test_a_refused_connection_is_a_connect_error(http_transport: str) -> None:
    with _refusing_url() as url:
        settings = _settings(url, http_transport)

        raw = await _raw_error(settings, f"{url}/users/1")
        error = await _typed_error(settings)

    assert raw is httpx.ConnectError
    assert type(error) is Unavailable


async def test_a_connection_closed_before_any_answer_is_sent_once(http_transport: str) -> None:
    """aiohttp silently resends an idempotent request once when the connection drops before the
    response; the transport turns that off, so retries stay the pipeline's (counted) business."""

    async def scenario() -> tuple[type[BaseException] | int, int]:
        requests = 0

        async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal requests
            await reader.readuntil(b"\r\n\r\n")
            requests += 1
            writer.close()
            await writer.wait_closed()

        server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
        async with server:
            url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
            raw = await _raw_error(_settings(url, http_transport), f"{url}/users/1")
        return raw, requests

    raw, requests = await scenario()

    assert raw is httpx.RemoteProtocolError
    assert requests == 1


async def _until(condition: Callable[[], bool], *, within: float = 5.0) -> None:
    """Yield to the loop until ``condition`` holds; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.005)


async def test_an_exhausted_pool_is_a_pool_timeout(sim: Simulator, http_transport: str) -> None:
    settings = _settings(
        sim.url, http_transport, pool_max_connections=1, pool_max_keepalive=1, pool_timeout=0.1
    )

    async def scenario() -> tuple[type[BaseException] | None, DownstreamError]:
        transport = build_transport(settings)
        async with build_http_client(settings, transport) as http:
            slow = asyncio.create_task(http.get(f"{sim.url}/users/2?delay=3000", timeout=10))
            await _until(lambda: pool_usage(transport).in_use == 1)
            raised: type[BaseException] | None = None
            try:
                await http.get(f"{sim.url}/users/1")
            except httpx.HTTPError as exc:
                raised = type(exc)
            users = Downstreams.build(http, settings.service_policies()).users
            with pytest.raises(DownstreamError) as caught:
                await users.get(1)
            slow.cancel()
            await asyncio.gather(slow, return_exceptions=True)
        return raised, caught.value

    raised, error = await scenario()

    assert raised is httpx.PoolTimeout
    assert type(error) is Unavailable
    assert error.retryable is False, "waiting longer for a congested pool makes it worse"


async def test_cancelled_calls_give_back_every_pool_slot(
    sim: Simulator, http_transport: str
) -> None:
    """200 calls queued on a pool of 4, all cancelled mid-flight: nothing stays held, and the
    pool goes on serving."""
    settings = _settings(sim.url, http_transport, pool_max_connections=4, pool_max_keepalive=4)

    async def scenario() -> None:
        transport = build_transport(settings)
        async with build_http_client(settings, transport) as http:
            calls = [
                asyncio.create_task(
                    http.get(f"{sim.url}/users/1?delay=2000", timeout=httpx.Timeout(10))
                )
                for _ in range(200)
            ]
            await _until(lambda: pool_usage(transport).in_use == 4)
            assert pool_usage(transport).waiting == 196
            for call in calls:
                call.cancel()
            outcomes = await asyncio.gather(*calls, return_exceptions=True)
            assert all(isinstance(outcome, asyncio.CancelledError) for outcome in outcomes)

            usage = pool_usage(transport)
            assert (usage.in_use, usage.waiting) == (0, 0), usage

            answers = await asyncio.gather(*(http.get(f"{sim.url}/users/1") for _ in range(20)))
            assert {answer.status_code for answer in answers} == {200}
            usage = pool_usage(transport)
            assert (usage.in_use, usage.waiting) == (0, 0), usage
            assert 1 <= usage.idle <= 4

    await scenario()


async def _cancelled_at_random(http: httpx.AsyncClient, url: str, rng: random.Random) -> int:
    """200 calls, each abandoned after a random wait; how many were cancelled."""

    async def call(patience: float) -> bool:
        try:
            async with asyncio.timeout(patience):
                await http.get(url, timeout=httpx.Timeout(10))
        except TimeoutError:
            return True
        return False

    outcomes = await asyncio.gather(*(call(rng.uniform(0, 0.4)) for _ in range(200)))
    return sum(outcomes)


async def test_cancellation_at_random_moments_leaks_no_slot_with_aiohttp(sim: Simulator) -> None:
    """Cancelled while queued, connecting, sending or reading: the aiohttp pool gives every slot
    back. (httpcore 1.0 can keep one in this storm, encode/httpcore#1093; bench/ reports it.)"""
    settings = _settings(
        sim.url, "aiohttp", pool_max_connections=4, pool_max_keepalive=4, pool_timeout=30
    )

    async def scenario() -> None:
        rng = random.Random(7)
        transport = build_transport(settings)
        async with build_http_client(settings, transport) as http:
            for _ in range(4):
                cancelled = await _cancelled_at_random(http, f"{sim.url}/users/1?delay=20", rng)
                assert 0 < cancelled < 200, "the storm should cancel some calls, not all"
                usage = pool_usage(transport)
                assert (usage.in_use, usage.waiting) == (0, 0), usage
            answers = await asyncio.gather(*(http.get(f"{sim.url}/users/1") for _ in range(20)))
            assert {answer.status_code for answer in answers} == {200}

    await scenario()


async def test_headers_left_out_stay_out_and_none_is_added(http_transport: str) -> None:
    """What goes on the wire is what httpx asked for: no User-Agent, Accept or Content-Type of
    the transport's own when a request leaves them out, and the client's own sent once."""

    async def scenario() -> list[dict[str, list[str]]]:
        seen: list[dict[str, list[str]]] = []

        async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # Every request of the kept-alive connection, until the client closes it.
            while head := (await reader.readuntil(b"\r\n\r\n")).decode("latin-1"):
                fields: dict[str, list[str]] = {}
                for line in head.split("\r\n")[1:]:
                    if line:
                        name, _, value = line.partition(":")
                        fields.setdefault(name.strip().lower(), []).append(value.strip())
                if "content-length" in fields:
                    await reader.readexactly(int(fields["content-length"][0]))
                seen.append(fields)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
                await writer.drain()

        handlers: list[asyncio.Task[Any]] = []

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            handlers.append(asyncio.current_task())  # type: ignore[arg-type]
            with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
                await record(reader, writer)
            writer.close()
            await writer.wait_closed()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        async with server:
            url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
            settings = _settings(url, http_transport)
            transport = build_transport(settings)
            async with build_http_client(settings, transport) as http:
                bare = httpx.Request("GET", f"{url}/bare")
                raw_body = httpx.Request("POST", f"{url}/raw", content=b"abc")
                for request in (bare, raw_body):
                    response = await transport.handle_async_request(request)
                    await response.aread()
                    await response.aclose()
                (await http.get(f"{url}/client")).raise_for_status()
            # The client has closed its connections: each handler sees the end and closes.
            await asyncio.gather(*handlers)
        return seen

    bare, raw_body, client = await scenario()

    for added in ("user-agent", "accept", "accept-encoding", "content-type"):
        assert added not in bare, added
    assert "content-type" not in raw_body
    assert raw_body["content-length"] == ["3"]
    assert client["user-agent"] == [f"bff/{__version__}"]
    assert len(client["accept"]) == len(client["accept-encoding"]) == 1
