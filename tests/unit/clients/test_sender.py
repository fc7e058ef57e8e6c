"""The lean send path: the same request httpx would build, handed to the client's own transport,
and the full ``send`` whenever the client is configured to act per call."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from clients import DownstreamClient, ServicePolicy
from clients.policies import RetryPolicy
from clients.sender import Sender, encode_query
from schemas.downstream import Quote

pytestmark = pytest.mark.anyio

BASE_URL = "http://down.test:8080"
QUOTE = {"id": 1, "quote": "Simple is better than complex.", "author": "Tim Peters"}

PLAIN = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(200)))
"""A client with nothing configured (a mock transport: no SSL context to build per test)."""

PATHS = [
    "/users/1",
    "/users/1/posts",
    "/products/category/smart-phones",
    "/a/b_c.d~e/f!$&'()*+,;=:@g",
    "/products/category/électronique",
    "/with space",
    "/percent%20already",
    "/percent%zz",
    "/braces{x}",
    "/back`tick",
    "/",
]
PARAMS: list[dict[str, str | int] | None] = [
    None,
    {},
    {"limit": 10, "skip": 0},
    {"q": "phone case", "select": "id,title"},
    {"q": "a&b=c?d#e/f+g%h", "order": "desc"},
    {"q": "café ünïcode", "flag": True, "other": False},
    {"sortBy": "title", "limit": 0},
    {"page-size": 5, "x.y": "a~b_c", "skip": -1},
    {"q": "", "empty": ""},
]


@pytest.mark.parametrize("base", [BASE_URL, "http://down.test", "https://down.test/api/v1"])
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("params", PARAMS)
def test_the_url_is_the_one_httpx_builds(
    base: str, path: str, params: dict[str, str | int] | None
) -> None:
    sender = Sender(PLAIN, base)

    built = sender.url(path, params)
    expected = httpx.Request("GET", base + path, params=params).url

    assert built == expected
    assert str(built) == str(expected)
    assert (built.raw_path, built.netloc, built.scheme) == (
        expected.raw_path,
        expected.netloc,
        expected.scheme,
    )


@pytest.mark.parametrize("params", [p for p in PARAMS if p])
def test_the_query_is_encoded_as_httpx_encodes_it(params: dict[str, str | int]) -> None:
    assert encode_query(params) == str(httpx.QueryParams(params))


def test_headers_start_from_the_clients_and_the_call_replaces_them() -> None:
    client = httpx.AsyncClient(headers={"User-Agent": "bff/test", "Accept": "*/*"})
    sender = Sender(client, BASE_URL)

    headers = httpx.Headers(sender.headers([("accept", "application/json"), ("X-Id", "1")]))

    assert headers["Host"] == "down.test:8080"
    assert headers["User-Agent"] == "bff/test"
    assert headers.get_list("Accept") == ["application/json"]
    assert headers["X-Id"] == "1"


@pytest.mark.parametrize(
    "options",
    [
        {"auth": ("user", "secret")},
        {"event_hooks": {"request": [lambda request: None]}},
        {"follow_redirects": True},
        {"cookies": {"session": "abc"}},
        {"base_url": "http://elsewhere.test"},
        {"params": {"key": "value"}},
    ],
    ids=["auth", "event-hooks", "redirects", "cookies", "base-url", "params"],
)
def test_a_client_that_acts_per_call_is_never_bypassed(options: dict[str, object]) -> None:
    configured = httpx.AsyncClient(transport=PLAIN._transport, **options)  # type: ignore[arg-type]
    assert not Sender(configured, BASE_URL).lean
    assert Sender(PLAIN, BASE_URL).lean


@pytest.fixture
def seen() -> list[httpx.Request]:
    return []


POLICY = ServicePolicy(base_url=BASE_URL, timeout=5.0, retry=RetryPolicy(attempts=1))


def _client(http: httpx.AsyncClient) -> DownstreamClient:
    return DownstreamClient(http, service="quotes", policy=POLICY)


async def test_a_get_reaches_the_mock_transport_as_httpx_would_send_it(
    seen: list[httpx.Request],
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=QUOTE)

    mock = httpx.MockTransport(handler)
    async with httpx.AsyncClient(transport=mock, headers={"User-Agent": "bff/test"}) as http:
        quote = await _client(http).get("/quotes/1", Quote, params={"limit": 1, "q": "a b"})
        reference = http.build_request(
            "GET", BASE_URL + "/quotes/1", params={"limit": 1, "q": "a b"}
        )

    assert quote.id == 1
    (request,) = seen
    assert request.url == reference.url
    assert request.method == "GET"
    assert request.content == b""
    assert request.extensions["timeout"] == {
        "connect": min(POLICY.connect_timeout, 5.0),
        "read": 5.0,
        "write": 5.0,
        "pool": min(POLICY.pool_timeout, 5.0),
    }
    sent = dict(request.headers)
    for name, value in reference.headers.items():
        assert sent[name] == value, name
    assert sent["x-request-timeout"] == "5.000"


async def test_a_body_is_decoded_and_the_connection_released(seen: list[httpx.Request]) -> None:
    closed: list[bool] = []

    class Stream(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b'{"id": 1, "quote": "q", '
            yield b'"author": "a"}'

        async def aclose(self) -> None:
            closed.append(True)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Stream())

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        quote = await _client(http).get("/quotes/1", Quote)

    assert quote.author == "a"
    assert closed == [True], "the body was read to the end and the stream closed"


async def test_a_closed_client_refuses_like_send_does() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    sender = Sender(http, BASE_URL)
    await http.aclose()

    with pytest.raises(RuntimeError, match="closed"):
        await sender.get("/quotes/1", None, [], httpx.Timeout(1.0).as_dict())


async def test_posts_and_configured_clients_take_the_full_send() -> None:
    hooked: list[str] = []

    async def hook(request: httpx.Request) -> None:
        hooked.append(request.method)

    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=QUOTE))
    async with httpx.AsyncClient(transport=transport, event_hooks={"request": [hook]}) as http:
        client = _client(http)
        await client.get("/quotes/1", Quote)
        await client.post("/quotes/1", Quote, json={"a": 1})

    assert hooked == ["GET", "POST"], "event hooks still run: the lean path was not taken"
