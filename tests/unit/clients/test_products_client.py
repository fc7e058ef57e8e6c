"""ProductsClient: the requests it sends and what it decodes them into."""

import pytest
import respx

from clients import BadRequest, Downstreams
from schemas.downstream import Category, Product, ProductList

pytestmark = pytest.mark.anyio

PRODUCT = {"id": 1, "title": "Essence Mascara", "price": 9.99, "category": "beauty"}
BRANDLESS = {"id": 2, "title": "Lipstick", "price": 10, "category": "beauty", "rating": 5}


def page(items: list[object]) -> dict[str, object]:
    return {"products": items, "total": 194, "skip": 0, "limit": len(items)}


async def test_get(router: respx.Router, downstreams: Downstreams) -> None:
    router.get("/products/1").respond(200, json=PRODUCT)
    product = await downstreams.products.get(1)
    assert isinstance(product, Product)
    assert (product.title, product.price, product.brand) == ("Essence Mascara", 9.99, None)


async def test_list(router: respx.Router, downstreams: Downstreams) -> None:
    route = router.get("/products").respond(200, json=page([PRODUCT, BRANDLESS]))
    products = await downstreams.products.list(limit=2, sort_by="price", order="asc")
    assert isinstance(products, ProductList)
    assert [p.price for p in products.products] == [9.99, 10.0]
    assert dict(route.calls.last.request.url.params) == {
        "limit": "2",
        "skip": "0",
        "sortBy": "price",
        "order": "asc",
    }


async def test_search(router: respx.Router, downstreams: Downstreams) -> None:
    route = router.get("/products/search").respond(200, json=page([PRODUCT]))
    await downstreams.products.search("mascara", skip=4)
    assert dict(route.calls.last.request.url.params) == {"q": "mascara", "limit": "30", "skip": "4"}


async def test_categories(router: respx.Router, downstreams: Downstreams) -> None:
    payload = [
        {
            "slug": "beauty",
            "name": "Beauty",
            "url": "https://dummyjson.com/products/category/beauty",
        },
        {"slug": "fragrances", "name": "Fragrances", "url": "https://x.test/fragrances"},
    ]
    router.get("/products/categories").respond(200, json=payload)
    categories = await downstreams.products.categories()
    assert all(isinstance(c, Category) for c in categories)
    assert [c.slug for c in categories] == ["beauty", "fragrances"]


async def test_category_list(router: respx.Router, downstreams: Downstreams) -> None:
    router.get("/products/category-list").respond(200, json=["beauty", "fragrances"])
    assert await downstreams.products.category_list() == ["beauty", "fragrances"]


async def test_by_category(router: respx.Router, downstreams: Downstreams) -> None:
    route = router.get("/products/category/home-decoration").respond(200, json=page([]))
    products = await downstreams.products.by_category("home-decoration", limit=5)
    assert products.products == []
    assert dict(route.calls.last.request.url.params) == {"limit": "5", "skip": "0"}


@pytest.mark.parametrize("slug", ["", "..", ".", "a/b", "../users", "a?b", "a b", "%2e%2e"])
async def test_by_category_refuses_slugs_that_change_the_route(
    router: respx.Router, downstreams: Downstreams, slug: str
) -> None:
    with pytest.raises(BadRequest) as info:
        await downstreams.products.by_category(slug)
    assert info.value.service == "products"
    assert router.calls.call_count == 0
