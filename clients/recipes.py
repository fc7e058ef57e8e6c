"""Client of the recipes service."""

from collections.abc import Awaitable

from clients import params
from clients.base import ServiceClient
from schemas.downstream import Recipe, RecipeList


class RecipesClient(ServiceClient):
    service = "recipes"

    def get(self, recipe_id: int) -> Awaitable[Recipe]:
        return self._get("get", f"/recipes/{recipe_id:d}", Recipe)

    def search(self, q: str, *, limit: int = 30, skip: int = 0) -> Awaitable[RecipeList]:
        query = params.search(q, limit, skip)
        return self._get("search", "/recipes/search", RecipeList, params=query)
