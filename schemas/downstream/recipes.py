"""Recipe payloads."""

from pydantic import Field

from schemas.downstream.base import DownstreamModel, Page


class Recipe(DownstreamModel):
    id: int
    name: str
    user_id: int
    ingredients: list[str] = Field(default_factory=list)
    instructions: list[str] = Field(default_factory=list)
    prep_time_minutes: int | None = None
    cook_time_minutes: int | None = None
    servings: int | None = None
    difficulty: str | None = None
    cuisine: str | None = None
    calories_per_serving: int | None = None
    tags: list[str] = Field(default_factory=list)
    image: str | None = None
    rating: float | None = None
    review_count: int | None = None
    meal_type: list[str] = Field(default_factory=list)


class RecipeList(Page):
    recipes: list[Recipe]
