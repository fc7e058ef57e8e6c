"""The private parts of httpx, httpcore and aiohttp the BFF reads are read only on the releases
they were checked against; on any other release the BFF takes the public path.

On the installed releases every check holds (a dependency bump that moves one fails here first);
with a check off, pool gauges are left out rather than guessed, and the queue hook is not used.
"""

from __future__ import annotations

import httpx
import pytest
from support import settings_for

import bff.transport
import clients.internals
from bff.transport import build_transport, pool_usage
from clients.internals import default_transport, parsed_url, transport_for, within
from clients.sender import Sender

pytestmark = pytest.mark.anyio


def test_the_installed_releases_are_the_checked_ones() -> None:
    assert clients.internals.HTTPX_CHECKED
    assert clients.internals.HTTPCORE_CHECKED
    assert clients.internals.AIOHTTP_CHECKED
    assert bff.transport._QUEUE_HOOK, "the pool-wait hook is on, without trace signals"


def test_a_release_range_is_major_minor_with_an_open_top() -> None:
    assert within("httpx", (0, 28), (0, 29))
    assert not within("httpx", (0, 29), (1, 0))
    assert not within("a-package-that-is-not-installed", (0, 0), (99, 0))


async def test_the_accessors_read_what_the_public_api_means() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    async with httpx.AsyncClient(transport=transport) as http:
        assert default_transport(http) is transport
        assert Sender(http, "http://down.test").lean, "the lean path, on a checked release"
        assert transport_for(http, httpx.URL("http://down.test/users")) is transport
    reference = parsed_url(httpx.URL("http://down.test:8080/users?limit=1"))
    assert reference is not None
    assert (reference.host, reference.port, reference.path) == ("down.test", 8080, "/users")


async def test_an_unchecked_release_gets_the_public_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clients.internals, "HTTPX_CHECKED", False)
    monkeypatch.setattr(bff.transport, "HTTPCORE_CHECKED", False)
    monkeypatch.setattr(bff.transport, "AIOHTTP_CHECKED", False)
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: r)) as http:
        assert default_transport(http) is None
        assert transport_for(http, httpx.URL("http://down.test/")) is None
        assert not Sender(http, "http://down.test").lean, "every call goes through send"
    assert parsed_url(httpx.URL("http://down.test/")) is None
    for name in ("httpcore", "aiohttp"):
        async with build_transport(settings_for("http://down.test", http_transport=name)) as pool:
            assert pool_usage(pool) is None, name
