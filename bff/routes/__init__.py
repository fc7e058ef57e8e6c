"""One module per screen; each handler is a thin fan-out over the typed clients."""

from fastapi import APIRouter

from bff.routes import admin, auth, carts, home, media, posts, products, profile, search

ROUTERS: tuple[APIRouter, ...] = (
    profile.router,
    carts.router,
    posts.router,
    products.router,
    home.router,
    search.router,
    auth.router,
    media.router,
    admin.router,
)
