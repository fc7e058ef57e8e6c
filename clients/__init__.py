"""Typed clients of the downstream APIs, calling through one pipeline over a shared AsyncClient."""

from clients.auth import AuthClient
from clients.base import DownstreamClient, ServiceClient
from clients.carts import CartsClient
from clients.context import (
    RequestScope,
    current_scope,
    enter,
    narrowed,
    remaining,
    scope_var,
    set_deadline,
)
from clients.errors import (
    BadRequest,
    BadResponse,
    CircuitOpen,
    CoolingDown,
    DownstreamError,
    Fault,
    NotFound,
    RateLimited,
    Timeout,
    Unauthorized,
    Unavailable,
)
from clients.params import Order
from clients.policies import ServicePolicy
from clients.posts import PostsClient
from clients.products import ProductsClient
from clients.quotes import QuotesClient
from clients.recipes import RecipesClient
from clients.registry import CLIENTS, SERVICES, Downstreams
from clients.todos import TodosClient
from clients.users import UsersClient

__all__ = [
    "CLIENTS",
    "SERVICES",
    "AuthClient",
    "BadRequest",
    "BadResponse",
    "CartsClient",
    "CircuitOpen",
    "CoolingDown",
    "DownstreamClient",
    "DownstreamError",
    "Downstreams",
    "Fault",
    "NotFound",
    "Order",
    "PostsClient",
    "ProductsClient",
    "QuotesClient",
    "RateLimited",
    "RecipesClient",
    "RequestScope",
    "ServiceClient",
    "ServicePolicy",
    "Timeout",
    "TodosClient",
    "Unauthorized",
    "Unavailable",
    "UsersClient",
    "current_scope",
    "enter",
    "narrowed",
    "remaining",
    "scope_var",
    "set_deadline",
]
