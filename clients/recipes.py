"""Client of the recipes service."""

from clients import params
from clients.base import ServiceClient
from schemas.downstream import Recipe, RecipeList


class RecipesClient(ServiceClient):
    service = "recipes"

    async def get(self, recipe_id: int) -> Recipe:
        return await self._get("get", f"/recipes/{recipe_id:d}", Recipe)

    async def search(self, q: str, *, limit: int = 30, skip: int = 0) -> RecipeList:
        query = params.search(q, limit, skip)
        return await self._get("search", "/recipes/search", RecipeList, params=query)
