"""Route dependencies stay one level deep: FastAPI solves every sub-dependency (and computes a
cache key for each) on every request, so a typed client read through another dependency costs
twice what reading it from the request costs. The one exception is a security scheme (the bearer
token's), which must be a dependency of its own for the OpenAPI document to name it."""

from __future__ import annotations

from fastapi.routing import APIRoute
from fastapi.security.base import SecurityBase

from bff.routes import ROUTERS, health


def test_every_route_dependency_is_one_level_deep() -> None:
    routes = [
        route
        for router in (*ROUTERS, health.router)
        for route in router.routes
        if isinstance(route, APIRoute)
    ]
    nested = {
        (route.path, getattr(sub.call, "__name__", "?"))
        for route in routes
        for sub in route.dependant.dependencies
        if any(not isinstance(inner.call, SecurityBase) for inner in sub.dependencies)
    }

    assert any(route.dependant.dependencies for route in routes), "the screens have dependencies"
    assert nested == set()
