"""CartsClient: the requests it sends and what it decodes them into."""

import pytest
import respx

from clients import Downstreams
from schemas.downstream import Cart, CartList

pytestmark = pytest.mark.anyio

CART = {
    "id": 1,
    "userId": 33,
    "total": 179.96,
    "discountedTotal": 159.32,
    "totalProducts": 1,
    "totalQuantity": 4,
    "products": [
        {
            "id": 144,
            "title": "Cricket Helmet",
            "price": 44.99,
            "quantity": 4,
            "total": 179.96,
            "discountPercentage": 11.47,
            "discountedTotal": 159.32,
        }
    ],
}


async def test_get(router: respx.Router, downstreams: Downstreams) -> None:
    router.get("/carts/1").respond(200, json=CART)
    cart = await downstreams.carts.get(1)
    assert isinstance(cart, Cart)
    assert (cart.user_id, cart.products[0].quantity) == (33, 4)


async def test_by_user(router: respx.Router, downstreams: Downstreams) -> None:
    body = {"carts": [CART], "total": 1, "skip": 0, "limit": 1}
    route = router.get("/carts/user/33").respond(200, json=body)
    carts = await downstreams.carts.by_user(33, limit=10, skip=0)
    assert isinstance(carts, CartList)
    assert carts.carts[0].discounted_total == 159.32
    assert dict(route.calls.last.request.url.params) == {"limit": "10", "skip": "0"}
