"""The cache step of the request pipeline: which calls are cached, under which key, in which tiers.

``ResponseCache`` (``cache.py``) knows entries, freshness and single-flight but nothing of HTTP;
``SharedCacheTier`` (``shared_cache.py``) knows Redis. This glue decides, per downstream call:

* whether it may be cached at all: a GET with a named policy (``cache_policies.py``), while the
  cache is enabled; anything else passes straight through;
* its key: service, path, sorted query and, when the call carries credentials, a hash of them,
  so one user's answer is never served to another;
* how the shared tier reads and writes it: the same Pydantic model the downstream answer is
  decoded with, so a value from Redis is exactly as typed as a fresh one.

One ``CacheLayer`` per app (built by the lifespan), shared by every typed client, so purging and
counters see the whole process.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import TypeAdapter

from clients.cache import (
    CacheCounters,
    CachePolicy,
    Entry,
    Outcome,
    ResponseCache,
    cache_key,
    identity_of,
)
from clients.context import remaining
from clients.errors import DownstreamError
from clients.shared_cache import SharedCacheTier

if TYPE_CHECKING:
    from clients.replicas import ReplicaLink

T = TypeVar("T")


class CacheLayer:
    def __init__(
        self,
        response: ResponseCache,
        policies: Mapping[str, CachePolicy],
        *,
        tier: SharedCacheTier | None = None,
    ) -> None:
        self.response = response
        self.policies = dict(policies)
        self.tier = tier
        self.link: ReplicaLink | None = None
        """The other replicas, when they share Redis (``replicas.py``): purges reach them."""
        self._adapters: dict[object, TypeAdapter[Any]] = {}

    @property
    def enabled(self) -> bool:
        return self.response.enabled

    @property
    def counters(self) -> CacheCounters:
        return self.response.counters

    def policy(self, name: str | None, method: str) -> CachePolicy | None:
        """The policy of a cacheable call, or None: only GETs with a named policy are cached,
        and nothing while the cache is off (the call then skips the cache step entirely)."""
        if name is None or method != "GET" or not self.response.enabled:
            return None
        return self.policies.get(name)

    def _adapter(self, model: type[T] | TypeAdapter[T]) -> TypeAdapter[T]:
        if isinstance(model, TypeAdapter):
            return model
        adapter = self._adapters.get(model)
        if adapter is None:
            adapter = self._adapters[model] = TypeAdapter(model)
        return adapter

    @staticmethod
    def key(
        service: str,
        path: str,
        params: Mapping[str, str | int] | None,
        headers: Mapping[str, str] | None,
    ) -> tuple[str, bool]:
        """The call's cache key, and whether it is per-user (it carried credentials)."""
        identity = identity_of(headers)
        return cache_key(service, path, params, identity), bool(identity)

    def fresh(self, key: str, policy: CachePolicy) -> Outcome[Any] | None:
        """The in-process tier's fresh answer, or None. A warm screen's every call ends here,
        so it builds nothing a miss would need (see `fetch`)."""
        return self.response.fresh(key, policy)

    async def fetch(
        self,
        key: str,
        *,
        policy: CachePolicy,
        model: type[T] | TypeAdapter[T],
        load: Callable[[], Awaitable[T]],
        expired: Callable[[], DownstreamError],
    ) -> Outcome[T]:
        """The call's value and how the cache produced it, after `fresh` found nothing: from
        the shared tier, a stale copy, or the load (shared by concurrent misses). `expired`
        makes the error of a caller whose deadline ends while it waits for a shared call (which
        goes on for the cache)."""

        lookup: Callable[[], Awaitable[Entry[T] | None]] | None = None
        if (tier := self.tier) is not None:
            adapter = self._adapter(model)
            # Taken now: the shared call runs without the request's deadline (cache.py), but
            # waiting for another replica's load must not outlast it.
            wait = remaining()
            direct = load

            async def lookup_shared() -> Entry[T] | None:
                return await tier.get(key, adapter)

            async def load_shared() -> T:
                # It writes the tier itself, before another replica may take the lease.
                return await tier.load_once(
                    key,
                    adapter,
                    direct,
                    fresh_for=policy.ttl,
                    retention=policy.retention,
                    wait=wait,
                )

            lookup, load = lookup_shared, load_shared

        return await self.response.fetch(key, policy, load, lookup=lookup, expired=expired)

    async def purge(self, prefix: str = "") -> tuple[int, int]:
        """Drop entries whose key starts with ``prefix`` (e.g. ``products:`` or
        ``products:/products/1?``); returns (in-process, shared) counts."""
        local = self.response.purge(prefix)
        shared = await self.tier.purge(prefix) if self.tier is not None else 0
        return local, shared

    async def broadcast_purge(self, prefix: str = "") -> int:
        """Have every replica drop its in-process entries under ``prefix``; returns how many
        replicas did (this one included), 1 when there is no Redis to reach the others."""
        if self.link is None:
            return 1
        return await self.link.purge(prefix)

    async def aclose(self) -> None:
        """Stop background refreshes (the pooled client is about to close) and the tier."""
        await self.response.aclose()
        if self.tier is not None:
            await self.tier.aclose()
