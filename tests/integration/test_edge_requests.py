"""What the door refuses or rewrites in a request, each on a real BFF over loopback.

One test per rule: strict ids, search text without control characters, malformed bodies as
documented 422s, bodies over the limit as 413 before authentication, HEAD wherever GET, slash
redirects that never name the client's Host, an empty admin token that turns purging off, and
the signed-in user's page never stored, with the cache on or off.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import pytest
from support import Simulator, assert_problem

pytestmark = pytest.mark.integration

BffFactory = Callable[..., httpx.Client]


@pytest.mark.parametrize("raw_id", ["+1", "01", "%201", "1%20", "1_0", "1.0", "1e1", "0", "-1"])
def test_ids_are_plain_digits_only(bff: httpx.Client, raw_id: str) -> None:
    body = assert_problem(bff.get(f"/v1/users/{raw_id}/profile"), 422)
    assert body["errors"][0]["loc"] == ["path", "user_id"]


def test_an_id_past_the_downstreams_range_is_refused(bff: httpx.Client) -> None:
    assert_problem(bff.get("/v1/products/2147483648"), 422)
    assert_problem(bff.get("/v1/products/99999999999999999999"), 422)


def test_a_plain_id_is_served(bff: httpx.Client) -> None:
    assert bff.get("/v1/users/1/profile").status_code == 200
    assert bff.get("/v1/products/2147483647").status_code == 404


@pytest.mark.parametrize("text", ["\x00", "phone\x00", "a\nb", "\x1b[31m", "\x7f", "\u0085x"])
def test_search_text_with_a_control_character_is_refused(bff: httpx.Client, text: str) -> None:
    body = assert_problem(bff.get("/v1/search", params={"q": text}), 422)
    assert body["errors"][0]["loc"] == ["query", "q"]


def test_search_text_with_spaces_and_accents_is_served(bff: httpx.Client) -> None:
    assert bff.get("/v1/search", params={"q": " crème brûlée "}).status_code == 200


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b'{"username": "emilys", "password": "\xff\xfe"}', id="not-utf-8"),
        pytest.param(b"\xff\xfe\xfd", id="binary"),
        pytest.param(b'{"username": "emilys",', id="truncated-json"),
    ],
)
def test_a_malformed_body_is_a_documented_422(bff: httpx.Client, content: bytes) -> None:
    response = bff.post(
        "/v1/auth/login", content=content, headers={"Content-Type": "application/json"}
    )
    body = assert_problem(response, 422)
    assert body["type"] == "urn:bff:problem:validation"
    assert body["errors"][0]["type"] == "json_invalid"
    assert "emilys" not in response.text


def test_a_body_over_the_limit_is_413_before_the_admin_token_is_checked(
    start_bff: BffFactory,
) -> None:
    bff = start_bff(admin_token="the-token", max_body_bytes=64)
    big = json.dumps({"prefix": "x" * 100})
    declared = bff.post("/admin/cache/purge", content=big, headers={"Authorization": "Bearer no"})
    body = assert_problem(declared, 413)
    assert body["type"] == "urn:bff:problem:content-too-large"
    assert declared.headers["connection"] == "close"

    def chunks() -> object:
        yield big[:50].encode()
        yield big[50:].encode()

    chunked = bff.post(
        "/admin/cache/purge", content=chunks(), headers={"Authorization": "Bearer no"}
    )  # type: ignore[arg-type]
    assert_problem(chunked, 413)
    assert chunked.headers["connection"] == "close"
    # Within the limit, the token decides.
    assert_problem(
        bff.post("/admin/cache/purge", json={}, headers={"Authorization": "Bearer no"}), 401
    )


@pytest.mark.parametrize(
    "path", ["/v1/products/1", "/v1/users/1/profile", "/healthz", "/openapi.json"]
)
def test_head_answers_wherever_get_does_without_a_body(bff: httpx.Client, path: str) -> None:
    get = bff.get(path)
    head = bff.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    for name in ("content-type", "content-length", "etag", "cache-control"):
        assert head.headers.get(name) == get.headers.get(name), name


@pytest.mark.parametrize("path", ["/v1/export/products.ndjson", "/v1/products/1/image"])
def test_head_of_a_streamed_answer_stops_after_its_headers(bff: httpx.Client, path: str) -> None:
    get = bff.get(path)
    head = bff.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert bff.get("/healthz").status_code == 200  # the connection and the server carry on


def test_head_of_the_export_reads_no_page_past_the_first(bff: httpx.Client, sim: Simulator) -> None:
    bff.get("/v1/export/products.ndjson")
    pages_for_get = sim.path_count("/products")
    sim.clear()
    bff.head("/v1/export/products.ndjson")
    assert pages_for_get > 1
    assert sim.path_count("/products") == 1


def test_head_of_an_unknown_route_is_404_and_of_a_post_only_route_405(bff: httpx.Client) -> None:
    assert bff.head("/v1/nowhere").status_code == 404
    assert bff.head("/v1/auth/login").status_code == 405


def test_a_slash_redirect_never_names_the_clients_host(bff: httpx.Client) -> None:
    url = urlsplit(str(bff.base_url))
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        connection.request("GET", "/v1/home/?x=1", headers={"Host": "evil.example"})
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status in (301, 307, 308)
    assert response.getheader("location") == "/v1/home?x=1"


def test_a_redirect_without_host_header_is_relative_too(bff: httpx.Client) -> None:
    url = urlsplit(str(bff.base_url))
    with socket.create_connection((url.hostname or "", url.port or 80), timeout=10) as sock:
        sock.sendall(b"GET /v1/home/ HTTP/1.0\r\n\r\n")
        answer = b""
        while piece := sock.recv(4096):
            answer += piece
    assert b"\r\nlocation: /v1/home\r\n" in answer.lower()


@pytest.mark.parametrize("token", ["", "   "])
def test_an_empty_admin_token_turns_purging_off(start_bff: BffFactory, token: str) -> None:
    bff = start_bff(admin_token=token)
    # Before, no header at all matched an empty token (both compared as b"").
    for auth in ({}, {"Authorization": "Bearer"}, {"Authorization": "Bearer x"}):
        assert_problem(bff.post("/admin/cache/purge", json={}, headers=auth), 403)


@pytest.mark.parametrize("cache_enabled", [True, False], ids=["cache-on", "cache-off"])
def test_the_signed_in_users_page_is_never_stored(
    start_bff: BffFactory, cache_enabled: bool
) -> None:
    bff = start_bff(cache_enabled=cache_enabled)
    login = bff.post("/v1/auth/login", json={"username": "emilys", "password": "emilyspass"})
    auth = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    for _ in range(2):  # the second one is a cache hit when the cache is on
        response = bff.get("/v1/me", headers=auth)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "private, no-store"
        assert response.headers["vary"] == "Authorization"


def test_a_body_that_does_not_arrive_by_the_deadline_is_408(start_bff: BffFactory) -> None:
    bff = start_bff(request_timeout=0.5, downstream_timeout=0.5)
    url = urlsplit(str(bff.base_url))
    with socket.create_connection((url.hostname or "", url.port or 80), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/auth/login HTTP/1.1\r\nHost: bff\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
        answer = b""
        while piece := sock.recv(4096):  # the server answers, then closes
            answer += piece
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ")
    assert b"\r\nconnection: close" in head.lower()
    assert json.loads(body)["status"] == 408
