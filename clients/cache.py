"""The response cache of the request pipeline: TTL entries, single-flight, stale copies.

What it promises, and how:

* **Fresh or nothing, per policy.** Each cached route has a ``CachePolicy`` (data, in
  ``clients/cache_policies.py``): how long an answer is fresh, how long past that a stale copy may
  be served while one background refresh runs (stale-while-revalidate), and how long a stale copy
  may stand in when the downstream fails (stale-if-error). Entries disappear from memory when the
  longest of those windows has passed (cachetools' ``TTLCache``, bounded by ``max_entries``).
* **One user's data is never another's.** A call that carries credentials is keyed with a hash of
  them (never the credential itself), so identical URLs of two users are two entries.
* **Errors are never cached.** Only decoded successes are stored.
* **A burst on a cold key costs one call.** Concurrent identical misses share one downstream call
  (``SingleFlight``); a waiter that is cancelled does not cancel the shared call, and a failing
  shared call fails every waiter with the same typed error.
* **Each waiter keeps its own deadline.** The shared call belongs to no single request: it runs
  without any caller's deadline (its attempts stay bounded by the service's policy), while each
  waiter stops waiting when *its* deadline passes. So a frontend asking for a 0.3 s answer cannot
  make others who joined its call time out with it, and a waiter never outlives its deadline
  because it joined a longer call; the call goes on and fills the cache for the next request.
* **A shared call stays bounded.** It still counts against the admission slot of the request that
  started it (``RequestScope.owned``), so callers that give up at once cannot leave
  an unbounded number of calls running behind them and fill the connection pool.

cachetools' decorators do not work on coroutines (they would cache the coroutine object), so this
module keeps the async logic itself and uses ``TTLCache`` only as the bounded, expiring store.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from cachetools import TTLCache

from clients.context import current_scope, narrowed, remaining
from clients.errors import DownstreamError

logger = logging.getLogger("bff.cache")

T = TypeVar("T")
Clock = Callable[[], float]
CacheStatus = Literal["hit", "stale", "miss"]


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """How one downstream route may be cached. Times are seconds."""

    ttl: float
    max_entries: int = 1024
    stale_while_revalidate: float = 0.0
    stale_if_error: float = 0.0

    def __post_init__(self) -> None:
        if not self.ttl > 0:
            raise ValueError("ttl must be positive")
        if self.max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        if self.stale_while_revalidate < 0 or self.stale_if_error < 0:
            raise ValueError("stale windows must not be negative")

    @property
    def retention(self) -> float:
        """How long an entry is kept at all: fresh time plus the longest stale window."""
        return self.ttl + max(self.stale_while_revalidate, self.stale_if_error)


@dataclass(frozen=True, slots=True)
class Entry(Generic[T]):
    value: T
    stored_at: float


@dataclass(slots=True)
class Outcome(Generic[T]):
    """A value with how the cache produced it, for Server-Timing, Cache-Status and sections
    (read once by the pipeline; not frozen, since every hit builds one)."""

    value: T
    status: CacheStatus
    age: float = 0.0
    ttl: float | None = None
    error: DownstreamError | None = None
    """For a stale copy served because the downstream failed: that failure."""


def identity_of(headers: Mapping[str, str] | None) -> str:
    """A stable, non-reversible tag of the caller's credentials ("" for anonymous calls)."""
    if not headers:
        return ""
    for name, value in headers.items():
        if name.lower() in ("authorization", "cookie"):
            return hashlib.sha256(value.encode()).hexdigest()[:32]
    return ""


def cache_key(
    service: str, path: str, params: Mapping[str, str | int] | None, identity: str
) -> str:
    """``service:path?sorted-query[@identity]`` — readable, so purging by prefix is easy."""
    query = "&".join([f"{name}={params[name]}" for name in sorted(params)]) if params else ""
    key = f"{service}:{path}?{query}"
    return f"{key}@{identity}" if identity else key


@dataclass(slots=True)
class CacheCounters:
    """Monotonic counters, read by metrics and the status page."""

    hits: int = 0
    misses: int = 0
    stale: int = 0
    stale_errors: int = 0
    refreshes: int = 0
    joins: int = 0
    tier_errors: int = 0
    lease_joins: int = 0
    """Misses answered by another replica's downstream call (its lease on the key)."""


class SingleFlight:
    """Concurrent calls with the same key share one execution."""

    def __init__(self, counters: CacheCounters | None = None) -> None:
        self._calls: dict[Hashable, asyncio.Task[Any]] = {}
        self._counters = counters or CacheCounters()

    def __len__(self) -> int:
        return len(self._calls)

    def running(self, key: Hashable) -> bool:
        return key in self._calls

    def start(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> asyncio.Task[T]:
        """The running task for ``key``, starting ``call`` if none is running."""
        task = self._calls.get(key)
        if task is not None:
            self._counters.joins += 1
            return task

        async def run() -> T:
            # The task runs in a copy of the starter's context: a scope without a deadline
            # frees the shared call from that one caller's deadline (see the module docstring).
            # It counts on a record of its own (the pipeline's `load`), never the starter's.
            narrowed(deadline=None)
            return await call()

        task = asyncio.ensure_future(run())
        self._calls[key] = task
        owned = current_scope().owned
        if owned is not None:
            # It counts against its starter's admission slot until it ends
            # (see `RequestScope.owned`).
            owned.append(task)
        task.add_done_callback(lambda done: self._finished(key, done))
        return task

    async def run(
        self,
        key: Hashable,
        call: Callable[[], Awaitable[T]],
        *,
        expired: Callable[[], Exception] | None = None,
    ) -> T:
        """Join or start the call for ``key`` and wait for it, at most until the current
        request's deadline; then raise ``expired()`` (the call itself goes on)."""
        left = remaining()
        if left is not None and expired is not None and left <= 0:
            raise expired()
        # shield: a waiter that gives up (its frontend went away, its deadline passed) leaves the
        # call to the others.
        shared = asyncio.shield(self.start(key, call))
        if left is None or expired is None:
            return await shared
        try:
            async with asyncio.timeout(left):
                return await shared
        except TimeoutError:
            raise expired() from None

    def _finished(self, key: Hashable, task: asyncio.Task[Any]) -> None:
        if self._calls.get(key) is task:
            del self._calls[key]
        if not task.cancelled():
            # Retrieved here so that a failure nobody waited for is not reported as unhandled.
            task.exception()


class ResponseCache:
    """The in-process tier: one bounded ``TTLCache`` per policy, plus single-flight."""

    def __init__(self, *, clock: Clock = time.monotonic, enabled: bool = True) -> None:
        self.clock = clock
        self.enabled = enabled
        """Read in one place, `CacheLayer.policy`: with the cache off no call reaches `fetch`."""
        self.counters = CacheCounters()
        self.flights = SingleFlight(self.counters)
        # Concurrent misses of one key also share one shared-tier lookup: a cold screen asked
        # for 100 times at once is one Redis read, not 100 (and 100 new connections).
        self._lookups = SingleFlight()
        self._stores: dict[CachePolicy, TTLCache[str, Entry[Any]]] = {}
        self._refreshing: set[asyncio.Task[Any]] = set()

    def _store(self, policy: CachePolicy) -> TTLCache[str, Entry[Any]]:
        store = self._stores.get(policy)
        if store is None:
            store = TTLCache(maxsize=policy.max_entries, ttl=policy.retention, timer=self.clock)
            self._stores[policy] = store
        return store

    def peek(self, key: str, policy: CachePolicy) -> Entry[Any] | None:
        """The entry under ``key`` (fresh or stale), or None. Read with one indexing, where
        ``TTLCache.get`` checks membership first and then indexes (each reading the clock): it
        is on every warm screen's path, once per section."""
        store = self._stores.get(policy)
        if store is None:
            return None
        try:
            entry: Entry[Any] = store[key]
        except KeyError:
            return None
        return entry

    def put(
        self, key: str, policy: CachePolicy, value: Any, *, stored_at: float | None = None
    ) -> None:
        when = self.clock() if stored_at is None else stored_at
        self._store(policy)[key] = Entry(value, when)

    def purge(self, prefix: str = "") -> int:
        """Drop the entries whose key starts with ``prefix`` (all for ""); returns how many."""
        dropped = 0
        for store in self._stores.values():
            doomed = [key for key in list(store.keys()) if key.startswith(prefix)]
            for key in doomed:
                store.pop(key, None)
            dropped += len(doomed)
        return dropped

    def __len__(self) -> int:
        return sum(len(store) for store in self._stores.values())

    def fresh(self, key: str, policy: CachePolicy) -> Outcome[Any] | None:
        """The fresh entry under ``key`` as a hit, or None (absent, or past its TTL: `fetch`
        then decides between a stale copy, the shared tier and a load)."""
        entry = self.peek(key, policy)
        return None if entry is None else self._hit(entry, policy, self.clock() - entry.stored_at)

    def _hit(self, entry: Entry[T], policy: CachePolicy, age: float) -> Outcome[T] | None:
        """`entry` served as a hit if it is still fresh at `age`, else None."""
        if age > policy.ttl:
            return None
        self.counters.hits += 1
        return Outcome(entry.value, "hit", age, policy.ttl)

    async def fetch(
        self,
        key: str,
        policy: CachePolicy,
        load: Callable[[], Awaitable[T]],
        *,
        lookup: Callable[[], Awaitable[Entry[T] | None]] | None = None,
        store: Callable[[T, float], Awaitable[None]] | None = None,
        expired: Callable[[], DownstreamError] | None = None,
    ) -> Outcome[T]:
        """The value for ``key``: fresh from memory, stale while one refresh runs, or loaded.

        ``lookup``/``store`` are the optional shared tier (Redis), consulted on a local miss and
        written after a load; their failures are the tier's business and never fail the call.
        ``expired`` makes the error of a waiter whose deadline passed while it waited for a shared
        call (a stale copy may still stand in for it).
        """
        now = self.clock()
        entry: Entry[T] | None = self.peek(key, policy)
        if entry is None and lookup is not None:
            entry = await self._lookups.run(key, lookup)
            if entry is not None:
                self.put(key, policy, entry.value, stored_at=entry.stored_at)
        if entry is not None:
            age = now - entry.stored_at
            if (hit := self._hit(entry, policy, age)) is not None:
                return hit
            if age <= policy.ttl + policy.stale_while_revalidate:
                self.counters.stale += 1
                self._refresh(key, policy, load, store)
                return Outcome(entry.value, "stale", age, policy.ttl)

        self.counters.misses += 1
        try:
            value = await self.flights.run(
                key, lambda: self._load(key, policy, load, store), expired=expired
            )
        except DownstreamError as exc:
            # Only for failures an old answer is better than (`DownstreamError.stale_ok`: the
            # downstream is sick, slow or busy); a 404, 400 or 401 is its real answer.
            if entry is not None and exc.stale_ok:
                age = self.clock() - entry.stored_at
                if age <= policy.ttl + policy.stale_if_error:
                    self.counters.stale_errors += 1
                    # The key's path only: its query holds what users typed (search text).
                    logger.warning(
                        "serving a stale copy of %s (%.1fs old): %s %s",
                        key.partition("?")[0],
                        age,
                        exc.code,
                        exc.detail,
                    )
                    return Outcome(entry.value, "stale", age, policy.ttl, exc)
            raise
        return Outcome(value, "miss", 0.0, policy.ttl)

    async def _load(
        self,
        key: str,
        policy: CachePolicy,
        load: Callable[[], Awaitable[T]],
        store: Callable[[T, float], Awaitable[None]] | None,
    ) -> T:
        value = await load()
        stored_at = self.clock()
        self.put(key, policy, value, stored_at=stored_at)
        if store is not None:
            await store(value, stored_at)
        return value

    def _refresh(
        self,
        key: str,
        policy: CachePolicy,
        load: Callable[[], Awaitable[T]],
        store: Callable[[T, float], Awaitable[None]] | None,
    ) -> None:
        """One background refresh per key (single-flight), whatever the number of stale reads."""
        if self.flights.running(key):
            return
        self.counters.refreshes += 1
        task = self.flights.start(key, lambda: self._load(key, policy, load, store))
        # Keep a reference: the event loop holds tasks only weakly.
        self._refreshing.add(task)
        task.add_done_callback(self._refresh_done)

    async def settle(self) -> None:
        """Wait for the background refreshes under way (tests; a graceful shutdown)."""
        while self._refreshing:
            await asyncio.gather(*self._refreshing, return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel the background refreshes under way: the client they call is closing."""
        for task in list(self._refreshing):
            task.cancel()
        await asyncio.gather(*self._refreshing, return_exceptions=True)

    def _refresh_done(self, task: asyncio.Task[Any]) -> None:
        self._refreshing.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.warning("background refresh failed: %s", exc)
