"""UpstreamResponse closes the downstream response on every path, including the ones where the
body is never read: a frontend gone before the first byte, a failing send, a cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
from starlette.types import Message

from bff.streaming import UpstreamResponse
from clients.base import DownstreamClient
from clients.breaker import BreakerState
from clients.media import MediaStream
from clients.policies import BreakerPolicy, ServicePolicy
from clients.record import CallRecord

pytestmark = pytest.mark.anyio


class _Body(httpx.AsyncByteStream):
    """A downstream body that yields ``chunks`` and then, if ``stall``, never ends."""

    def __init__(self, chunks: list[bytes], *, stall: bool = False) -> None:
        self.chunks = chunks
        self.stall = stall
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.stall:
            await asyncio.Event().wait()

    async def aclose(self) -> None:
        # Closing a real connection awaits; under a cancelled scope that await is cancelled too,
        # unless the close is shielded.
        await asyncio.sleep(0)
        self.closed = True


async def _open(body: _Body) -> httpx.Response:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, headers={"content-type": "image/png"}, stream=body)
    )
    client = httpx.AsyncClient(transport=transport)
    return await client.send(client.build_request("GET", "http://media.test/x.png"), stream=True)


def _relay(upstream: httpx.Response, *, idle_timeout: float = 30.0) -> UpstreamResponse:
    client = DownstreamClient(
        httpx.AsyncClient(), service="media.x", policy=ServicePolicy("http://media.test", 5)
    )
    stream = MediaStream(upstream, downstream=client, record=None, release=lambda: None)
    return UpstreamResponse(stream, idle_timeout=idle_timeout)


SCOPE = {"type": "http", "asgi": {"spec_version": "2.3"}, "path": "/v1/media/x.png"}


async def test_body_is_relayed_and_the_upstream_closed() -> None:
    body = _Body([b"ab", b"cd"])
    sent: list[Message] = []

    async def scenario() -> None:
        response = _relay(await _open(body))

        async def receive() -> Message:
            await asyncio.Event().wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)

        await response(SCOPE, receive, send)

    await scenario()

    assert b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body") == (
        b"abcd"
    )
    assert body.closed


async def test_frontend_gone_before_the_first_byte_still_closes_the_upstream() -> None:
    body = _Body([], stall=True)

    async def scenario() -> None:
        response = _relay(await _open(body))

        async def receive() -> Message:
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            return None

        await response(SCOPE, receive, send)

    await scenario()

    assert body.closed


async def test_a_failing_send_still_closes_the_upstream() -> None:
    body = _Body([b"ab"])

    async def scenario() -> None:
        response = _relay(await _open(body))

        async def receive() -> Message:
            await asyncio.Event().wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            raise OSError("client went away")

        await response(SCOPE, receive, send)

    with pytest.raises(OSError, match="client went away"):
        await scenario()
    assert body.closed


async def test_cancellation_mid_body_still_closes_the_upstream() -> None:
    """A cancelled scope (a server shutting down, a timeout around the app) cancels every await
    inside it, the close included, unless the close is shielded."""
    body = _Body([b"ab"], stall=True)

    async def scenario() -> None:
        response = _relay(await _open(body))

        async def receive() -> Message:
            await asyncio.Event().wait()
            return {"type": "http.disconnect"}

        async with anyio.create_task_group() as group:

            async def send(message: Message) -> None:
                if message.get("body"):
                    group.cancel_scope.cancel()

            group.start_soon(response, SCOPE, receive, send)

    await scenario()

    assert body.closed


class _Endless(httpx.AsyncByteStream):
    """A picture that never ends, counting the chunks the relay pulled from it."""

    def __init__(self) -> None:
        self.read = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            self.read += 1
            yield b"x" * 1024
            await asyncio.sleep(0)

    async def aclose(self) -> None:
        self.closed = True


async def _open_stream(stream: httpx.AsyncByteStream) -> httpx.Response:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, headers={"content-type": "image/png"}, stream=stream)
    )
    client = httpx.AsyncClient(transport=transport)
    return await client.send(client.build_request("GET", "http://media.test/x.png"), stream=True)


async def test_a_frontend_that_leaves_stops_the_read_of_the_origin() -> None:
    """The disconnect is seen on ``receive`` even when ``send`` keeps succeeding silently, as
    ASGI servers do for a socket that is already closed."""
    body = _Endless()
    gone = asyncio.Event()

    async def scenario() -> None:
        response = _relay(await _open_stream(body))

        async def receive() -> Message:
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            if body.read == 10:
                gone.set()

        await response(SCOPE, receive, send)

    await scenario()

    assert body.closed
    assert body.read < 20, f"{body.read} chunks read after the frontend left"


async def test_a_frontend_that_stops_reading_is_let_go() -> None:
    """A ``send`` that never completes (a full socket buffer) ends the stream after the idle
    timeout instead of holding the origin's connection for ever."""
    body = _Endless()
    never = asyncio.Event()
    sent: list[Message] = []

    async def scenario() -> None:
        response = _relay(await _open_stream(body), idle_timeout=0.01)

        async def receive() -> Message:
            await never.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)
            if message["type"] == "http.response.body":
                await never.wait()

        await response(SCOPE, receive, send)

    await scenario()

    assert body.closed
    assert sent[0]["type"] == "http.response.start"
    assert not any(m.get("more_body") is False for m in sent), "not ended as if complete"


class _BreaksOff(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"ab"
        raise httpx.RemoteProtocolError("peer closed connection")

    async def aclose(self) -> None:
        return None


async def test_a_body_cut_mid_way_is_a_failure_of_the_call() -> None:
    # One failure in a row opens this breaker, so its state shows the failure was counted.
    policy = ServicePolicy("http://media.test", 5, breaker=BreakerPolicy(consecutive_failures=1))
    client = DownstreamClient(httpx.AsyncClient(), service="media.x", policy=policy)
    record = CallRecord("media.x", "GET", "/x.png", outcome="ok")
    released: list[bool] = []
    sent: list[Message] = []

    async def scenario() -> None:
        upstream = await _open_stream(_BreaksOff())
        stream = MediaStream(
            upstream, downstream=client, record=record, release=lambda: released.append(True)
        )

        async def receive() -> Message:
            await asyncio.Event().wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)

        await UpstreamResponse(stream, idle_timeout=5)(SCOPE, receive, send)

    await scenario()

    assert record.outcome == "unavailable"
    assert client.breaker.state is BreakerState.OPEN
    assert released == [True], "the stream slot is given back once"
    assert not any(m.get("more_body") is False for m in sent), "the frontend sees a truncation"
