"""Client of the products service."""

import builtins
import re
from collections.abc import Awaitable
from urllib.parse import quote

from pydantic import TypeAdapter

from clients import params
from clients.base import Refused, ServiceClient
from clients.errors import BadRequest
from schemas.downstream import Category, Product, ProductList

_CATEGORIES = TypeAdapter(list[Category])
_CATEGORY_SLUGS = TypeAdapter(list[str])
# Slugs come from frontends and go into the path: letters, digits, "_" and "-" only, so no "/",
# "." or ".." can change which route is called.
_SLUG = re.compile(r"[\w-]+")


class ProductsClient(ServiceClient):
    service = "products"

    def get(self, product_id: int) -> Awaitable[Product]:
        return self._get("get", f"/products/{product_id:d}", Product)

    def list(
        self,
        *,
        limit: int = 30,
        skip: int = 0,
        sort_by: str | None = None,
        order: params.Order | None = None,
    ) -> Awaitable[ProductList]:
        query = params.page(limit, skip, sort_by=sort_by, order=order)
        return self._get("list", "/products", ProductList, params=query)

    def search(self, q: str, *, limit: int = 30, skip: int = 0) -> Awaitable[ProductList]:
        query = params.search(q, limit, skip)
        return self._get("search", "/products/search", ProductList, params=query)

    def categories(self) -> Awaitable[builtins.list[Category]]:
        return self._get("categories", "/products/categories", _CATEGORIES)

    def category_list(self) -> Awaitable[builtins.list[str]]:
        return self._get("category_list", "/products/category-list", _CATEGORY_SLUGS)

    def by_category(self, slug: str, *, limit: int = 30, skip: int = 0) -> Awaitable[ProductList]:
        """Products of one category; an unknown (but well-formed) slug is an empty page."""
        if not _SLUG.fullmatch(slug):
            return Refused(BadRequest(self.service, "invalid category slug"))
        path = "/products/category/" + quote(slug, safe="")
        return self._get("by_category", path, ProductList, params=params.page(limit, skip))
