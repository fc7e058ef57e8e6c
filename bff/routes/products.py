"""The product screen: a product, then others from its category (a chained fan-out)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from bff.deps import Client, SettingsDep
from bff.fanout import Sections
from bff.http_caching import ScreenBody, ScreenRoute, render
from bff.routes.params import SCREEN, ProductId
from clients import ProductsClient
from schemas.responses import ProductDetail, ProductScreen, ProductSummary

router = APIRouter(prefix="/v1", tags=["products"], route_class=ScreenRoute)


@router.get("/products/{product_id}", responses=SCREEN, response_model=ProductScreen)
async def get_product(
    request: Request,
    product_id: ProductId,
    products: Client[ProductsClient],
    settings: SettingsDep,
) -> ScreenBody:
    """A product page. The product is required; related products are optional."""
    sections = Sections("product", "related")
    product = await sections.required("product", products.get(product_id))
    same_category = None
    if settings.related_products:
        # One extra, because the product itself is in its category's list.
        same_category = await sections.optional(
            "related",
            products.by_category(product.category, limit=settings.related_products + 1),
        )
    else:
        sections.ok("related")
    meta = sections.meta()

    def build() -> ProductScreen:
        related = None
        if not settings.related_products:
            related = []
        elif same_category is not None:
            related = [
                ProductSummary.from_downstream(p)
                for p in same_category.products
                if p.id != product.id
            ][: settings.related_products]
        return ProductScreen(
            product=ProductDetail.from_downstream(product), related=related, meta=meta
        )

    return render(request, (product, same_category), meta, build)
