"""All typed clients of the app, built together over one shared AsyncClient.

The app's lifespan builds one `Downstreams` and hands it to routes; nothing here is module-level
state, so tests build their own over a mock transport. Each service's client owns that service's
resilience state (circuit breaker, retry budget), so one `Downstreams` is one set of breakers, and
two apps in one process (tests) never share them.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from clients.auth import AuthClient
from clients.base import DownstreamClient
from clients.breaker import CircuitBreaker
from clients.cache_layer import CacheLayer
from clients.carts import CartsClient
from clients.policies import ServicePolicy
from clients.posts import PostsClient
from clients.products import ProductsClient
from clients.quotes import QuotesClient
from clients.recipes import RecipesClient
from clients.todos import TodosClient
from clients.users import UsersClient

SERVICES = ("users", "products", "carts", "posts", "todos", "quotes", "recipes", "auth")
"""Every downstream service name; settings must give each one a policy."""


@dataclass(frozen=True)
class Downstreams:
    users: UsersClient
    products: ProductsClient
    carts: CartsClient
    posts: PostsClient
    todos: TodosClient
    quotes: QuotesClient
    recipes: RecipesClient
    auth: AuthClient

    @classmethod
    def build(
        cls,
        http: httpx.AsyncClient,
        policies: Mapping[str, ServicePolicy],
        *,
        cache: CacheLayer | None = None,
    ) -> "Downstreams":
        """One client per service, all over `http` (and `cache`, when given); a missing policy
        fails here, at startup."""
        missing = [name for name in SERVICES if name not in policies]
        if missing:
            raise ValueError(f"no policy for downstream service(s): {', '.join(missing)}")
        return cls(
            users=UsersClient(http, policies["users"], cache=cache),
            products=ProductsClient(http, policies["products"], cache=cache),
            carts=CartsClient(http, policies["carts"], cache=cache),
            posts=PostsClient(http, policies["posts"], cache=cache),
            todos=TodosClient(http, policies["todos"], cache=cache),
            quotes=QuotesClient(http, policies["quotes"], cache=cache),
            recipes=RecipesClient(http, policies["recipes"], cache=cache),
            auth=AuthClient(http, policies["auth"], cache=cache),
        )

    @property
    def pipelines(self) -> Mapping[str, DownstreamClient]:
        """Each service's call pipeline, read-only (for metrics and tests)."""
        return {name: getattr(self, name).downstream for name in SERVICES}

    @property
    def breakers(self) -> Mapping[str, CircuitBreaker]:
        """Each service's circuit breaker, read-only (for metrics, health and tests)."""
        return {name: getattr(self, name).downstream.breaker for name in SERVICES}
