"""What the BFF returns to frontends: strict, documented, with no sensitive field."""

from schemas.responses.admin import CachePurgeRequest, CachePurgeResult
from schemas.responses.auth import LoginRequest, LoginResponse, RefreshRequest, TokenPairResponse
from schemas.responses.catalog import CategoryItem, ProductDetail, ProductSummary, RecipeSummary
from schemas.responses.content import (
    CartLine,
    CartSummary,
    CommentItem,
    PostSummary,
    QuoteItem,
    TodoItem,
)
from schemas.responses.meta import Meta, SectionStatus, SectionStatusName
from schemas.responses.problem import FieldError, Problem
from schemas.responses.screens import (
    CartScreen,
    Hits,
    HomeScreen,
    MeScreen,
    PostHits,
    PostScreen,
    ProductHits,
    ProductScreen,
    ProfileScreen,
    RecipeHits,
    SearchScreen,
    UserHits,
)
from schemas.responses.users import PublicUser, UserSummary

__all__ = [
    "CachePurgeRequest",
    "CachePurgeResult",
    "CartLine",
    "CartScreen",
    "CartSummary",
    "CategoryItem",
    "CommentItem",
    "FieldError",
    "Hits",
    "HomeScreen",
    "LoginRequest",
    "LoginResponse",
    "MeScreen",
    "Meta",
    "PostHits",
    "PostScreen",
    "PostSummary",
    "Problem",
    "ProductDetail",
    "ProductHits",
    "ProductScreen",
    "ProductSummary",
    "ProfileScreen",
    "PublicUser",
    "QuoteItem",
    "RecipeHits",
    "RecipeSummary",
    "RefreshRequest",
    "SearchScreen",
    "SectionStatus",
    "SectionStatusName",
    "TodoItem",
    "TokenPairResponse",
    "UserHits",
    "UserSummary",
]
