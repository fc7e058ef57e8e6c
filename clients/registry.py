"""All typed clients of the app, built together over one shared AsyncClient.

`CLIENTS` lists the typed client classes once; everything per service derives from it: the
service names (`SERVICES`), one client each in `Downstreams` (built in a loop), the settings'
per-service policies and base URLs, the routes' dependency (`bff.deps.Client[UsersClient]`)
and the metrics' labels. Adding a downstream is a module with its client class and one line
here (README, "Adding a downstream").

The app's lifespan builds one `Downstreams` and hands it to routes; nothing here is module-level
state, so tests build their own over a mock transport. Each service's client owns that service's
resilience state (circuit breaker, retry budget), so one `Downstreams` is one set of breakers, and
two apps in one process (tests) never share them.
"""

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar, cast
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

CLIENTS: tuple[type[ServiceClient], ...] = (
    UsersClient,
    ProductsClient,
    CartsClient,
    PostsClient,
    TodosClient,
    QuotesClient,
    RecipesClient,
    AuthClient,
)
"""Every typed client the app builds, one per downstream service, in display order."""


def services_of(clients: Iterable[type[ServiceClient]]) -> tuple[str, ...]:
    """The service names of `clients`, refusing two clients of one service."""
    names: list[str] = []
    for kind in clients:
        if kind.service in names:
            raise ValueError(f"two clients of downstream service {kind.service!r}")
        names.append(kind.service)
    return tuple(names)


SERVICES = services_of(CLIENTS)
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


class Downstreams:
    """One typed client per downstream service, all over the one shared AsyncClient.

    Routes take theirs by class (`downstreams[UsersClient]`, which `bff.deps.Client` does);
    `downstreams.users` reads one by service name (tests, diagnostics).
    """

    __slots__ = ("_by_kind", "_by_name")

    def __init__(self, clients: Iterable[ServiceClient]) -> None:
        by_name: dict[str, ServiceClient] = {}
        for client in clients:
            if client.service in by_name:
                raise ValueError(f"two clients of downstream service {client.service!r}")
            by_name[client.service] = client
        self._by_name = by_name
        self._by_kind = {type(client): client for client in by_name.values()}

    @classmethod
    def build(
        cls,
        http: httpx.AsyncClient,
        policies: Mapping[str, ServicePolicy],
        *,
        clients: Sequence[type[ServiceClient]] = CLIENTS,
        cache: CacheLayer | None = None,
        clock: Callable[[], float] | None = None,
    ) -> "Downstreams":
        """One client of each class in `clients`, all over `http` (and `cache`, when given); a
        missing policy fails here, at startup. `clock` replaces the monotonic clock of the
        breakers, retry budgets and rate-limit cool-downs (tests step through them instead of
        sleeping)."""
        names = services_of(clients)
        missing = [name for name in names if name not in policies]
        if missing:
            raise ValueError(f"no policy for downstream service(s): {', '.join(missing)}")
        cool = shared_cooldowns({name: policies[name] for name in names}, clock)
        return cls(
            kind(
                http,
                policies[kind.service],
                cache=cache,
                clock=clock,
                cooldown=cool[kind.service],
            )
            for kind in clients
        )

    def __getitem__(self, kind: type[C]) -> C:
        """The client of class `kind` (a route's typed client)."""
        try:
            return cast(C, self._by_kind[kind])
        except KeyError:
            raise LookupError(f"no {kind.__name__} among the app's downstreams") from None

    def __getattr__(self, name: str) -> ServiceClient:
        # Only for names that are not attributes; never for private ones (no recursion while a
        # copy or pickle reads them before `__init__` ran).
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._by_name[name]
        except KeyError:
            raise AttributeError(f"no downstream service {name!r}") from None

    @property
    def services(self) -> tuple[str, ...]:
        """The service names, in the order the clients were given."""
        return tuple(self._by_name)

    @property
    def pipelines(self) -> Mapping[str, DownstreamClient]:
        """Each service's call pipeline, read-only (for metrics and tests)."""
        return {name: client.downstream for name, client in self._by_name.items()}

    @property
    def breakers(self) -> Mapping[str, CircuitBreaker]:
        """Each service's circuit breaker, read-only (for metrics, health and tests)."""
        return {name: client.downstream.breaker for name, client in self._by_name.items()}

    @property
    def cooldowns(self) -> Mapping[str, Cooldown]:
        """Each service's rate-limit cool-down, read-only (for metrics, status and tests)."""
        return {name: client.downstream.cooldown for name, client in self._by_name.items()}
