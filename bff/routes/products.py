"""The product screen: a product, then others from its category (a chained fan-out)."""

from __future__ import annotations

from fastapi import APIRouter

from bff.deps import Client, SettingsDep
from bff.fanout import Sections
from bff.http_caching import ScreenRoute
from bff.routes.params import SCREEN, ProductId
from clients import ProductsClient
from schemas.responses import ProductDetail, ProductScreen, ProductSummary

router = APIRouter(prefix="/v1", tags=["products"], route_class=ScreenRoute)


@router.get("/products/{product_id}", responses=SCREEN)
async def get_product(
    product_id: ProductId, products: Client[ProductsClient], settings: SettingsDep
) -> ProductScreen:
    """A product page. The product is required; related products are optional."""
    sections = Sections("product", "related")
    product = await sections.required("product", products.get(product_id))
    related = None
    if settings.related_products:
        # One extra, because the product itself is in its category's list.
        same_category = await sections.optional(
            "related",
            products.by_category(product.category, limit=settings.related_products + 1),
        )
        if same_category is not None:
            related = [
                ProductSummary.from_downstream(p)
                for p in same_category.products
                if p.id != product.id
            ][: settings.related_products]
    else:
        sections.ok("related")
        related = []
    return ProductScreen(
        product=ProductDetail.from_downstream(product), related=related, meta=sections.meta()
    )
