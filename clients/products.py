"""Client of the products service."""

import builtins
import re
from urllib.parse import quote

from pydantic import TypeAdapter

from clients import params
from clients.base import ServiceClient
from clients.errors import BadRequest
from schemas.downstream import Category, Product, ProductList

_CATEGORIES = TypeAdapter(list[Category])
_CATEGORY_SLUGS = TypeAdapter(list[str])
# Slugs come from frontends and go into the path: letters, digits, "_" and "-" only, so no "/",
# "." or ".." can change which route is called.
_SLUG = re.compile(r"[\w-]+")


class ProductsClient(ServiceClient):
    service = "products"

    async def get(self, product_id: int) -> Product:
        return await self._get("get", f"/products/{product_id:d}", Product)

    async def list(
        self,
        *,
        limit: int = 30,
        skip: int = 0,
        sort_by: str | None = None,
        order: params.Order | None = None,
    ) -> ProductList:
        query = params.page(limit, skip, sort_by=sort_by, order=order)
        return await self._get("list", "/products", ProductList, params=query)

    async def search(self, q: str, *, limit: int = 30, skip: int = 0) -> ProductList:
        query = params.search(q, limit, skip)
        return await self._get("search", "/products/search", ProductList, params=query)

    async def categories(self) -> builtins.list[Category]:
        return await self._get("categories", "/products/categories", _CATEGORIES)

    async def category_list(self) -> builtins.list[str]:
        return await self._get("category_list", "/products/category-list", _CATEGORY_SLUGS)

    async def by_category(self, slug: str, *, limit: int = 30, skip: int = 0) -> ProductList:
        """Products of one category; an unknown (but well-formed) slug is an empty page."""
        if not _SLUG.fullmatch(slug):
            raise BadRequest(self.service, "invalid category slug")
        path = "/products/category/" + quote(slug, safe="")
        return await self._get("by_category", path, ProductList, params=params.page(limit, skip))
