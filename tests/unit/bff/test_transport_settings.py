"""``BFF_HTTP_TRANSPORT`` builds the named transport with the pool settings on it.

httpx ignores a client's ``limits`` once it is handed a transport, so these check that each
transport carries the limits itself, keeps no cookies, ignores proxy variables and is closed
with the app.
"""

from __future__ import annotations

import aiohttp
import httpx
import pytest
from support import in_process, settings_for

from bff.app import create_app
from bff.settings import Settings
from bff.transport import AiohttpTransport, _Queueing, _translate, build_transport, pool_usage

pytestmark = pytest.mark.anyio


def _settings(transport: str, **overrides: object) -> Settings:
    pool: dict[str, object] = {
        "pool_max_connections": 7,
        "pool_max_keepalive": 7,
        "pool_keepalive_expiry": 1.5,
        "connect_timeout": 0.5,
    }
    return settings_for("http://down.test", http_transport=transport, **{**pool, **overrides})


async def test_the_aiohttp_transport_takes_the_pool_settings_and_keeps_no_cookies() -> None:
    app = create_app(_settings("aiohttp"))

    async def scenario() -> tuple[httpx.AsyncClient, AiohttpTransport]:
        async with in_process(app) as (_, state):
            http: httpx.AsyncClient = state["http"]
            transport = http._transport  # type: ignore[attr-defined]
            assert isinstance(transport, AiohttpTransport)
            session = transport._session
            assert not session.closed
            assert isinstance(session.cookie_jar, aiohttp.DummyCookieJar)
            assert session.trust_env is False
            assert session._retry_connection is False
            return http, transport

    http, transport = await scenario()

    connector = transport.connector
    assert connector.limit == 7
    assert connector.limit_per_host == 0
    assert connector._keepalive_timeout == 1.5
    assert connector.force_close is False
    assert http.timeout.connect == 0.5
    assert http._trust_env is False  # type: ignore[attr-defined]
    assert http.is_closed, "closed with the app"
    assert transport._session.closed
    assert connector.closed


async def test_the_httpcore_transport_takes_the_pool_settings() -> None:
    async def scenario() -> httpx.AsyncBaseTransport:
        async with build_transport(_settings("httpcore")) as transport:
            return transport

    transport = await scenario()

    assert isinstance(transport, httpx.AsyncHTTPTransport)
    pool = transport._pool
    assert pool._max_connections == 7
    assert pool._max_keepalive_connections == 7
    assert pool._keepalive_expiry == 1.5


async def test_no_keep_alive_closes_every_aiohttp_connection() -> None:
    async def scenario() -> bool:
        settings = _settings("aiohttp", pool_max_keepalive=0)
        async with build_transport(settings) as transport:
            assert isinstance(transport, AiohttpTransport)
            return transport.connector.force_close

    assert await scenario() is True


@pytest.mark.parametrize("name", ["httpcore", "aiohttp"])
async def test_an_injected_transport_replaces_the_configured_one(name: str) -> None:
    """Tests swap the network through ``create_app(transport=...)`` whatever the setting says."""
    mock = httpx.MockTransport(lambda request: httpx.Response(404, json={"message": "nope"}))
    app = create_app(_settings(name), transport=mock)

    async def scenario() -> httpx.AsyncBaseTransport:
        async with in_process(app) as (client, state):
            response = await client.get("/v1/users/1/profile")
            assert response.status_code == 404
            transport: httpx.AsyncBaseTransport = state["http"]._transport
            return transport

    assert await scenario() is mock


async def test_a_fresh_pool_reads_empty() -> None:
    async def scenario() -> list[tuple[int, int, int]]:
        usages = []
        for name in ("httpcore", "aiohttp"):
            async with build_transport(_settings(name)) as transport:
                usage = pool_usage(transport)
                usages.append((usage.in_use, usage.waiting, usage.idle))
        return usages

    assert await scenario() == [(0, 0, 0), (0, 0, 0)]


def test_pool_usage_refuses_a_transport_without_a_pool() -> None:
    with pytest.raises(TypeError):
        pool_usage(httpx.MockTransport(lambda request: httpx.Response(200)))


@pytest.mark.parametrize(
    ("error", "waiting", "expected"),
    [
        (aiohttp.ConnectionTimeoutError("slow"), True, httpx.PoolTimeout),
        (aiohttp.ConnectionTimeoutError("slow"), False, httpx.ConnectTimeout),
        (aiohttp.SocketTimeoutError("slow"), False, httpx.ReadTimeout),
        (aiohttp.ServerDisconnectedError(), False, httpx.RemoteProtocolError),
        (aiohttp.ClientPayloadError("short body"), False, httpx.RemoteProtocolError),
        (aiohttp.ClientOSError(104, "reset"), False, httpx.ReadError),
        (aiohttp.ClientConnectionResetError("closing"), False, httpx.WriteError),
        (aiohttp.InvalidURL("ftp://x"), False, httpx.UnsupportedProtocol),
    ],
)
def test_aiohttp_errors_become_the_httpx_errors_httpcore_raises(
    error: Exception, waiting: bool, expected: type[httpx.TransportError]
) -> None:
    """The cases the loopback tests cannot provoke (a slow connect, a reset while sending)."""
    translated = _translate(error, _Queueing(waiting=waiting))

    assert type(translated) is expected


async def test_the_aiohttp_transport_sends_no_tracing_signals() -> None:
    """Telling a pool wait from a slow connect costs nothing per request: the connector notes a
    wait itself (test_transports.py checks the PoolTimeout it makes), with no trace config."""

    async def scenario() -> tuple[list[aiohttp.TraceConfig], aiohttp.BaseConnector]:
        transport = AiohttpTransport(limits=httpx.Limits(max_connections=1))
        try:
            return transport._session.trace_configs, transport.connector
        finally:
            await transport.aclose()

    configs, connector = await scenario()

    assert configs == []
    assert type(connector).__name__ == "_QueueAwareConnector"
