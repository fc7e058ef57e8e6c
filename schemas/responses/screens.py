"""One response model per screen: everything a page needs, in one round trip.

A field that comes from an optional section is nullable: null means "could not be fetched",
and ``meta.sections`` says why. An empty list means the downstream had nothing.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import ConfigDict, Field

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

# --- examples for the docs page and generated clients (each is validated by a contract test) ---

_USER_CARD: dict[str, Any] = {
    "id": 1,
    "username": "emilys",
    "fullName": "Emily Johnson",
    "image": "https://dummyjson.com/icon/emilys/128",
}
_PUBLIC_USER: dict[str, Any] = {
    "id": 1,
    "username": "emilys",
    "firstName": "Emily",
    "lastName": "Johnson",
    "email": "emily.johnson@x.dummyjson.com",
    "phone": "+81 965-431-3024",
    "image": "https://dummyjson.com/icon/emilys/128",
    "age": 28,
    "gender": "female",
    "birthDate": "1996-5-30",
    "role": "admin",
    "location": {"city": "Phoenix", "state": "Mississippi", "country": "United States"},
    "company": {"name": "Dooley LLC", "title": "Manager", "department": "Engineering"},
}
_CART: dict[str, Any] = {
    "id": 1,
    "userId": 1,
    "total": 179.96,
    "discountedTotal": 159.32,
    "totalProducts": 1,
    "totalQuantity": 4,
}
_POST: dict[str, Any] = {
    "id": 1,
    "title": "His mother had always taught him",
    "body": "His mother had always taught him not to ever think of himself as better than others.",
    "tags": ["history", "american"],
    "likes": 192,
    "dislikes": 25,
    "views": 305,
    "userId": 1,
}
_TODO: dict[str, Any] = {
    "id": 1,
    "todo": "Do something nice for someone you care about",
    "completed": False,
}
_PRODUCT_CARD: dict[str, Any] = {
    "id": 1,
    "title": "Essence Mascara Lash Princess",
    "category": "beauty",
    "price": 9.99,
    "discountPercentage": 7.17,
    "rating": 4.94,
    "stock": 5,
    "brand": "Essence",
    "availabilityStatus": "Low Stock",
    "thumbnail": "https://cdn.dummyjson.com/products/images/beauty/thumbnail.png",
}
_UNBRANDED_CARD: dict[str, Any] = {
    "id": 5,
    "title": "Red Nail Polish",
    "category": "beauty",
    "price": 8.99,
    "discountPercentage": 2.46,
    "rating": 4.32,
    "stock": 79,
    "brand": None,
    "availabilityStatus": "In Stock",
    "thumbnail": "https://cdn.dummyjson.com/products/images/beauty/red-nail-polish.png",
}


def _ok(*sections: str) -> dict[str, Any]:
    return {"partial": False, "sections": {name: {"status": "ok"} for name in sections}}


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class ProfileScreen(ResponseModel):
    """A user's profile page: who they are, their carts, posts and todos."""

    model_config = _examples(
        {
            "user": _PUBLIC_USER,
            "carts": [_CART],
            "posts": None,
            "todos": [_TODO],
            "meta": {
                "partial": True,
                "sections": {
                    "user": {"status": "ok"},
                    "carts": {"status": "ok"},
                    "posts": {
                        "status": "unavailable",
                        "downstream": "users",
                        "httpStatus": 503,
                        "attempts": 3,
                        "retryable": True,
                        "detail": "downstream answered 503 Service Unavailable",
                    },
                    "todos": {"status": "ok"},
                },
            },
        }
    )

    user: PublicUser
    carts: list[CartSummary] | None = Field(description="Null if the carts could not be fetched.")
    posts: list[PostSummary] | None = Field(description="Null if the posts could not be fetched.")
    todos: list[TodoItem] | None = Field(description="Null if the todos could not be fetched.")
    meta: Meta


class CartScreen(ResponseModel):
    """A cart page: totals, owner, and every line with the product's current data."""

    model_config = _examples(
        {
            "cart": _CART,
            "owner": _USER_CARD,
            "lines": [
                {
                    "productId": 1,
                    "title": "Essence Mascara Lash Princess",
                    "price": 44.99,
                    "quantity": 4,
                    "total": 179.96,
                    "discountedTotal": 159.32,
                    "thumbnail": _PRODUCT_CARD["thumbnail"],
                    "product": _PRODUCT_CARD,
                }
            ],
            "meta": _ok("cart", "owner", "products"),
        }
    )

    cart: CartSummary
    owner: UserSummary | None = Field(description="Null if the owner could not be fetched.")
    lines: list[CartLine] = Field(description="One per product in the cart, in cart order.")
    meta: Meta


class PostScreen(ResponseModel):
    """A post page: the post, its author and its comments."""

    model_config = _examples(
        {
            "post": _POST,
            "author": _USER_CARD,
            "comments": [
                {
                    "id": 1,
                    "body": "This is some awesome thinking!",
                    "likes": 3,
                    "user": {"id": 105, "username": "emmac", "fullName": "Emma Wilson"},
                }
            ],
            "meta": _ok("post", "author", "comments"),
        }
    )

    post: PostSummary = Field(description="The post itself.")
    author: UserSummary | None = Field(description="Null if the author could not be fetched.")
    comments: list[CommentItem] | None = Field(
        description="Null if the comments could not be fetched."
    )
    meta: Meta


class ProductScreen(ResponseModel):
    """A product page: the product and others from its category."""

    model_config = _examples(
        {
            "product": {
                **_PRODUCT_CARD,
                "description": "A popular mascara for volume and length.",
                "tags": ["beauty", "mascara"],
                "images": ["https://cdn.dummyjson.com/products/images/beauty/1.png"],
                "sku": "RCH45Q1A",
                "warrantyInformation": "1 month warranty",
                "shippingInformation": "Ships in 1 month",
                "returnPolicy": "30 days return policy",
                "minimumOrderQuantity": 24,
                "reviews": [
                    {
                        "rating": 5,
                        "comment": "Very satisfied!",
                        "date": "2024-05-23T08:56:21.618Z",
                        "reviewerName": "Scarlett Wright",
                    }
                ],
            },
            "related": [_UNBRANDED_CARD],
            "meta": _ok("product", "related"),
        }
    )

    product: ProductDetail
    related: list[ProductSummary] | None = Field(
        description="Other products of the same category; null if they could not be fetched."
    )
    meta: Meta


class HomeScreen(ResponseModel):
    """The home page: categories, best-rated products, a quote and the latest posts."""

    model_config = _examples(
        {
            "categories": [{"slug": "beauty", "name": "Beauty"}],
            "topRated": [_PRODUCT_CARD, _UNBRANDED_CARD],
            "quote": {"id": 1, "quote": "Your heart is the size of an ocean.", "author": "Rumi"},
            "latestPosts": [_POST],
            "meta": _ok("categories", "top_rated", "quote", "latest_posts"),
        }
    )

    categories: list[CategoryItem] | None = Field(
        description="Every category; null if they could not be fetched."
    )
    top_rated: list[ProductSummary] | None = Field(
        description="Best-rated products first; null if they could not be fetched."
    )
    quote: QuoteItem | None = Field(description="A random quote; null if it could not be fetched.")
    latest_posts: list[PostSummary] | None = Field(
        description="Newest posts first; null if they could not be fetched."
    )
    meta: Meta


class Hits(ResponseModel, Generic[ItemT]):
    """One kind of search result."""

    total: int = Field(description="Matches in all, of which `items` is the first page.")
    items: list[ItemT] = Field(description="The first matches, at most `limit` of them.")


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

    model_config = _examples(
        {
            "query": "mascara",
            "products": {"total": 1, "items": [_PRODUCT_CARD]},
            "users": {"total": 0, "items": []},
            "posts": {"total": 0, "items": []},
            "recipes": None,
            "meta": {
                "partial": True,
                "sections": {
                    "products": {"status": "ok"},
                    "users": {"status": "ok"},
                    "posts": {"status": "ok"},
                    "recipes": {
                        "status": "timeout",
                        "downstream": "recipes",
                        "attempts": 2,
                        "retryable": True,
                        "detail": "no answer within 5s",
                    },
                },
            },
        }
    )

    query: str = Field(description="The text searched for, trimmed.", examples=["mascara"])
    products: ProductHits | None = Field(description="Null if products could not be searched.")
    users: UserHits | None = Field(description="Null if users could not be searched.")
    posts: PostHits | None = Field(description="Null if posts could not be searched.")
    recipes: RecipeHits | None = Field(description="Null if recipes could not be searched.")
    meta: Meta


class MeScreen(ResponseModel):
    """The signed-in user's own page: their profile, carts and todos."""

    model_config = _examples(
        {
            "user": _PUBLIC_USER,
            "carts": [_CART],
            "todos": [_TODO],
            "meta": _ok("user", "carts", "todos"),
        }
    )

    user: PublicUser
    carts: list[CartSummary] | None = Field(description="Null if the carts could not be fetched.")
    todos: list[TodoItem] | None = Field(description="Null if the todos could not be fetched.")
    meta: Meta
