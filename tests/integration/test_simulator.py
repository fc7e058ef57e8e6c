"""The simulator over real loopback sockets: the DummyJSON contract, faults and stats."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support import ManualClock

from simulator import BackgroundServer, create_simulator_app
from simulator import jwt as sim_jwt
from simulator.ratelimit import RateLimit

pytestmark = pytest.mark.integration

USER_FIELDS = {
    "id", "firstName", "lastName", "maidenName", "age", "gender", "email", "phone", "username",
    "password", "birthDate", "image", "bloodGroup", "height", "weight", "eyeColor", "hair", "ip",
    "address", "macAddress", "university", "bank", "company", "ein", "ssn", "userAgent", "crypto",
    "role",
}  # fmt: skip
PRODUCT_FIELDS = {
    "id", "title", "description", "category", "price", "discountPercentage", "rating", "stock",
    "tags", "sku", "weight", "dimensions", "warrantyInformation", "shippingInformation",
    "availabilityStatus", "reviews", "returnPolicy", "minimumOrderQuantity", "meta", "images",
    "thumbnail",
}  # fmt: skip
CART_FIELDS = {
    "id", "userId", "total", "discountedTotal", "totalProducts", "totalQuantity", "products",
}  # fmt: skip
CART_LINE_FIELDS = {
    "id", "title", "price", "quantity", "total", "discountPercentage", "discountedTotal",
    "thumbnail",
}  # fmt: skip
POST_FIELDS = {"id", "title", "body", "tags", "reactions", "views", "userId"}
COMMENT_FIELDS = {"id", "body", "postId", "likes", "user"}
TODO_FIELDS = {"id", "todo", "completed", "userId"}
QUOTE_FIELDS = {"id", "quote", "author"}
RECIPE_FIELDS = {
    "id", "name", "ingredients", "instructions", "prepTimeMinutes", "cookTimeMinutes", "servings",
    "difficulty", "cuisine", "caloriesPerServing", "tags", "userId", "image", "rating",
    "reviewCount", "mealType",
}  # fmt: skip
LOGIN_FIELDS = {
    "accessToken", "refreshToken", "id", "username", "email", "firstName", "lastName", "gender",
    "image",
}  # fmt: skip
JSON_TYPE = "application/json; charset=utf-8"


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer(create_simulator_app()) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: BackgroundServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        yield http


@pytest.fixture(autouse=True)
def clean_slate(client: httpx.Client) -> None:
    """Each test starts with no fault rules, zeroed stats and no cookies."""
    client.delete("/__sim/faults").raise_for_status()
    client.delete("/__sim/stats").raise_for_status()
    client.cookies.clear()


def put_faults(client: httpx.Client, *rules: dict[str, Any]) -> None:
    response = client.put("/__sim/faults", json={"rules": list(rules)})
    assert response.status_code == 200, response.text


def get_json(client: httpx.Client, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSON_TYPE
    return response.json()


# --- the route table ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "resource", "fields"),
    [
        ("/users", "users", USER_FIELDS),
        ("/users/search?q=emily", "users", USER_FIELDS),
        ("/users/1/carts", "carts", CART_FIELDS),
        ("/users/1/posts", "posts", POST_FIELDS),
        ("/users/1/todos", "todos", TODO_FIELDS),
        ("/products", "products", PRODUCT_FIELDS),
        ("/products/search?q=watch", "products", PRODUCT_FIELDS),
        ("/products/category/smartphones", "products", PRODUCT_FIELDS),
        ("/carts", "carts", CART_FIELDS),
        ("/carts/user/1", "carts", CART_FIELDS),
        ("/posts", "posts", POST_FIELDS),
        ("/posts/search?q=world", "posts", POST_FIELDS),
        ("/posts/1/comments", "comments", COMMENT_FIELDS),
        ("/todos", "todos", TODO_FIELDS),
        ("/quotes", "quotes", QUOTE_FIELDS),
        ("/recipes", "recipes", RECIPE_FIELDS),
        ("/recipes/search?q=pizza", "recipes", RECIPE_FIELDS),
    ],
)
def test_list_routes_answer_the_envelope(
    client: httpx.Client, path: str, resource: str, fields: set[str]
) -> None:
    body = get_json(client, path)
    assert set(body) == {resource, "total", "skip", "limit"}
    items = body[resource]
    assert items, f"{path} should not be empty"
    assert body["limit"] == len(items) <= 30
    assert body["total"] >= len(items)
    for item in items:
        assert fields <= set(item), fields - set(item)


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/users/1", USER_FIELDS),
        ("/products/1", PRODUCT_FIELDS),
        ("/carts/1", CART_FIELDS),
        ("/posts/1", POST_FIELDS),
        ("/todos/1", TODO_FIELDS),
        ("/quotes/1", QUOTE_FIELDS),
        ("/quotes/random", QUOTE_FIELDS),
        ("/recipes/1", RECIPE_FIELDS),
    ],
)
def test_single_routes_answer_the_resource(
    client: httpx.Client, path: str, fields: set[str]
) -> None:
    item = get_json(client, path)
    assert fields <= set(item), fields - set(item)


def test_resource_counts_match_the_real_service(client: httpx.Client) -> None:
    assert get_json(client, "/users")["total"] >= 208
    assert get_json(client, "/products")["total"] >= 194
    assert get_json(client, "/carts")["total"] >= 50
    assert get_json(client, "/posts")["total"] >= 250
    assert get_json(client, "/comments")["total"] >= 300
    assert get_json(client, "/todos")["total"] >= 254
    assert get_json(client, "/quotes")["total"] >= 100
    assert get_json(client, "/recipes")["total"] >= 50


def test_categories(client: httpx.Client) -> None:
    categories = get_json(client, "/products/categories")
    slugs = get_json(client, "/products/category-list")
    assert len(categories) >= 24
    assert [category["slug"] for category in categories] == slugs
    for category in categories:
        assert set(category) == {"slug", "name", "url"}
        assert category["url"] == f"https://dummyjson.com/products/category/{category['slug']}"
    for slug in slugs:
        products = get_json(client, f"/products/category/{slug}", limit=0)["products"]
        assert products
        assert {product["category"] for product in products} == {slug}


def test_unknown_category_is_an_empty_list(client: httpx.Client) -> None:
    body = get_json(client, "/products/category/no-such-thing")
    assert body == {"products": [], "total": 0, "skip": 0, "limit": 0}


def test_user_one_is_the_sample_login(client: httpx.Client) -> None:
    user = get_json(client, "/users/1")
    assert (user["username"], user["password"]) == ("emilys", "emilyspass")
    assert (user["firstName"], user["lastName"]) == ("Emily", "Johnson")


def test_user_payload_types(client: httpx.Client) -> None:
    users = get_json(client, "/users", limit=0)["users"]
    assert len({user["username"] for user in users}) == len(users)
    assert {user["role"] for user in users} == {"admin", "moderator", "user"}
    for user in users:
        assert isinstance(user["password"], str)
        assert user["password"]
        assert isinstance(user["height"], int | float)
        assert set(user["hair"]) == {"color", "type"}
        assert set(user["address"]) == {
            "address", "city", "state", "stateCode", "postalCode", "coordinates", "country",
        }  # fmt: skip
        assert set(user["address"]["coordinates"]) == {"lat", "lng"}
        assert set(user["bank"]) == {"cardExpire", "cardNumber", "cardType", "currency", "iban"}
        assert set(user["company"]) == {"department", "name", "title", "address"}
        assert set(user["crypto"]) == {"coin", "wallet", "network"}
        assert user["image"].startswith("https://")


def test_some_users_have_no_posts(client: httpx.Client) -> None:
    posters = {post["userId"] for post in get_json(client, "/posts", limit=0)["posts"]}
    users = {user["id"] for user in get_json(client, "/users", limit=0, select="id")["users"]}
    assert posters < users
    lonely = min(users - posters)
    assert get_json(client, f"/users/{lonely}/posts") == {
        "posts": [],
        "total": 0,
        "skip": 0,
        "limit": 0,
    }


def test_product_quirks(client: httpx.Client) -> None:
    response = client.get("/products", params={"limit": 0})
    products = response.json()["products"]
    with_brand = sum("brand" in product for product in products)
    assert 0 < with_brand < len(products), "brand must be absent (not null) on some products"
    assert all(product.get("brand", "x") is not None for product in products)
    # Whole numbers are serialized without a fraction, fractional ones with one.
    assert re.search(r'"price":\d+[,}]', response.text)
    assert re.search(r'"price":\d+\.\d+[,}]', response.text)
    assert re.search(r'"rating":\d+[,}]', response.text)
    assert re.search(r'"weight":\d+[,}]', response.text)
    statuses = {product["availabilityStatus"] for product in products}
    assert statuses <= {"In Stock", "Low Stock", "Out of Stock"}
    for product in products:
        assert set(product["dimensions"]) == {"width", "height", "depth"}
        assert set(product["meta"]) == {"createdAt", "updatedAt", "barcode", "qrCode"}
        for review in product["reviews"]:
            assert set(review) == {"rating", "comment", "date", "reviewerName", "reviewerEmail"}


def test_carts_reference_real_products_and_add_up(client: httpx.Client) -> None:
    product_ids = {p["id"] for p in get_json(client, "/products", limit=0, select="id")["products"]}
    for cart in get_json(client, "/carts", limit=0)["carts"]:
        assert 1 <= len(cart["products"]) <= 5
        assert cart["totalProducts"] == len(cart["products"])
        assert cart["totalQuantity"] == sum(line["quantity"] for line in cart["products"])
        assert cart["total"] == pytest.approx(sum(line["total"] for line in cart["products"]))
        for line in cart["products"]:
            assert set(line) == CART_LINE_FIELDS
            assert line["id"] in product_ids
            assert line["total"] == pytest.approx(line["price"] * line["quantity"])
        get_json(client, f"/users/{cart['userId']}")


def test_comments_carry_their_author(client: httpx.Client) -> None:
    comments = get_json(client, "/posts/1/comments")["comments"]
    assert {comment["postId"] for comment in comments} == {1}
    assert set(comments[0]["user"]) == {"id", "username", "fullName"}


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/users/9999", 404, "User with id '9999' not found"),
        ("/users/abc", 400, "Invalid user id 'abc'"),
        ("/users/9999/posts", 404, "User with id '9999' not found"),
        ("/users/abc/todos", 400, "Invalid user id 'abc'"),
        ("/carts/user/9999", 404, "User with id '9999' not found"),
        ("/products/9999", 404, "Product with id '9999' not found"),
        ("/products/abc", 404, "Product with id 'abc' not found"),
        ("/carts/9999", 404, "Cart with id '9999' not found"),
        ("/posts/9999", 404, "Post with id '9999' not found"),
        ("/posts/abc", 400, "Invalid post id 'abc'"),
        ("/posts/9999/comments", 404, "Post with id '9999' not found"),
        ("/todos/9999", 404, "Todo with id '9999' not found"),
        ("/quotes/9999", 404, "Quote with id '9999' not found"),
        ("/recipes/9999", 404, "Recipe with id '9999' not found"),
    ],
)
def test_json_errors(client: httpx.Client, path: str, status: int, message: str) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == JSON_TYPE
    assert response.json() == {"message": message}


@pytest.mark.parametrize("path", ["/products/1/extra", "/nope", "/users/1/whatever/else"])
def test_unknown_path_is_an_html_404(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text.lstrip().startswith("<!DOCTYPE html>")


def test_unsupported_method_is_an_html_404(client: httpx.Client) -> None:
    response = client.delete("/products/1")
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_trailing_slash_redirects(client: httpx.Client) -> None:
    response = client.get("/users/1/", params={"select": "id"})
    assert response.status_code == 301
    assert response.headers["location"] == "/users/1?select=id"


# --- list parameters and search -------------------------------------------------------------------


def test_limit_and_skip(client: httpx.Client) -> None:
    body = get_json(client, "/users", limit=5, skip=10)
    assert [user["id"] for user in body["users"]] == [11, 12, 13, 14, 15]
    assert (body["total"], body["skip"], body["limit"]) == (208, 10, 5)
    assert get_json(client, "/users")["limit"] == 30


def test_limit_zero_means_all(client: httpx.Client) -> None:
    body = get_json(client, "/products", limit=0)
    assert body["limit"] == body["total"] == len(body["products"]) == 194


def test_skip_past_the_end(client: httpx.Client) -> None:
    body = get_json(client, "/users", skip=500)
    assert body == {"users": [], "total": 208, "skip": 500, "limit": 0}


def test_select_keeps_id_and_drops_unknown_names(client: httpx.Client) -> None:
    body = get_json(client, "/users", limit=3, select="firstName,nonsense,age")
    assert [list(user) for user in body["users"]] == [["id", "firstName", "age"]] * 3
    assert get_json(client, "/products/1", select="title") == {
        "id": 1,
        "title": get_json(client, "/products/1")["title"],
    }


def test_sort(client: httpx.Client) -> None:
    ascending = get_json(client, "/products", sortBy="price", order="asc", limit=0)["products"]
    prices = [product["price"] for product in ascending]
    assert prices == sorted(prices)
    descending = get_json(client, "/users", sortBy="firstName", order="desc", limit=0)["users"]
    names = [user["firstName"] for user in descending]
    assert names == sorted(names, reverse=True)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "abc"}, "Invalid 'limit' - should be a positive number"),
        ({"limit": "-1"}, "Invalid 'limit' - should be a positive number"),
        ({"skip": "x"}, "Invalid 'skip' - should be a positive number"),
        ({"sortBy": "title", "order": "up"}, "Invalid 'order' - should be either 'asc' or 'desc'"),
    ],
)
def test_bad_list_params(client: httpx.Client, params: dict[str, str], message: str) -> None:
    response = client.get("/products", params=params)
    assert response.status_code == 400
    assert response.json() == {"message": message}


def test_search_is_case_insensitive(client: httpx.Client) -> None:
    users = get_json(client, "/users/search", q="EmIlY")["users"]
    assert 1 in {user["id"] for user in users}
    for user in users:
        haystack = " ".join(user[f] for f in ("firstName", "lastName", "email", "username"))
        assert "emily" in haystack.lower()


def test_search_treats_a_hyphen_as_a_space(client: httpx.Client) -> None:
    title = get_json(client, "/products/1")["title"].lower()
    spaced = get_json(client, "/products/search", q=title, limit=0)
    hyphenated = get_json(client, "/products/search", q=title.replace(" ", "-"), limit=0)
    assert spaced["total"] >= 1
    assert hyphenated == spaced


def test_search_with_list_params(client: httpx.Client) -> None:
    word = get_json(client, "/posts/1")["title"].split()[0]
    body = get_json(client, "/posts/search", q=word, limit=2, skip=1, select="title")
    assert body["total"] >= 3
    assert body["limit"] == 2
    assert body["skip"] == 1
    assert all(set(post) == {"id", "title"} for post in body["posts"])


# --- testing aids: /http/{code}, ?delay, ETag, gzip -----------------------------------------------


def test_http_status_problem_details(client: httpx.Client) -> None:
    response = client.get("/http/503")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert set(body) == {"status", "title", "type", "detail", "message"}
    assert body["status"] == 503
    assert body["title"] == "Service Unavailable"


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH"])
def test_http_status_any_method(client: httpx.Client, method: str) -> None:
    assert client.request(method, "/http/418").status_code == 418
    ok = client.request(method, "/http/200")
    assert ok.status_code == 200
    assert ok.json() == {"status": 200, "message": "OK"}


def test_http_status_rejects_bad_codes(client: httpx.Client) -> None:
    assert client.get("/http/abc").status_code == 400
    assert client.get("/http/99").status_code == 400


def test_delay_query_param(client: httpx.Client) -> None:
    started = time.perf_counter()
    response = client.get("/http/503", params={"delay": 200})
    assert time.perf_counter() - started >= 0.2
    assert response.status_code == 503
    started = time.perf_counter()
    assert client.get("/users/1", params={"delay": "200"}).status_code == 200
    assert time.perf_counter() - started >= 0.2


@pytest.mark.parametrize("delay", ["6000", "-5", "soon"])
def test_bad_delay(client: httpx.Client, delay: str) -> None:
    response = client.get("/users/1", params={"delay": delay})
    assert response.status_code == 400
    assert "Delay should be" in response.json()["message"]


def test_etag_and_304(client: httpx.Client) -> None:
    first = client.get("/products/1")
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    assert "cache-control" not in first.headers
    again = client.get("/products/1", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    other = client.get("/products/1", headers={"If-None-Match": 'W/"other"'})
    assert other.status_code == 200
    assert client.get("/products/2").headers["etag"] != etag


def test_gzip_only_for_big_bodies(client: httpx.Client) -> None:
    big = client.get("/products", headers={"Accept-Encoding": "gzip"})
    assert big.headers["content-encoding"] == "gzip"
    assert big.json()["limit"] == 30
    small = client.get("/quotes/1", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers
    plain = client.get("/products", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers


# --- auth -----------------------------------------------------------------------------------------


def login(client: httpx.Client, **extra: Any) -> dict[str, Any]:
    body = {"username": "emilys", "password": "emilyspass", **extra}
    response = client.post("/auth/login", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_login_me_refresh(client: httpx.Client) -> None:
    session = login(client, expiresInMins=30)
    assert set(session) == LOGIN_FIELDS
    assert session["id"] == 1
    claims = sim_jwt.decode(session["accessToken"])
    assert set(LOGIN_FIELDS - {"accessToken", "refreshToken"}) | {"iat", "exp"} <= set(claims)
    assert claims["exp"] - claims["iat"] == 30 * 60

    me = client.get("/auth/me", headers={"Authorization": f"Bearer {session['accessToken']}"})
    assert me.status_code == 200
    assert me.json()["username"] == "emilys"
    assert me.json()["password"] == "emilyspass"  # the real one leaks it too

    refreshed = client.post("/auth/refresh", json={"refreshToken": session["refreshToken"]})
    assert refreshed.status_code == 200
    assert set(refreshed.json()) == {"accessToken", "refreshToken"}
    token = refreshed.json()["accessToken"]
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_login_username_is_case_insensitive(client: httpx.Client) -> None:
    response = client.post("/auth/login", json={"username": "EmilyS", "password": "emilyspass"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"username": "emilys", "password": "wrong"}, "Invalid credentials"),
        ({"username": "nobody", "password": "x"}, "Invalid credentials"),
        ({"username": "emilys"}, "Username and password required"),
        ({}, "Username and password required"),
        (
            {"username": "emilys", "password": "emilyspass", "expiresInMins": 50000},
            "Maximum access token expire time can be 43200 minutes",
        ),
    ],
)
def test_login_errors(client: httpx.Client, body: dict[str, Any], message: str) -> None:
    response = client.post("/auth/login", json=body)
    assert response.status_code == 400
    assert response.json() == {"message": message}


def test_login_with_malformed_json(client: httpx.Client) -> None:
    response = client.post(
        "/auth/login", content=b'{"username": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "message" in response.json()


def expired_token(kind: sim_jwt.TokenType) -> str:
    claims = {"id": 1, "username": "emilys"}
    return sim_jwt.encode(claims, kind=kind, expires_in_mins=1, now=time.time() - 3600)


def forged_token(how: str) -> str:
    """A token for user 1 that fails in one of the ways a forger's would."""
    token = sim_jwt.encode({"id": 1, "username": "emilys"})
    head, body, signature = token.split(".")
    if how == "signature":
        return f"{head}.{body}.{signature[::-1]}"
    if how == "unsigned":
        return f"{head}.{body}."
    return sim_jwt.encode({"id": 1, "username": "nobody-by-this-name"})


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({}, 401, "Access Token is required"),
        ({"Authorization": "Bearer garbage"}, 401, "Invalid/Expired Token!"),
        ({"Authorization": f"Bearer {expired_token('access')}"}, 401, "Token Expired!"),
        # Forged or garbled JWTs: the real service answers 500 with its JWT library's message.
        ({"Authorization": "Bearer not.a.jwt"}, 500, "invalid token"),
        ({"Authorization": f"Bearer {forged_token('signature')}"}, 500, "invalid signature"),
        ({"Authorization": f"Bearer {forged_token('unsigned')}"}, 500, "jwt signature is required"),
        ({"Authorization": f"Bearer {forged_token('unknown-user')}"}, 400, "Invalid access token"),
    ],
)
def test_me_errors(
    client: httpx.Client, headers: dict[str, str], status: int, message: str
) -> None:
    response = client.get("/auth/me", headers=headers)
    assert response.status_code == status
    assert response.json() == {"message": message}


def test_tokens_are_not_interchangeable(client: httpx.Client) -> None:
    session = login(client)
    as_access = client.get(
        "/auth/me", headers={"Authorization": f"Bearer {session['refreshToken']}"}
    )
    # Signed with the refresh secret: to the access check it is a forged token.
    assert as_access.status_code == 500
    assert as_access.json() == {"message": "invalid signature"}
    as_refresh = client.post("/auth/refresh", json={"refreshToken": session["accessToken"]})
    assert as_refresh.status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({}, 401, "Refresh token required"),
        ({"refreshToken": "garbage"}, 403, "Invalid refresh token"),
        ({"refreshToken": expired_token("refresh")}, 403, "Invalid refresh token"),
    ],
)
def test_refresh_errors(
    client: httpx.Client, body: dict[str, Any], status: int, message: str
) -> None:
    response = client.post("/auth/refresh", json=body)
    assert response.status_code == status
    assert response.json() == {"message": message}


# --- faults ---------------------------------------------------------------------------------------


def test_fault_rules_round_trip(client: httpx.Client) -> None:
    rule = {"path": "/users/*", "mode": "status", "status": 503, "rate": 0.5, "delay_ms": 10}
    put_faults(client, rule)
    assert client.get("/__sim/faults").json() == {"rules": [rule]}
    assert client.delete("/__sim/faults").status_code == 204
    assert client.get("/__sim/faults").json() == {"rules": []}


@pytest.mark.parametrize(
    "rule",
    [
        {"path": "/users/*", "mode": "explode"},
        {"path": "/users/*", "mode": "status", "rate": 2},
        {"path": "/users/*", "delay": 100},
        {"mode": "status"},
        {"path": "/users/*", "status": "503"},
        {"path": "/users/*", "times": 0},
    ],
)
def test_invalid_fault_rules_are_rejected(client: httpx.Client, rule: dict[str, Any]) -> None:
    response = client.put("/__sim/faults", json={"rules": [rule]})
    assert response.status_code == 400
    assert "message" in response.json()
    assert client.get("/__sim/faults").json() == {"rules": []}


def test_fault_delay(client: httpx.Client) -> None:
    put_faults(client, {"path": "/quotes/*", "mode": "delay", "delay_ms": 200})
    started = time.perf_counter()
    response = client.get("/quotes/1")
    assert time.perf_counter() - started >= 0.2
    assert response.status_code == 200
    assert response.json()["id"] == 1


def test_fault_status_times(client: httpx.Client) -> None:
    put_faults(client, {"path": "/users/5", "mode": "status", "status": 503, "times": 2})
    first, second, third = (client.get("/users/5") for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (503, 503, 200)
    assert first.json() == {"message": "Simulated fault"}
    assert first.headers["content-type"] == JSON_TYPE
    assert client.get("/__sim/stats").json()["paths"]["/users/5"] == 3


def test_fault_429_has_retry_after(client: httpx.Client) -> None:
    put_faults(client, {"path": "/products/*", "status": 429, "retry_after": 3})
    response = client.get("/products/1")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"


def test_fault_every_nth(client: httpx.Client) -> None:
    put_faults(client, {"path": "/todos", "status": 500, "every": 3})
    statuses = [client.get("/todos").status_code for _ in range(6)]
    assert statuses == [200, 200, 500, 200, 200, 500]


def test_fault_rate_is_reproducible(client: httpx.Client) -> None:
    rule = {"path": "/posts/*", "status": 502, "rate": 0.5}
    put_faults(client, rule)
    first = [client.get("/posts/1").status_code for _ in range(30)]
    put_faults(client, rule)
    second = [client.get("/posts/1").status_code for _ in range(30)]
    assert first == second
    assert set(first) == {200, 502}


def test_fault_method_filter(client: httpx.Client) -> None:
    put_faults(client, {"path": "/http/*", "method": "POST", "status": 500})
    assert client.get("/http/200").status_code == 200
    assert client.post("/http/200").status_code == 500


def test_faults_never_touch_the_control_plane(client: httpx.Client) -> None:
    put_faults(client, {"path": "*", "mode": "reset"})
    assert client.get("/__sim/health").json() == {"status": "ok"}
    assert client.get("/__sim/stats").status_code == 200


def test_fault_reset_is_a_transport_error(client: httpx.Client) -> None:
    put_faults(client, {"path": "/users/1", "mode": "reset", "times": 1})
    with pytest.raises(httpx.TransportError):
        client.get("/users/1")
    assert client.get("/users/1").status_code == 200
    assert client.get("/__sim/stats").json()["paths"]["/users/1"] == 2


@pytest.mark.parametrize("http", ["h11", "httptools"])
def test_fault_reset_under_each_http_implementation(http: str) -> None:
    with (
        BackgroundServer(create_simulator_app(), http=http) as server,
        httpx.Client(base_url=server.url, timeout=10) as client,
    ):
        put_faults(client, {"path": "/carts/*", "mode": "reset", "every": 2})
        assert client.get("/carts/1").status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/carts/1")
        assert client.get("/carts/1").status_code == 200


def test_fault_malformed(client: httpx.Client) -> None:
    put_faults(client, {"path": "/products/1", "mode": "malformed"})
    response = client.get("/products/1")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_fault_slow_body(client: httpx.Client) -> None:
    expected = client.get("/products", params={"limit": 5}).content
    put_faults(client, {"path": "/products", "mode": "slow_body", "delay_ms": 300, "chunks": 5})
    started = time.perf_counter()
    with client.stream("GET", "/products", params={"limit": 5}) as response:
        assert response.status_code == 200
        body = response.read()
    assert time.perf_counter() - started >= 0.3
    assert body == expected


def test_fault_drift_removes_ids(client: httpx.Client) -> None:
    put_faults(client, {"path": "/users*", "mode": "drift"})
    user = get_json(client, "/users/1")
    assert "id" not in user
    assert user["username"] == "emilys"
    listing = get_json(client, "/users", limit=3)
    assert listing["total"] == 208
    assert all("id" not in item and "email" in item for item in listing["users"])


# --- stats ----------------------------------------------------------------------------------------


def test_stats_per_path_and_route(client: httpx.Client) -> None:
    for path in ("/users/1", "/users/1", "/users/2", "/products/1", "/http/404"):
        client.get(path)
    client.get("/__sim/health")
    stats = client.get("/__sim/stats").json()
    assert stats == {
        "total": 5,
        "paths": {"/users/1": 2, "/users/2": 1, "/products/1": 1, "/http/404": 1},
        "routes": {"/users/{id}": 3, "/products/{id}": 1, "/http/{code}": 1},
        "rateLimited": 0,
        "pictureBytes": 0,
    }
    assert client.delete("/__sim/stats").status_code == 204
    assert client.get("/__sim/stats").json() == {
        "total": 0,
        "paths": {},
        "routes": {},
        "rateLimited": 0,
        "pictureBytes": 0,
    }


# --- instances and the background server ----------------------------------------------------------


def test_instances_do_not_share_state() -> None:
    first, second = create_simulator_app(), create_simulator_app(seed=7)
    assert first.state.simulator is not second.state.simulator
    assert first.state.simulator.faults is not second.state.simulator.faults
    assert first.state.simulator.data.users[1] != second.state.simulator.data.users[1]
    assert create_simulator_app().state.simulator.data == first.state.simulator.data


def test_fixed_delay_applies_to_data_routes() -> None:
    app = create_simulator_app(delay_ms=150)
    with BackgroundServer(app) as server, httpx.Client(base_url=server.url) as client:
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.port > 0
        started = time.perf_counter()
        assert client.get("/quotes/1").status_code == 200
        assert time.perf_counter() - started >= 0.15
        assert client.get("/__sim/health").status_code == 200


# --- rate limit ----------------------------------------------------------------------------------


def test_rate_limit_mode_behaves_like_express_rate_limit() -> None:
    clock = ManualClock()
    app = create_simulator_app(rate_limit=RateLimit(limit=3, window_s=10), clock=clock)
    with BackgroundServer(app) as server, httpx.Client(base_url=server.url) as http:
        answers = [http.get("/products/1") for _ in range(4)]

        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert {a.headers["x-ratelimit-limit"] for a in answers} == {"3"}
        reset = int(answers[0].headers["x-ratelimit-reset"])
        assert time.time() < reset <= time.time() + 11
        limited = answers[-1]
        assert limited.headers["retry-after"] == "10"
        assert limited.json() == {"message": "request limit exceeded, please wait a few seconds"}
        assert http.get("/__sim/stats").json()["rateLimited"] == 1
        assert http.get("/__sim/health").status_code == 200, "the control plane is never limited"

        clock.advance(10)

        fresh = http.get("/products/1")
        assert fresh.status_code == 200
        assert fresh.headers["x-ratelimit-remaining"] == "2"


def test_rate_limit_is_switched_by_the_control_api(client: httpx.Client) -> None:
    assert client.get("/__sim/rate-limit").json() is None
    assert "x-ratelimit-limit" not in client.get("/products/1").headers

    put = client.put("/__sim/rate-limit", json={"limit": 100, "window_s": 10})
    assert put.json() == {"limit": 100, "window_s": 10.0}
    try:
        assert client.get("/products/1").headers["x-ratelimit-limit"] == "100"
        bad = client.put("/__sim/rate-limit", json={"limit": 0})
        assert bad.status_code == 400
        assert "limit" in bad.json()["message"]
    finally:
        client.delete("/__sim/rate-limit").raise_for_status()
    assert "x-ratelimit-limit" not in client.get("/products/1").headers
