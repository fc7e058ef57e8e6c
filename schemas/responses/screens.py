"""One response model per screen: everything a page needs, in one round trip.

A field that comes from an optional section is nullable: null means "could not be fetched",
and ``meta.sections`` says why. An empty list means the downstream had nothing.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import Field

from schemas.responses.base import ResponseModel
from schemas.responses.catalog import CategoryItem, ProductDetail, ProductSummary, RecipeSummary
from schemas.responses.content import (
    CartLine,
    CartSummary,
    CommentItem,
    PostSummary,
    QuoteItem,
    TodoItem,
)
from schemas.responses.meta import Meta
from schemas.responses.users import PublicUser, UserSummary

ItemT = TypeVar("ItemT", bound=ResponseModel)


class ProfileScreen(ResponseModel):
    """A user's profile page: who they are, their carts, posts and todos."""

    user: PublicUser
    carts: list[CartSummary] | None = Field(description="Null if the carts could not be fetched.")
    posts: list[PostSummary] | None = Field(description="Null if the posts could not be fetched.")
    todos: list[TodoItem] | None = Field(description="Null if the todos could not be fetched.")
    meta: Meta


class CartScreen(ResponseModel):
    """A cart page: totals, owner, and every line with the product's current data."""

    cart: CartSummary
    owner: UserSummary | None = Field(description="Null if the owner could not be fetched.")
    lines: list[CartLine]
    meta: Meta


class PostScreen(ResponseModel):
    """A post page: the post, its author and its comments."""

    post: PostSummary
    author: UserSummary | None = Field(description="Null if the author could not be fetched.")
    comments: list[CommentItem] | None = Field(
        description="Null if the comments could not be fetched."
    )
    meta: Meta


class ProductScreen(ResponseModel):
    """A product page: the product and others from its category."""

    product: ProductDetail
    related: list[ProductSummary] | None = Field(
        description="Other products of the same category; null if they could not be fetched."
    )
    meta: Meta


class HomeScreen(ResponseModel):
    """The home page: categories, best-rated products, a quote and the latest posts."""

    categories: list[CategoryItem] | None
    top_rated: list[ProductSummary] | None
    quote: QuoteItem | None
    latest_posts: list[PostSummary] | None
    meta: Meta


class Hits(ResponseModel, Generic[ItemT]):
    """One kind of search result."""

    total: int = Field(description="Matches in all, of which `items` is the first page.")
    items: list[ItemT]


class ProductHits(Hits[ProductSummary]):
    """Products whose title or description matches."""


class UserHits(Hits[UserSummary]):
    """Users whose name, e-mail or username matches."""


class PostHits(Hits[PostSummary]):
    """Posts whose title or body matches."""


class RecipeHits(Hits[RecipeSummary]):
    """Recipes whose name matches."""


class SearchScreen(ResponseModel):
    """Search across products, users, posts and recipes at once."""

    query: str
    products: ProductHits | None
    users: UserHits | None
    posts: PostHits | None
    recipes: RecipeHits | None
    meta: Meta


class MeScreen(ResponseModel):
    """The signed-in user's own page: their profile, carts and todos."""

    user: PublicUser
    carts: list[CartSummary] | None
    todos: list[TodoItem] | None
    meta: Meta
