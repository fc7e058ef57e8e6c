"""The shared pipeline: URL guard, per-attempt timeout and deadline, request id, decoding."""

import json
from collections.abc import Iterator

import httpx
import pytest
import respx
from pydantic import TypeAdapter

from clients import (
    BadResponse,
    DownstreamClient,
    NotFound,
    RequestScope,
    ServicePolicy,
    Timeout,
    enter,
    narrowed,
    scope_var,
    set_deadline,
)
from schemas.downstream import Quote

pytestmark = pytest.mark.anyio

QUOTE = {"id": 1, "quote": "Simplicity is prerequisite for reliability.", "author": "Dijkstra"}


@pytest.fixture
def client(http: httpx.AsyncClient, policy: ServicePolicy) -> DownstreamClient:
    return DownstreamClient(http, service="quotes", policy=policy)


@pytest.fixture
def quote_route(router: respx.Router) -> respx.Route:
    return router.get("/quotes/1").respond(200, json=QUOTE)


@pytest.fixture
def deadline() -> Iterator[None]:
    """Reset the deadline however a test leaves it, so it cannot leak into the next test."""
    token = enter(RequestScope())
    yield
    scope_var.reset(token)


async def test_decodes_into_the_model(client: DownstreamClient, quote_route: respx.Route) -> None:
    quote = await client.get("/quotes/1", Quote)
    assert quote == Quote(id=1, quote=QUOTE["quote"], author="Dijkstra")
    assert quote_route.call_count == 1


async def test_policy_timeout_is_passed_to_the_transport(
    client: DownstreamClient, quote_route: respx.Route
) -> None:
    await client.get("/quotes/1", Quote)
    timeout = quote_route.calls.last.request.extensions["timeout"]
    assert timeout == {"connect": 2.0, "read": 2.0, "write": 2.0, "pool": 2.0}


@pytest.mark.usefixtures("deadline")
async def test_deadline_shortens_the_attempt_timeout(
    client: DownstreamClient, quote_route: respx.Route
) -> None:
    set_deadline(0.05)
    await client.get("/quotes/1", Quote)
    timeout = quote_route.calls.last.request.extensions["timeout"]
    assert set(timeout) == {"connect", "read", "write", "pool"}
    assert all(0 < value <= 0.05 for value in timeout.values())


@pytest.mark.usefixtures("deadline")
async def test_distant_deadline_keeps_the_policy_timeout(
    client: DownstreamClient, quote_route: respx.Route
) -> None:
    set_deadline(60)
    await client.get("/quotes/1", Quote)
    assert quote_route.calls.last.request.extensions["timeout"]["read"] == 2.0


@pytest.mark.usefixtures("deadline")
@pytest.mark.parametrize("budget", [0, -1])
async def test_expired_deadline_raises_without_sending(
    client: DownstreamClient, router: respx.Router, quote_route: respx.Route, budget: float
) -> None:
    set_deadline(budget)
    with pytest.raises(Timeout) as info:
        await client.get("/quotes/1", Quote)
    assert info.value.retryable is False
    assert info.value.service == "quotes"
    assert router.calls.call_count == 0


@pytest.fixture
def request_id() -> Iterator[None]:
    token = narrowed(request_id=None)
    yield
    scope_var.reset(token)


@pytest.mark.usefixtures("request_id")
async def test_request_id_is_forwarded(client: DownstreamClient, quote_route: respx.Route) -> None:
    narrowed(request_id="req-123")
    await client.get("/quotes/1", Quote)
    assert quote_route.calls.last.request.headers["X-Request-ID"] == "req-123"


@pytest.mark.usefixtures("request_id")
async def test_no_request_id_no_header(client: DownstreamClient, quote_route: respx.Route) -> None:
    await client.get("/quotes/1", Quote)
    assert "X-Request-ID" not in quote_route.calls.last.request.headers


@pytest.mark.usefixtures("request_id")
async def test_callers_request_id_wins(client: DownstreamClient, quote_route: respx.Route) -> None:
    narrowed(request_id="from-context")
    await client.get("/quotes/1", Quote, headers={"x-request-id": "explicit"})
    assert quote_route.calls.last.request.headers.get_list("X-Request-ID") == ["explicit"]


@pytest.mark.usefixtures("request_id")
@pytest.mark.parametrize("bad_id", ["with space", "new\nline", "caf\u00e9", "x" * 201, ""])
async def test_malformed_request_id_is_dropped(
    client: DownstreamClient, quote_route: respx.Route, bad_id: str
) -> None:
    narrowed(request_id=bad_id)
    await client.get("/quotes/1", Quote)
    assert "X-Request-ID" not in quote_route.calls.last.request.headers


@pytest.mark.parametrize(
    "path",
    [
        "quotes/1",
        "",
        "//evil.test/steal",
        "http://evil.test/steal",
        "@evil.test/steal",
        "/quotes/../admin",
        "/./quotes",
        "/quotes/1?select=id",
        "/quotes/1#frag",
        "/quotes\\1",
        "/quotes/ 1",
        "/quotes/1\r\nHost: evil.test",
    ],
)
async def test_path_guard(client: DownstreamClient, router: respx.Router, path: str) -> None:
    with pytest.raises(ValueError, match="path"):
        await client.get(path, Quote)
    assert router.calls.call_count == 0


async def test_base_url_path_prefix_and_trailing_slash(
    http: httpx.AsyncClient, router: respx.Router
) -> None:
    route = router.get("/api/quotes/1").respond(200, json=QUOTE)
    policy = ServicePolicy(base_url="http://down.test/api/", timeout=1.0)
    client = DownstreamClient(http, service="quotes", policy=policy)
    await client.get("/quotes/1", Quote)
    assert str(route.calls.last.request.url) == "http://down.test/api/quotes/1"


async def test_params_are_encoded_not_spliced(
    client: DownstreamClient, router: respx.Router
) -> None:
    route = router.get("/quotes/search").respond(200, json=QUOTE)
    await client.get("/quotes/search", Quote, params={"q": "a&b=c d/..", "limit": 5})
    request = route.calls.last.request
    assert request.url.path == "/quotes/search"
    assert dict(request.url.params) == {"q": "a&b=c d/..", "limit": "5"}


async def test_post_sends_json(client: DownstreamClient, router: respx.Router) -> None:
    route = router.post("/quotes/add").respond(201, json=QUOTE)
    await client.post("/quotes/add", Quote, json={"quote": "q", "author": "a"})
    request = route.calls.last.request
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"quote": "q", "author": "a"}


async def test_method_is_normalised(client: DownstreamClient, quote_route: respx.Route) -> None:
    await client.request("get", "/quotes/1", Quote)
    assert quote_route.calls.last.request.method == "GET"


async def test_type_adapter_and_plain_types(client: DownstreamClient, router: respx.Router) -> None:
    router.get("/slugs").respond(200, json=["beauty", "fragrances"])
    router.get("/ids").respond(200, json=[1, 2, 3])
    assert await client.get("/slugs", TypeAdapter(list[str])) == ["beauty", "fragrances"]
    assert await client.get("/ids", list[int]) == [1, 2, 3]


async def test_mismatch_detail_names_the_field_not_the_value(
    client: DownstreamClient, router: respx.Router
) -> None:
    router.get("/quotes/1").respond(200, json={**QUOTE, "id": "secret-value-xyz"})
    with pytest.raises(BadResponse) as info:
        await client.get("/quotes/1", Quote)
    assert "secret-value-xyz" not in info.value.detail
    assert "Quote" in info.value.detail
    assert "id" in info.value.detail


async def test_empty_success_body_is_a_bad_response(
    client: DownstreamClient, router: respx.Router
) -> None:
    router.get("/quotes/1").respond(204)
    with pytest.raises(BadResponse):
        await client.get("/quotes/1", Quote)


async def test_long_message_is_truncated(client: DownstreamClient, router: respx.Router) -> None:
    router.get("/quotes/1").respond(404, json={"message": "x" * 5000})
    with pytest.raises(NotFound) as info:
        await client.get("/quotes/1", Quote)
    assert len(info.value.detail) == 200


async def test_tokens_in_a_message_are_redacted(
    client: DownstreamClient, router: respx.Router
) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6MX0.c2lnbmF0dXJl"
    router.get("/quotes/1").respond(404, json={"message": f"bad token {token}\nagain"})
    with pytest.raises(NotFound) as info:
        await client.get("/quotes/1", Quote)
    assert token not in info.value.detail
    assert info.value.detail == "bad token [redacted] again"


@pytest.mark.parametrize(
    "body",
    [
        b'["message"]',
        b'{"message": 42}',
        b'{"message": "   "}',
        b'{"detail": "no message key"}',
        b"{not json",
        b'{"message": "' + b"x" * 70_000 + b'"}',
    ],
)
async def test_unusable_error_bodies_give_a_generic_detail(
    client: DownstreamClient, router: respx.Router, body: bytes
) -> None:
    router.get("/quotes/1").respond(404, content=body)
    with pytest.raises(NotFound) as info:
        await client.get("/quotes/1", Quote)
    assert info.value.detail == "downstream answered 404 Not Found"
