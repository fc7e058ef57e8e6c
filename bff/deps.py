"""FastAPI dependencies: how a route gets its typed clients and settings.

The lifespan builds the clients once and hands them over in the lifespan state; routes declare
what they need (``users: Client[UsersClient]``) and never see how it was built, which is what
lets tests swap the transport underneath without patching anything. ``Client`` is the one
dependency of every typed client, old or new: a downstream added to ``clients/registry.py`` is
at its routes' disposal without a line here.

They are ``async def`` although they never await: FastAPI runs a plain ``def`` dependency in
the thread pool, which costs a thread hop per dependency per request (measured: ~20% of the
BFF's CPU per screen request). And each is one level deep (the request only): FastAPI solves a
sub-dependency per request too, and its cache key per dependency (``inspect.unwrap`` of the
callable) showed as ~7% of a screen's CPU when the typed clients were read through a
dependency on the whole set of clients.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends, Request

from bff.settings import Settings
from clients import Downstreams, ServiceClient
from clients.cache_layer import CacheLayer
from clients.media import MediaClient


async def get_media(request: Request) -> MediaClient:
    media: MediaClient = request.state.media
    return media


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_cache(request: Request) -> CacheLayer:
    cache: CacheLayer = request.state.cache
    return cache


SettingsDep = Annotated[Settings, Depends(get_settings)]
MediaDep = Annotated[MediaClient, Depends(get_media)]
CacheDep = Annotated[CacheLayer, Depends(get_cache)]


C = TypeVar("C", bound=ServiceClient)


@functools.cache
def client_dependency(kind: type[C]) -> Callable[[Request], Awaitable[C]]:
    """The dependency that hands a route the app's client of class ``kind``: one function per
    class (cached), so FastAPI solves it once per request however many parameters name it."""

    async def dependency(request: Request) -> C:
        downstreams: Downstreams = request.state.downstreams
        return downstreams[kind]

    dependency.__name__ = dependency.__qualname__ = f"{kind.service}_client"
    return dependency


if TYPE_CHECKING:
    # To a type checker, ``Client[UsersClient]`` is ``UsersClient``.
    Client = Annotated[C, "the app's typed client"]
else:

    class Client:
        """``Client[UsersClient]``: a route parameter holding the app's ``UsersClient``
        (``Annotated[UsersClient, Depends(...)]``, the dependency from
        ``client_dependency``)."""

        def __class_getitem__(cls, kind: type[ServiceClient]) -> Any:
            return Annotated[kind, Depends(client_dependency(kind))]
