"""Payloads exactly as the DummyJSON-compatible downstream serves them (see
docs/reference/downstream.md)."""

from schemas.downstream.auth import LoginResult, TokenPair
from schemas.downstream.base import DownstreamModel, Page
from schemas.downstream.carts import Cart, CartList, CartProduct
from schemas.downstream.posts import Comment, CommentList, CommentUser, Post, PostList, Reactions
from schemas.downstream.products import (
    Category,
    Dimensions,
    Product,
    ProductList,
    ProductMeta,
    Review,
)
from schemas.downstream.quotes import Quote, QuoteList
from schemas.downstream.recipes import Recipe, RecipeList
from schemas.downstream.todos import Todo, TodoList
from schemas.downstream.users import (
    Address,
    Bank,
    Company,
    Coordinates,
    Crypto,
    Hair,
    User,
    UserList,
)

__all__ = [
    "Address",
    "Bank",
    "Cart",
    "CartList",
    "CartProduct",
    "Category",
    "Comment",
    "CommentList",
    "CommentUser",
    "Company",
    "Coordinates",
    "Crypto",
    "Dimensions",
    "DownstreamModel",
    "Hair",
    "LoginResult",
    "Page",
    "Post",
    "PostList",
    "Product",
    "ProductList",
    "ProductMeta",
    "Quote",
    "QuoteList",
    "Reactions",
    "Recipe",
    "RecipeList",
    "Review",
    "Todo",
    "TodoList",
    "TokenPair",
    "User",
    "UserList",
]
