"""The cart, post, product, home and search screens against the real simulator."""

from __future__ import annotations

import httpx
import pytest
from support import Simulator, assert_complete, assert_no_sensitive_fields, assert_problem

pytestmark = pytest.mark.integration


def test_cart_lines_carry_current_product_data(bff: httpx.Client, sim: Simulator) -> None:
    cart = sim.control.get("/carts/1").json()
    distinct_products = {line["id"] for line in cart["products"]}
    sim.clear()

    response = bff.get("/v1/carts/1")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cart"]["id"] == 1
    assert body["owner"]["id"] == cart["userId"]
    assert [line["productId"] for line in body["lines"]] == [p["id"] for p in cart["products"]]
    for line in body["lines"]:
        assert line["product"]["id"] == line["productId"]
    assert_complete(body)
    assert_no_sensitive_fields(body)
    assert sim.route_count("/products/{id}") == len(distinct_products)


def test_cart_product_failures_are_partial_per_line(bff: httpx.Client, sim: Simulator) -> None:
    cart = sim.control.get("/carts/1").json()
    failing = cart["products"][0]["id"]
    sim.faults({"path": f"/products/{failing}", "mode": "status", "status": 503})

    response = bff.get("/v1/carts/1")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["meta"]["partial"] is True
    products = body["meta"]["sections"]["products"]
    assert products["status"] == "unavailable"
    assert (
        products["detail"]
        == f"1 of {len({p['id'] for p in cart['products']})} products could not be fetched"
    )
    for line in body["lines"]:
        assert (line["product"] is None) == (line["productId"] == failing)


def test_unknown_cart_is_404(bff: httpx.Client) -> None:
    assert_problem(bff.get("/v1/carts/9999"), 404)


def test_post_screen_chains_post_then_author_and_comments(
    bff: httpx.Client, sim: Simulator
) -> None:
    response = bff.get("/v1/posts/1")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["post"]["id"] == 1
    assert body["author"]["id"] == body["post"]["userId"]
    assert isinstance(body["comments"], list)
    assert_complete(body)
    assert_no_sensitive_fields(body)
    routes = sim.stats()["routes"]
    assert routes["/posts/{id}"] == 1
    assert routes["/users/{id}"] == 1
    assert routes["/posts/{id}/comments"] == 1


def test_post_screen_skips_nothing_when_the_post_is_missing(
    bff: httpx.Client, sim: Simulator
) -> None:
    assert_problem(bff.get("/v1/posts/99999"), 404)

    assert sim.route_count("/users/{id}") == 0, "no author lookup without a post"


def test_product_screen_shows_related_products_of_its_category(bff: httpx.Client) -> None:
    response = bff.get("/v1/products/1")

    assert response.status_code == 200, response.text
    body = response.json()
    product = body["product"]
    assert product["id"] == 1
    assert 0 < len(body["related"]) <= 4
    for related in body["related"]:
        assert related["category"] == product["category"]
        assert related["id"] != 1
    assert_complete(body)
    for review in product["reviews"]:
        assert "reviewerEmail" not in review


def test_product_screen_with_related_failing_is_partial(bff: httpx.Client, sim: Simulator) -> None:
    sim.faults({"path": "/products/category/*", "mode": "malformed"})

    body = bff.get("/v1/products/1").json()

    assert body["related"] is None
    assert body["meta"]["sections"]["related"]["status"] == "bad_response"
    assert body["meta"]["partial"] is True


def test_unknown_product_is_404(bff: httpx.Client) -> None:
    assert_problem(bff.get("/v1/products/99999"), 404)


def test_home_screen_has_four_sections(bff: httpx.Client, sim: Simulator) -> None:
    response = bff.get("/v1/home")

    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["categories"]) >= 10
    ratings = [product["rating"] for product in body["topRated"]]
    assert ratings == sorted(ratings, reverse=True)
    assert body["quote"]["quote"]
    ids = [post["id"] for post in body["latestPosts"]]
    assert ids == sorted(ids, reverse=True)
    assert_complete(body)
    assert sim.stats()["total"] == 4


def test_home_screen_survives_one_failing_section(bff: httpx.Client, sim: Simulator) -> None:
    sim.faults({"path": "/quotes/*", "mode": "status", "status": 500})

    body = bff.get("/v1/home").json()

    assert body["quote"] is None
    assert body["categories"]
    assert body["meta"]["sections"]["quote"]["status"] == "unavailable"
    assert body["meta"]["partial"] is True


def test_home_screen_fails_when_every_section_fails(bff: httpx.Client, sim: Simulator) -> None:
    sim.faults({"path": "/*", "mode": "status", "status": 503})

    assert_problem(bff.get("/v1/home"), 502)


def test_search_merges_four_kinds(bff: httpx.Client, sim: Simulator) -> None:
    response = bff.get("/v1/search", params={"q": "a", "limit": 3})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query"] == "a"
    for kind in ("products", "users", "posts", "recipes"):
        assert body[kind]["total"] >= len(body[kind]["items"])
        assert len(body[kind]["items"]) <= 3
    assert_complete(body)
    assert_no_sensitive_fields(body)
    routes = sim.stats()["routes"]
    for route in ("/products/search", "/users/search", "/posts/search", "/recipes/search"):
        assert routes[route] == 1


@pytest.mark.parametrize(
    "params", [{}, {"q": ""}, {"q": "   "}, {"q": "x" * 101}, {"q": "a", "limit": "0"}]
)
def test_search_rejects_bad_queries(
    bff: httpx.Client, sim: Simulator, params: dict[str, str]
) -> None:
    assert_problem(bff.get("/v1/search", params=params), 422)
    assert sim.stats()["total"] == 0


def test_unknown_route_is_a_404_problem(bff: httpx.Client) -> None:
    assert_problem(bff.get("/v1/nothing-here"), 404)


def test_wrong_method_is_a_405_problem(bff: httpx.Client) -> None:
    assert_problem(bff.delete("/v1/home"), 405)
