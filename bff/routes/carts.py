"""The cart screen: a cart, its owner, and each line enriched with the product's current data."""

from __future__ import annotations

from fastapi import APIRouter

from bff.deps import Client, SettingsDep
from bff.fanout import Sections, fetch_each, gather
from bff.http_caching import ScreenRoute
from bff.routes.params import SCREEN, CartId
from clients import CartsClient, DownstreamError, ProductsClient, UsersClient
from schemas.responses import CartLine, CartScreen, CartSummary, ProductSummary, UserSummary

router = APIRouter(prefix="/v1", tags=["carts"], route_class=ScreenRoute)


@router.get("/carts/{cart_id}", responses=SCREEN)
async def get_cart(
    cart_id: CartId,
    carts: Client[CartsClient],
    users: Client[UsersClient],
    products: Client[ProductsClient],
    settings: SettingsDep,
) -> CartScreen:
    """A cart page. The cart is required; its owner and the products' current data are
    optional. Products are fetched once per distinct id, a bounded number at a time."""
    sections = Sections("cart", "owner", "products")
    cart = await sections.required("cart", carts.get(cart_id))
    owner, current = await gather(
        sections.optional("owner", users.get(cart.user_id)),
        sections.assemble(
            "products",
            fetch_each(
                (line.id for line in cart.products),
                products.get,
                concurrency=settings.fanout_concurrency,
            ),
        ),
    )
    failures = [result for result in current.values() if isinstance(result, DownstreamError)]
    if failures:
        sections.fail(
            "products",
            failures[0],
            detail=f"{len(failures)} of {len(current)} products could not be fetched",
        )
    else:
        sections.ok("products")
    lines = []
    for line in cart.products:
        product = current[line.id]
        summary = None if isinstance(product, DownstreamError) else product
        lines.append(
            CartLine.from_downstream(
                line, ProductSummary.from_downstream(summary) if summary else None
            )
        )
    return CartScreen(
        cart=CartSummary.from_downstream(cart),
        owner=UserSummary.from_downstream(owner) if owner else None,
        lines=lines,
        meta=sections.meta(),
    )
