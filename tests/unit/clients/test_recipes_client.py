"""RecipesClient: the requests it sends and what it decodes them into."""

import pytest
import respx

from clients import Downstreams
from schemas.downstream import Recipe, RecipeList

pytestmark = pytest.mark.anyio

RECIPE = {
    "id": 1,
    "name": "Classic Margherita Pizza",
    "userId": 166,
    "ingredients": ["Pizza dough"],
    "rating": 5,
    "mealType": ["Dinner"],
}


async def test_get(router: respx.Router, downstreams: Downstreams) -> None:
    router.get("/recipes/1").respond(200, json=RECIPE)
    recipe = await downstreams.recipes.get(1)
    assert isinstance(recipe, Recipe)
    assert (recipe.name, recipe.rating, recipe.instructions) == (RECIPE["name"], 5.0, [])


async def test_search(router: respx.Router, downstreams: Downstreams) -> None:
    body = {"recipes": [RECIPE], "total": 1, "skip": 0, "limit": 1}
    route = router.get("/recipes/search").respond(200, json=body)
    recipes = await downstreams.recipes.search("pizza", limit=1)
    assert isinstance(recipes, RecipeList)
    assert recipes.recipes[0].meal_type == ["Dinner"]
    assert dict(route.calls.last.request.url.params) == {"q": "pizza", "limit": "1", "skip": "0"}
