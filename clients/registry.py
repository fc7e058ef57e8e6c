"""All typed clients of the app, built together over one shared AsyncClient.

The app's lifespan builds one `Downstreams` and hands it to routes; nothing here is module-level
state, so tests build their own over a mock transport. Each service's client owns that service's
resilience state (circuit breaker, retry budget), so one `Downstreams` is one set of breakers, and
two apps in one process (tests) never share them.
"""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

from clients.auth import AuthClient
from clients.base import DownstreamClient, ServiceClient
from clients.breaker import CircuitBreaker
from clients.cache_layer import CacheLayer
from clients.carts import CartsClient
from clients.cooldown import Cooldown
from clients.policies import ServicePolicy
from clients.posts import PostsClient
from clients.products import ProductsClient
from clients.quotes import QuotesClient
from clients.recipes import RecipesClient
from clients.todos import TodosClient
from clients.users import UsersClient

C = TypeVar("C", bound=ServiceClient)

SERVICES = ("users", "products", "carts", "posts", "todos", "quotes", "recipes", "auth")
"""Every downstream service name; settings must give each one a policy."""


def shared_cooldowns(
    policies: Mapping[str, ServicePolicy], clock: Callable[[], float] | None = None
) -> dict[str, Cooldown]:
    """One rate-limit cool-down per origin, by service name: a rate limit counts a client's
    requests to a host, so the services behind one origin (all of DummyJSON's) share it."""
    by_origin: dict[str, Cooldown] = {}
    cooldowns = {}
    for name, policy in policies.items():
        parts = urlsplit(policy.base_url)
        origin = f"{parts.scheme}://{parts.netloc}"
        cooldown = by_origin.get(origin)
        if cooldown is None:
            cooldown = by_origin[origin] = Cooldown(
                origin, policy.cooldown, clock=clock or time.monotonic
            )
        cooldowns[name] = cooldown
    return cooldowns


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
        clock: Callable[[], float] | None = None,
    ) -> "Downstreams":
        """One client per service, all over `http` (and `cache`, when given); a missing policy
        fails here, at startup. `clock` replaces the monotonic clock of the breakers, retry
        budgets and rate-limit cool-downs (tests step through them instead of sleeping)."""
        missing = [name for name in SERVICES if name not in policies]
        if missing:
            raise ValueError(f"no policy for downstream service(s): {', '.join(missing)}")
        cool = shared_cooldowns(policies, clock)

        def client(kind: type[C], name: str) -> C:
            return kind(http, policies[name], cache=cache, clock=clock, cooldown=cool[name])

        return cls(
            users=client(UsersClient, "users"),
            products=client(ProductsClient, "products"),
            carts=client(CartsClient, "carts"),
            posts=client(PostsClient, "posts"),
            todos=client(TodosClient, "todos"),
            quotes=client(QuotesClient, "quotes"),
            recipes=client(RecipesClient, "recipes"),
            auth=client(AuthClient, "auth"),
        )

    @property
    def pipelines(self) -> Mapping[str, DownstreamClient]:
        """Each service's call pipeline, read-only (for metrics and tests)."""
        return {name: getattr(self, name).downstream for name in SERVICES}

    @property
    def breakers(self) -> Mapping[str, CircuitBreaker]:
        """Each service's circuit breaker, read-only (for metrics, health and tests)."""
        return {name: getattr(self, name).downstream.breaker for name in SERVICES}

    @property
    def cooldowns(self) -> Mapping[str, Cooldown]:
        """Each service's rate-limit cool-down, read-only (for metrics, status and tests)."""
        return {name: getattr(self, name).downstream.cooldown for name in SERVICES}
