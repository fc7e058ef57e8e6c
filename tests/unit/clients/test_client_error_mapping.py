"""Every typed client method maps every kind of downstream failure to the same typed error."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import respx
from pydantic import ValidationError

from clients import (
    BadRequest,
    BadResponse,
    DownstreamError,
    Downstreams,
    NotFound,
    RateLimited,
    Timeout,
    Unauthorized,
    Unavailable,
)

pytestmark = pytest.mark.anyio

HTML_404 = "<!DOCTYPE html><html><head><title>Error</title></head><body><pre>Cannot GET /x</pre>"


@dataclass(frozen=True)
class Call:
    service: str
    method: str
    path: str
    invoke: Callable[[Downstreams], Awaitable[object]]


CALLS = {
    "users.get": Call("users", "GET", "/users/1", lambda d: d.users.get(1)),
    "users.list": Call("users", "GET", "/users", lambda d: d.users.list()),
    "users.search": Call("users", "GET", "/users/search", lambda d: d.users.search("emily")),
    "users.carts": Call("users", "GET", "/users/1/carts", lambda d: d.users.carts(1)),
    "users.posts": Call("users", "GET", "/users/1/posts", lambda d: d.users.posts(1)),
    "users.todos": Call("users", "GET", "/users/1/todos", lambda d: d.users.todos(1)),
    "products.get": Call("products", "GET", "/products/1", lambda d: d.products.get(1)),
    "products.list": Call("products", "GET", "/products", lambda d: d.products.list()),
    "products.search": Call(
        "products", "GET", "/products/search", lambda d: d.products.search("phone")
    ),
    "products.categories": Call(
        "products", "GET", "/products/categories", lambda d: d.products.categories()
    ),
    "products.category_list": Call(
        "products", "GET", "/products/category-list", lambda d: d.products.category_list()
    ),
    "products.by_category": Call(
        "products", "GET", "/products/category/beauty", lambda d: d.products.by_category("beauty")
    ),
    "carts.get": Call("carts", "GET", "/carts/1", lambda d: d.carts.get(1)),
    "carts.by_user": Call("carts", "GET", "/carts/user/1", lambda d: d.carts.by_user(1)),
    "posts.get": Call("posts", "GET", "/posts/1", lambda d: d.posts.get(1)),
    "posts.list": Call("posts", "GET", "/posts", lambda d: d.posts.list()),
    "posts.search": Call("posts", "GET", "/posts/search", lambda d: d.posts.search("love")),
    "posts.comments": Call("posts", "GET", "/posts/1/comments", lambda d: d.posts.comments(1)),
    "todos.list": Call("todos", "GET", "/todos", lambda d: d.todos.list()),
    "todos.get": Call("todos", "GET", "/todos/1", lambda d: d.todos.get(1)),
    "quotes.random": Call("quotes", "GET", "/quotes/random", lambda d: d.quotes.random()),
    "quotes.get": Call("quotes", "GET", "/quotes/1", lambda d: d.quotes.get(1)),
    "recipes.get": Call("recipes", "GET", "/recipes/1", lambda d: d.recipes.get(1)),
    "recipes.search": Call(
        "recipes", "GET", "/recipes/search", lambda d: d.recipes.search("pizza")
    ),
    "auth.login": Call("auth", "POST", "/auth/login", lambda d: d.auth.login("emilys", "pw")),
    "auth.me": Call("auth", "GET", "/auth/me", lambda d: d.auth.me("header.payload.sig")),
    "auth.refresh": Call("auth", "POST", "/auth/refresh", lambda d: d.auth.refresh("r.t.s")),
}


@dataclass(frozen=True)
class Case:
    outcome: httpx.Response | Exception
    kind: type[DownstreamError]
    status: int | None
    detail: str | None = None
    retryable: bool | None = None
    cause: type[Exception] | None = None


def json_error(status: int, message: str, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"message": message}, headers=headers)


CASES = {
    "404-json": Case(
        json_error(404, "User with id '9999' not found"),
        NotFound,
        404,
        detail="User with id '9999' not found",
        retryable=False,
    ),
    "404-html": Case(
        httpx.Response(404, html=HTML_404),
        NotFound,
        404,
        detail="downstream answered 404 Not Found",
    ),
    "400": Case(json_error(400, "Invalid user id 'abc'"), BadRequest, 400, "Invalid user id 'abc'"),
    "422": Case(json_error(422, "Unprocessable"), BadRequest, 422, "Unprocessable"),
    "401": Case(json_error(401, "Token Expired!"), Unauthorized, 401, "Token Expired!"),
    "403": Case(json_error(403, "Invalid refresh token"), Unauthorized, 403),
    "429": Case(
        json_error(429, "Too many requests", **{"Retry-After": "10"}),
        RateLimited,
        429,
        retryable=True,
    ),
    "503": Case(httpx.Response(503, text="upstream down"), Unavailable, 503, retryable=True),
    "502": Case(httpx.Response(502), Unavailable, 502, retryable=True),
    "500": Case(json_error(500, "boom"), Unavailable, 500, detail="boom", retryable=False),
    "connect-error": Case(
        httpx.ConnectError("[Errno 111] Connection refused"),
        Unavailable,
        None,
        retryable=True,
        cause=httpx.ConnectError,
    ),
    "reset": Case(
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        Unavailable,
        None,
        cause=httpx.RemoteProtocolError,
    ),
    "local-protocol": Case(
        httpx.LocalProtocolError("Illegal header value"), BadRequest, None, retryable=False
    ),
    "read-timeout": Case(
        httpx.ReadTimeout("timed out"), Timeout, None, retryable=True, cause=httpx.ReadTimeout
    ),
    "connect-timeout": Case(httpx.ConnectTimeout("timed out"), Timeout, None),
    "pool-timeout": Case(
        httpx.PoolTimeout("timed out"),
        Unavailable,
        None,
        detail="connection pool exhausted (PoolTimeout)",
        retryable=False,
        cause=httpx.PoolTimeout,
    ),
    "malformed-json": Case(
        httpx.Response(200, content=b'{"id": 1, "ti', headers={"Content-Type": "application/json"}),
        BadResponse,
        None,
        cause=ValidationError,
    ),
    "missing-fields": Case(
        httpx.Response(200, json={"unexpected": True}), BadResponse, None, cause=ValidationError
    ),
    "html-200": Case(httpx.Response(200, html="<html><body>hi</body></html>"), BadResponse, None),
    "302": Case(
        httpx.Response(302, headers={"Location": "https://elsewhere.test/"}),
        BadResponse,
        302,
        detail="unexpected status 302 Found",
    ),
    "405": Case(httpx.Response(405), BadResponse, 405),
}


# `/auth/me` carries the caller's token: a 400 there is DummyJSON's "Invalid access token" (a
# valid token naming no user), so it is the caller's credentials that are refused.
AUTH_ME_KINDS: dict[str, type[DownstreamError]] = {"400": Unauthorized}


@pytest.mark.parametrize("case_name", CASES)
@pytest.mark.parametrize("call_name", CALLS)
async def test_error_mapping(
    router: respx.Router, downstreams: Downstreams, call_name: str, case_name: str
) -> None:
    call, case = CALLS[call_name], CASES[case_name]
    effect: dict[str, Any] = (
        {"side_effect": case.outcome}
        if isinstance(case.outcome, Exception)
        else {"return_value": case.outcome}
    )
    route = router.route().mock(**effect)

    with pytest.raises(DownstreamError) as info:
        await call.invoke(downstreams)

    error = info.value
    kind = AUTH_ME_KINDS.get(case_name, case.kind) if call_name == "auth.me" else case.kind
    assert type(error) is kind
    assert error.code == kind.code
    assert error.service == call.service
    assert error.status == case.status
    assert error.attempts == 1
    assert "<" not in error.detail
    if case.detail is not None:
        assert error.detail == case.detail
    if case.retryable is not None:
        assert error.retryable is case.retryable
    if case.cause is not None:
        assert isinstance(error.__cause__, case.cause)
    if isinstance(error, RateLimited):
        assert error.retry_after == 10.0
    request = route.calls.last.request
    assert (request.method, request.url.path) == (call.method, call.path)
