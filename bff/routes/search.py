"""The search screen: products, users, posts and recipes searched at once, merged."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AfterValidator, WithJsonSchema

from bff.deps import Client, SettingsDep
from bff.fanout import Sections, gather
from bff.http_caching import ScreenRoute
from bff.routes.params import SCREEN_FAILURES
from clients import PostsClient, ProductsClient, RecipesClient, UsersClient
from schemas.responses import (
    PostHits,
    PostSummary,
    ProductHits,
    ProductSummary,
    RecipeHits,
    RecipeSummary,
    SearchScreen,
    UserHits,
    UserSummary,
)

router = APIRouter(prefix="/v1", tags=["search"], route_class=ScreenRoute)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def no_control_characters(text: str) -> str:
    """A NUL, a line break or an escape is never search text, and would travel on to every
    downstream. A validator rather than a tighter ``pattern`` in the contract: no frontend sends
    them, and the contract's breaking-change guard rightly cannot prove a new regex looser."""
    if _CONTROL.search(text):
        raise ValueError("must not contain control characters")
    return text


SearchText = Annotated[
    str,
    Query(
        min_length=1,
        max_length=100,
        pattern=r"\S",
        description="Case-insensitive text to look for; must not be blank nor hold control "
        "characters (422).",
        examples=["phone"],
    ),
    AfterValidator(no_control_characters),
]
PerKind = Annotated[
    int | None,
    # A query parameter is left out, never null: the spec says integer, without a default.
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 30}),
    Query(
        ge=1,
        le=30,
        description="Results per kind; when left out, the `BFF_SEARCH_LIMIT` setting (5 unless "
        "configured).",
    ),
]


@router.get("/search", responses=SCREEN_FAILURES)
async def search(
    q: SearchText,
    products: Client[ProductsClient],
    users: Client[UsersClient],
    posts: Client[PostsClient],
    recipes: Client[RecipesClient],
    settings: SettingsDep,
    limit: PerKind = None,
) -> SearchScreen:
    """Search everything. Each kind is optional; the request fails only if all of them do."""
    text = q.strip()
    if limit is None:
        limit = settings.search_limit
    sections = Sections("products", "users", "posts", "recipes")
    found_products, found_users, found_posts, found_recipes = await gather(
        sections.optional("products", products.search(text, limit=limit)),
        sections.optional("users", users.search(text, limit=limit)),
        sections.optional("posts", posts.search(text, limit=limit)),
        sections.optional("recipes", recipes.search(text, limit=limit)),
    )
    sections.raise_if_all_failed()
    return SearchScreen(
        query=text,
        products=ProductHits(
            total=found_products.total,
            items=[ProductSummary.from_downstream(p) for p in found_products.products],
        )
        if found_products
        else None,
        users=UserHits(
            total=found_users.total,
            items=[UserSummary.from_downstream(u) for u in found_users.users],
        )
        if found_users
        else None,
        posts=PostHits(
            total=found_posts.total,
            items=[PostSummary.from_downstream(p) for p in found_posts.posts],
        )
        if found_posts
        else None,
        recipes=RecipeHits(
            total=found_recipes.total,
            items=[RecipeSummary.from_downstream(r) for r in found_recipes.recipes],
        )
        if found_recipes
        else None,
        meta=sections.meta(),
    )
