"""FastAPI dependencies: how a route gets its typed clients and settings.

The lifespan builds the clients once and hands them over in the lifespan state; routes declare
what they need with these aliases (``users: UsersDep``) and never see how it was built, which is
what lets tests swap the transport underneath without patching anything.

They are ``async def`` although they never await: FastAPI runs a plain ``def`` dependency in
the thread pool, which costs a thread hop per dependency per request (measured: ~20% of the
BFF's CPU per screen request). And each is one level deep (the request only): FastAPI solves a
sub-dependency per request too, and its cache key per dependency (``inspect.unwrap`` of the
callable) showed as ~7% of a screen's CPU when the typed clients were read through
``DownstreamsDep``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from bff.settings import Settings
from clients import (
    AuthClient,
    CartsClient,
    Downstreams,
    PostsClient,
    ProductsClient,
    QuotesClient,
    RecipesClient,
    TodosClient,
    UsersClient,
)
from clients.cache_layer import CacheLayer
from clients.media import MediaClient


async def get_downstreams(request: Request) -> Downstreams:
    downstreams: Downstreams = request.state.downstreams
    return downstreams


async def get_media(request: Request) -> MediaClient:
    media: MediaClient = request.state.media
    return media


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_cache(request: Request) -> CacheLayer:
    cache: CacheLayer = request.state.cache
    return cache


DownstreamsDep = Annotated[Downstreams, Depends(get_downstreams)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MediaDep = Annotated[MediaClient, Depends(get_media)]
CacheDep = Annotated[CacheLayer, Depends(get_cache)]


async def _users(request: Request) -> UsersClient:
    downstreams: Downstreams = request.state.downstreams
    return downstreams.users


async def _products(request: Request) -> ProductsClient:
    downstreams: Downstreams = request.state.downstreams
    return downstreams.products


async def _carts(request: Request) -> CartsClient:
    downstreams: Downstreams = request.state.downstreams
    return downstreams.carts


async def _posts(request: Request) -> PostsClient:
    downstreams: Downstreams = request.state.downstreams
    return downstreams.posts


async def _todos(request: Request) -> TodosClient:
    downstreams: Downstreams = request.state.downstreams
    return downstreams.todos


async def _quotes(request: Request) -> QuotesClient:
    downstreams: Downstreams = request.state.downstreams
    return downstreams.quotes


async def _recipes(request: Request) -> RecipesClient:
    downstreams: Downstreams = request.state.downstreams
    return downstreams.recipes


async def _auth(request: Request) -> AuthClient:
    downstreams: Downstreams = request.state.downstreams
    return downstreams.auth


UsersDep = Annotated[UsersClient, Depends(_users)]
ProductsDep = Annotated[ProductsClient, Depends(_products)]
CartsDep = Annotated[CartsClient, Depends(_carts)]
PostsDep = Annotated[PostsClient, Depends(_posts)]
TodosDep = Annotated[TodosClient, Depends(_todos)]
QuotesDep = Annotated[QuotesClient, Depends(_quotes)]
RecipesDep = Annotated[RecipesClient, Depends(_recipes)]
AuthDep = Annotated[AuthClient, Depends(_auth)]
