"""The home screen: categories, best-rated products, a quote and the latest posts, at once."""

from __future__ import annotations

from fastapi import APIRouter, Request

from bff.deps import Client, SettingsDep
from bff.fanout import Sections, gather
from bff.http_caching import ScreenBody, ScreenRoute, render
from bff.routes.params import SCREEN_FAILURES
from clients import PostsClient, ProductsClient, QuotesClient
from schemas.responses import CategoryItem, HomeScreen, PostSummary, ProductSummary, QuoteItem

router = APIRouter(prefix="/v1", tags=["home"], route_class=ScreenRoute)


@router.get("/home", responses=SCREEN_FAILURES, response_model=HomeScreen)
async def get_home(
    request: Request,
    products: Client[ProductsClient],
    posts: Client[PostsClient],
    quotes: Client[QuotesClient],
    settings: SettingsDep,
) -> ScreenBody:
    """The home page. Every section is optional; the request fails only if all of them do."""
    n = settings.home_items
    sections = Sections("categories", "top_rated", "quote", "latest_posts")
    categories, top_rated, quote, latest = await gather(
        sections.optional("categories", products.categories()),
        sections.optional("top_rated", products.list(limit=n, sort_by="rating", order="desc")),
        sections.optional("quote", quotes.random()),
        sections.optional("latest_posts", posts.list(limit=n, sort_by="id", order="desc")),
    )
    sections.raise_if_all_failed()
    meta = sections.meta()
    return render(
        request,
        (categories, top_rated, quote, latest),
        meta,
        lambda: HomeScreen(
            categories=[CategoryItem.from_downstream(c) for c in categories]
            if categories
            else None,
            top_rated=[ProductSummary.from_downstream(p) for p in top_rated.products]
            if top_rated
            else None,
            quote=QuoteItem.from_downstream(quote) if quote else None,
            latest_posts=[PostSummary.from_downstream(p) for p in latest.posts] if latest else None,
            meta=meta,
        ),
    )
