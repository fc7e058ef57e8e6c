"""Which downstream routes may be cached, and for how long: the defaults, as data.

Names are ``service.method`` of the typed clients. Freshness follows how fast the data changes:
the category list barely moves, a product's price and stock change within minutes, a cart
changes with every click. Stale windows say how long an old copy is still better than nothing:
while one background refresh runs (stale-while-revalidate), or while the downstream fails
(stale-if-error). Operators override any of them with ``BFF_CACHE_POLICIES`` (JSON).

Calls that carry credentials (``auth.me``) are cached per caller: the key holds a hash of the
token. POSTs (login, refresh) are never cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from clients.cache import CachePolicy

MINUTE = 60.0
HOUR = 60 * MINUTE

_CATALOG = CachePolicy(ttl=MINUTE, stale_while_revalidate=MINUTE, stale_if_error=HOUR)
_LISTS = CachePolicy(ttl=30, stale_while_revalidate=30, stale_if_error=10 * MINUTE)
_SEARCH = CachePolicy(ttl=30, max_entries=4096, stale_if_error=5 * MINUTE)
_TAXONOMY = CachePolicy(
    ttl=HOUR, max_entries=16, stale_while_revalidate=HOUR, stale_if_error=24 * HOUR
)
_PEOPLE = CachePolicy(
    ttl=MINUTE, max_entries=4096, stale_while_revalidate=MINUTE, stale_if_error=HOUR
)
_CARTS = CachePolicy(ttl=10, max_entries=4096, stale_if_error=MINUTE)

DEFAULT_CACHE_POLICIES: Mapping[str, CachePolicy] = {
    "users.get": _PEOPLE,
    "users.list": _LISTS,
    "users.search": _SEARCH,
    "users.carts": _CARTS,
    "users.posts": _LISTS,
    "users.todos": _LISTS,
    "products.get": _CATALOG,
    "products.list": _CATALOG,
    "products.search": _SEARCH,
    "products.categories": _TAXONOMY,
    "products.category_list": _TAXONOMY,
    "products.by_category": _CATALOG,
    "carts.get": _CARTS,
    "carts.by_user": _CARTS,
    "posts.get": _LISTS,
    "posts.list": _LISTS,
    "posts.search": _SEARCH,
    "posts.comments": _LISTS,
    "todos.list": _LISTS,
    "todos.get": _LISTS,
    # A "random" quote held for a few seconds is still a random quote to each visitor.
    "quotes.random": CachePolicy(ttl=10, max_entries=1, stale_if_error=HOUR),
    "quotes.get": _TAXONOMY,
    "recipes.get": _CATALOG,
    "recipes.search": _SEARCH,
    # Per caller (the key holds a hash of the token); never served stale: a revoked token must
    # stop working within the TTL.
    "auth.me": CachePolicy(ttl=30, max_entries=4096),
}


def cache_policies(
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, CachePolicy]:
    """The defaults with ``overrides`` applied: per name, the fields to change (``{"ttl": 300}``);
    the others keep their default. An unknown name is a configuration error."""
    merged = dict(DEFAULT_CACHE_POLICIES)
    for name, fields in (overrides or {}).items():
        if name not in merged:
            raise ValueError(f"unknown cache policy {name!r}; known: {', '.join(sorted(merged))}")
        merged[name] = replace(merged[name], **fields)
    return merged
